"""Pulumi project and stack files, read the way the Pulumi CLI reads them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from preflight.errors import InputError
from preflight.inputs.yaml_file import load_yaml
from preflight.record.recording import StandIn

# Stack files keep secrets encrypted (`{secure: <ciphertext>}`); offline there is no key to decrypt them,
# so the program sees this stand-in, marked secret, and reports can prove it never leaks.
from preflight.secrets import SECRET_PLACEHOLDER as SECRET_PLACEHOLDER


@dataclass
class Project:
    name: str
    directory: Path
    main: Path
    stack_config_dir: Path
    runtime: str
    # Pulumi.yaml's `config:` declarations with a `type:` (integer, boolean, ...), by full key: offline they type the
    # stand-in of a whole-key secret that no getter types (`get_object`).
    config_types: dict[str, str] = field(default_factory=dict)

    def stack_file(self, stack: str) -> Path:
        return self.stack_config_dir / f"Pulumi.{stack}.yaml"


@dataclass
class StackConfig:
    values: dict[str, Any] = field(default_factory=dict)
    secret_keys: list[str] = field(default_factory=list)
    source: Path | None = None
    stand_ins: list[StandIn] = field(default_factory=list)  # one per `secure:` leaf: offline it is not decrypted


def _load_yaml(path: Path, what: str) -> Any:
    """The file's one YAML document, read with bounds (size, UTF-8, depth, aliases) and duplicate keys refused."""
    return load_yaml(path, what)


def load_project(directory: Path) -> Project:
    if not directory.is_dir():
        raise InputError(f"--project-dir {directory}: no such folder; pass the folder that holds Pulumi.yaml")
    pulumi_yaml = directory / "Pulumi.yaml"
    if not pulumi_yaml.is_file():
        raise InputError(f"--project-dir {directory}: no Pulumi.yaml there; pass a Pulumi project folder")
    spec = _load_yaml(pulumi_yaml, "project file")
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise InputError(f"{pulumi_yaml}: `name` is required and must be a string")
    runtime = spec.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name != "python":
        raise InputError(f"{pulumi_yaml}: runtime is {runtime_name!r}; preflight runs Python programs only")
    main = directory / str(spec.get("main") or ".")
    main_file = main / "__main__.py" if main.is_dir() else main
    if not main_file.is_file():
        raise InputError(f"{pulumi_yaml}: the program {main_file} does not exist; set `main` or add __main__.py")
    config_dir = directory / str(spec.get("stackConfigDir") or ".")
    return Project(spec["name"], directory, main_file, config_dir, "python", _config_types(spec))


def _config_types(spec: dict[str, Any]) -> dict[str, str]:
    declared = spec.get("config")
    if not isinstance(declared, dict):
        return {}
    return {
        str(key) if ":" in str(key) else f"{spec['name']}:{key}": value["type"]
        for key, value in declared.items()
        if isinstance(value, dict) and isinstance(value.get("type"), str)
    }


# The stand-in of a whole-key secret whose Pulumi.yaml declaration types it: the smallest plausible value of that
# type (a count, a size or a number of days of 0 is rarely valid), so that every getter reads a value of its type.
TYPED_SECRET_STAND_INS: dict[str, Any] = {"integer": 1, "boolean": False}


def _placeholders(value: Any, path: str, secret_paths: list[str]) -> Any:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            secret_paths.append(path)
            return SECRET_PLACEHOLDER
        return {k: _placeholders(v, f"{path}.{k}", secret_paths) for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholders(v, f"{path}[{i}]", secret_paths) for i, v in enumerate(value)]
    return value


def load_stack_config(project: Project, stack: str) -> StackConfig:
    """The stack's `config:` map with keys namespaced as the CLI does (`key` -> `<project>:key`).

    A project without a stack file runs with empty config, as `pulumi preview` on a new stack would."""
    path = project.stack_file(stack)
    if not path.is_file():
        return StackConfig()
    document = _load_yaml(path, "stack file")
    if document is None:
        return StackConfig(source=path)
    if not isinstance(document, dict):
        raise InputError(f"{path}: must be a mapping with a `config:` key")
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise InputError(f"{path}: `config` must be a mapping of keys to values")
    values: dict[str, Any] = {}
    secret_keys: list[str] = []
    stand_ins: list[StandIn] = []
    for key, value in config.items():
        full_key = str(key) if ":" in str(key) else f"{project.name}:{key}"
        secret_paths: list[str] = []
        values[full_key] = _placeholders(value, full_key, secret_paths)
        if secret_paths:
            secret_keys.append(full_key)
        detail = f"encrypted in {path.name}; offline the program reads a stand-in, marked secret, instead of its value"
        declared = project.config_types.get(full_key, "")
        if secret_paths == [full_key] and declared in TYPED_SECRET_STAND_INS:
            values[full_key] = TYPED_SECRET_STAND_INS[declared]
            detail += f"; declared `type: {declared}` in Pulumi.yaml: the program reads {json.dumps(values[full_key])}"
        stand_ins += [StandIn("secret", secret_path, detail) for secret_path in secret_paths]
    return StackConfig(values, secret_keys, path, stand_ins)
