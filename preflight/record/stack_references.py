"""StackReference outputs offline: from a file the user passes (`--stack-reference NAME=FILE`), or typed stand-ins.

FILE is a JSON object of outputs (`pulumi stack output --json [--show-secrets]`) or a `pulumi stack export` (the root
stack's `outputs`; a secret exported as ciphertext cannot be decrypted offline and gets a stand-in). Without a file,
the outputs are stand-ins for the names the program asks for: the literal names given to `get_output`,
`require_output` and `get_output_details` anywhere in the project's Python files, typed by their name (`...Ids` a
list, `...Arn` an ARN, a kubeconfig a kubeconfig document).
"""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from preflight.errors import InputError
from preflight.secrets import SECRET_SIG, SIG_KEY

STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"
FLAG = "--stack-reference"
MAX_FILE_BYTES = 16 * 1024 * 1024
_OUTPUT_METHODS = {"get_output", "require_output", "get_output_details"}
_SKIPPED_DIRS = {".venv", "venv", "node_modules", "__pycache__", ".git"}
MAX_SCANNED_FILES = 2000


@dataclass(frozen=True)
class StackOutputs:
    """The outputs of one referenced stack as read from FILE; `stood_in` names the ones preflight had to invent."""

    source: str
    outputs: dict[str, Any]
    secret_names: list[str] = field(default_factory=list)
    stood_in: list[str] = field(default_factory=list)


def _fail(value: str, problem: str) -> InputError:
    return InputError(f"{FLAG} {value}: {problem}; pass NAME=FILE, FILE a JSON object of outputs or a `pulumi stack export`")


def load_stack_reference(value: str) -> tuple[str, StackOutputs]:
    """(referenced stack name, its outputs) from one `--stack-reference NAME=FILE` value."""
    name, sep, file_name = value.partition("=")
    if not sep or not name.strip() or not file_name.strip():
        raise _fail(value, "expected NAME=FILE")
    path = Path(file_name)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise _fail(value, f"{path} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise _fail(value, f"{path} cannot be read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise _fail(value, f"{path} is not UTF-8 text") from None
    except (json.JSONDecodeError, RecursionError) as exc:
        raise _fail(value, f"{path} is not valid JSON ({getattr(exc, 'msg', 'nested too deeply')})") from None
    if isinstance(document, dict) and isinstance(document.get("deployment"), dict) and "version" in document:
        document = _export_outputs(value, document["deployment"])
    if not isinstance(document, dict):
        raise _fail(value, f"{path} holds a JSON {type(document).__name__}, not an object of outputs")
    outputs: dict[str, Any] = {}
    secret_names: list[str] = []
    stood_in: list[str] = []
    for key, output in document.items():
        if isinstance(output, dict) and output.get(SIG_KEY) == SECRET_SIG:
            secret_names.append(key)
            if "plaintext" in output and isinstance(output["plaintext"], str):
                try:
                    outputs[key] = json.loads(output["plaintext"])
                except json.JSONDecodeError:
                    raise _fail(value, f"the secret output {key!r} has a `plaintext` that is not JSON") from None
            else:
                outputs[key] = standin_output(key)
                stood_in.append(key)
        else:
            outputs[key] = output
    return name.strip(), StackOutputs(str(path), outputs, sorted(secret_names), stood_in)


def _export_outputs(value: str, deployment: Mapping[str, Any]) -> Any:
    stacks = [r for r in deployment.get("resources") or [] if isinstance(r, dict) and r.get("type") == "pulumi:pulumi:Stack"]
    if len(stacks) != 1:
        raise _fail(value, f"the stack export holds {len(stacks)} root stack resources, expected 1")
    return stacks[0].get("outputs") or {}


def _python_files(root: Path) -> Iterator[Path]:
    count = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith("."))
        for file_name in sorted(files):
            if file_name.endswith(".py"):
                count += 1
                if count > MAX_SCANNED_FILES:
                    return
                yield Path(folder) / file_name


def referenced_output_names(project_dir: Path) -> list[str]:
    """The literal output names the project's code asks stack references for, sorted."""
    names: set[str] = set()
    for path in _python_files(project_dir):
        try:
            source = path.read_bytes()
            if b"_output" not in source:
                continue
            tree = ast.parse(source, str(path))
        except (SyntaxError, ValueError, OSError, RecursionError, MemoryError):
            continue  # the program run reports its own syntax errors
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in _OUTPUT_METHODS
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                names.add(node.args[0].value)
    return sorted(names)


def standin_output(name: str) -> Any:
    """A stand-in for the output `name` of a referenced stack, typed by the name."""
    lower = name.replace("_", "").replace("-", "").lower()
    if "kubeconfig" in lower:
        return json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "standin", "cluster": {"server": "https://standin-cluster.example.invalid"}}],
                "contexts": [{"name": "standin", "context": {"cluster": "standin", "user": "standin"}}],
                "current-context": "standin",
                "users": [{"name": "standin", "user": {"token": "standin-token"}}],
            }
        )
    if lower.endswith(("ids", "arns", "names", "zones", "subnets", "cidrs", "list")):
        return [f"standin-{name}-0", f"standin-{name}-1"]
    if lower.endswith("arn"):
        return f"arn:aws:standin:us-east-1:123456789012:standin/{name}"
    if lower.endswith(("count", "port", "number", "size")):
        return 1
    if lower.startswith(("enable", "is")):
        return False
    return f"standin-{name}"


def load_stack_references(values: list[str]) -> dict[str, StackOutputs]:
    """Every `--stack-reference NAME=FILE` value, by NAME; a NAME given twice is an error."""
    references: dict[str, StackOutputs] = {}
    for value in values:
        name, outputs = load_stack_reference(value)
        if name in references:
            raise _fail(value, f"{name} is given twice")
        references[name] = outputs
    return references
