"""Leaf-level secrecy of the credential keys, read from the stack file the Pulumi CLI reads.

The program cannot tell which leaves of a structured key are encrypted: the CLI marks a whole top-level key secret
when any one leaf under it is `secure:`, so a plaintext kubeconfig beside a secure one, or a plaintext password
beside a secure username, would pass a key-level check (and `pulumi up`). The stack file says it leaf by leaf:
Pulumi.<stack>.yaml in the project's stackConfigDir, found from Pulumi.yaml in the working directory (the project
folder, under the CLI and under preflight alike).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from components.config.checks import SECRET_ALERTING_FIELDS, SECRET_DATADOG_FIELDS
from components.config.schema import NAMESPACE

SECRET_KEYS = ("kubeconfigs",)  # every leaf under these must be a secret
# The keys with some credential fields, and those fields.
CREDENTIAL_FIELDS = {"alerting": SECRET_ALERTING_FIELDS, "datadog": SECRET_DATADOG_FIELDS}


def stack_file_config(stack: str, project_dir: Path | None = None) -> dict[str, Any] | None:
    """The `logmesh:*` keys (without the namespace) of the stack file, values as written (`{secure: ...}` kept);
    None when there is no such file, or it cannot be read as one (the program then has no leaf-level view)."""
    directory = project_dir or Path.cwd()
    try:
        project = yaml.safe_load((directory / "Pulumi.yaml").read_text(encoding="utf-8"))
        if not isinstance(project, dict) or project.get("name") != NAMESPACE:
            return None
        config_dir = directory / str(project.get("stackConfigDir") or ".")
        document = yaml.safe_load((config_dir / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    config = document.get("config") if isinstance(document, dict) else None
    if not isinstance(config, dict):
        return {}
    prefix = NAMESPACE + ":"
    return {str(k).removeprefix(prefix): v for k, v in config.items() if ":" not in str(k) or str(k).startswith(prefix)}


def _is_secure(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"secure"}


def _plain_leaves(value: Any, path: str) -> Iterator[str]:
    if _is_secure(value):
        return
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _plain_leaves(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _plain_leaves(v, f"{path}[{i}]")
    elif value is not None:
        yield path


def _credential_leaves(key: str, value: Any) -> Iterator[tuple[str, Any]]:
    """(key path, value) of each part of `key` that holds credentials."""
    if not isinstance(value, dict):
        yield key, value
    elif key in SECRET_KEYS:
        yield from ((f"{key}.{name}", entry) for name, entry in value.items())
    else:
        yield from ((f"{key}.{field}", value[field]) for field in CREDENTIAL_FIELDS[key] if field in value)


def plaintext_credentials(raw: Mapping[str, Any], written: Mapping[str, Any]) -> tuple[list[str], set[str]]:
    """Problems for each credential leaf the stack file holds in plaintext, and the keys the file settles: those whose
    every credential leaf in `raw` (what the program got) the file holds; the others keep the key-level check."""
    problems: list[str] = []
    settled: set[str] = set()
    for key in (*SECRET_KEYS, *CREDENTIAL_FIELDS):
        if key not in written or not raw.get(key):
            continue
        if _is_secure(written[key]):
            settled.add(key)
            continue
        leaves = dict(_credential_leaves(key, written[key]))
        wanted = {path for path, _ in _credential_leaves(key, raw[key])}
        for path in sorted(wanted & set(leaves)):
            problems += [
                f"{NAMESPACE}:{leaf}: holds credentials and must be a secret; set it with "
                f"`pulumi config set --secret --path '{NAMESPACE}:{leaf}' <value>`"
                for leaf in _plain_leaves(leaves[path], path)
            ]
        if wanted <= set(leaves):
            settled.add(key)
    return problems, settled
