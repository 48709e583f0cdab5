"""Record stage: run a Pulumi Python program under the SDK's mocks and keep every registration."""

from __future__ import annotations

import json
import os
import runpy
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pulumi
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from preflight.record.mocks import RealisticMocks, fields, provider_defaults
from preflight.record.recording import STACK_TYPE, Recording, Registration, StandIn
from preflight.record.stack_references import StackOutputs
from preflight.secrets import is_secret, secret


def _is_library(path: str) -> bool:
    return "/site-packages/" in path or "/lib/python3" in path or path.startswith("<")


def _source(request: Any) -> tuple[str, int]:
    """The innermost frame of the program's own code that declared the resource.

    The SDK's `sourcePosition` can name a line inside a provider SDK (its frame heuristics count
    `__init__` calls), so prefer the first stack-trace frame outside installed libraries."""
    positions = [frame.pc for frame in request.stackTrace.frames if frame.HasField("pc")]
    if request.HasField("sourcePosition"):
        positions.append(request.sourcePosition)
    for position in positions:
        path = unquote(position.uri.removeprefix("file://"))
        if not _is_library(path):
            return path, int(position.line)
    return "", 0


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A MockMonitor that keeps each registration with everything the policy analyzer and reports need."""

    def __init__(self, mocks: RealisticMocks) -> None:
        super().__init__(mocks)
        self.realistic = mocks
        self.registrations: list[Registration] = []
        self.output_stand_ins: list[StandIn] = []
        self._stack_urn = ""

    def _file_output_stand_ins(self, urn: str) -> None:
        paths = self.realistic.take_output_stand_ins()
        if paths:
            self.output_stand_ins.append(StandIn("output", urn, "stood in: " + fields(paths)))

    def ReadResource(self, request: Any) -> Any:
        response = super().ReadResource(request)  # type: ignore[no-untyped-call]
        self._file_output_stand_ins(response.urn)
        return response

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # Real URNs leave the root stack out of the type chain; the SDK's mock monitor does not.
        if parent and parent != self._stack_urn:
            type_ = parent.split("::")[2].split("$")[-1] + "$" + type_
        return "urn:pulumi:" + "::".join([pulumi.get_stack(), pulumi.get_project(), type_, name])

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type == STACK_TYPE:
            self._stack_urn = response.urn
            return response
        self._file_output_stand_ins(response.urn)
        source_file, source_line = _source(request)
        outputs = json_format.MessageToDict(response.object) if response.object else {}
        if request.additionalSecretOutputs and outputs:
            # The engine marks these outputs secret (e.g. RandomPassword.result, tls PrivateKey.privateKeyPem);
            # the SDK's mock monitor does not, so values derived from them would reach other resources unmarked.
            for key in request.additionalSecretOutputs:
                if key in outputs and not is_secret(outputs[key]):
                    outputs[key] = secret(outputs[key])
            response.object.Clear()
            response.object.update(outputs)
        self.registrations.append(
            Registration(
                urn=response.urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                parent="" if request.parent == self._stack_urn else request.parent,
                inputs=json_format.MessageToDict(request.object),
                outputs=outputs,
                id=response.id,
                provider=request.provider,
                dependencies=[d for d in request.dependencies if d != self._stack_urn],
                property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
                protect=bool(request.protect),
                retain_on_delete=bool(request.retainOnDelete),
                additional_secret_outputs=list(request.additionalSecretOutputs),
                ignore_changes=list(request.ignoreChanges),
                source_file=source_file,
                source_line=source_line,
            )
        )
        return response


@contextmanager
def _program_environment(project_dir: Path) -> Iterator[None]:
    """The program runs as under the Pulumi CLI: cwd is the project, its folder is importable.

    Modules the program imports from its own folder are forgotten afterwards, so that two programs
    with a module of the same name can be recorded in one process."""
    old_cwd, old_path = os.getcwd(), list(sys.path)
    before = set(sys.modules)
    root = str(project_dir.resolve())
    os.chdir(root)
    sys.path.insert(0, root)
    try:
        yield
    finally:
        os.chdir(old_cwd)
        sys.path[:] = old_path
        for name in set(sys.modules) - before:
            module_file = getattr(sys.modules[name], "__file__", None) or ""
            if module_file.startswith(root + os.sep) and not _is_library(module_file):
                del sys.modules[name]


def config_to_strings(config: Mapping[str, Any]) -> dict[str, str]:
    """Stack-file values as the CLI hands them to a program: strings, structured values as JSON."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}


def record_program(
    program: Path,
    project: str,
    stack: str,
    config: Mapping[str, Any],
    secret_keys: list[str] | None = None,
    preview: bool = False,
    stack_references: Mapping[str, StackOutputs] | None = None,
) -> Recording:
    """Runs `program` (a file, or a folder with `__main__.py`) under mocks and returns every registration, with
    every value the mocks stood in (`Recording.stand_ins`). `stack_references`: referenced stacks' outputs by name.

    Exceptions raised by the program propagate unchanged once every outstanding registration settled."""
    # Absolute: the program runs with its own folder as the working directory.
    main_file = (program / "__main__.py" if program.is_dir() else program).resolve()
    project_dir = main_file.parent
    mocks = RealisticMocks(preview, provider_defaults(config), stack_references, project_dir)
    monitor = RecordingMonitor(mocks)
    pulumi_settings.ROOT.set(None)
    pulumi_settings.SETTINGS.outputs.clear()
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=preview, monitor=monitor)
    pulumi.runtime.set_all_config(config_to_strings(config), secret_keys or [])

    exports: dict[str, Any] = {}

    async def run() -> None:
        runpy.run_path(str(main_file), run_name="__main__")
        root = pulumi_settings.get_root_resource()
        # Under mocks the root stack finished before the program ran, so read its exports directly.
        resolved = await pulumi.Output.from_input(getattr(root, "outputs", {})).future()
        exports.update(resolved or {})

    with _program_environment(project_dir):
        try:
            _sync_await(run_pulumi_func(run))
        except Exception as exc:
            # Callers (tests, the CLI) check that a failed program left nothing half-registered.
            exc.add_note(f"preflight: {len(monitor.registrations)} resources were registered before the error")
            exc.registrations = monitor.registrations  # type: ignore[attr-defined]
            raise
    stand_ins = sorted(set(mocks.stand_ins + monitor.output_stand_ins), key=lambda s: (s.kind, s.subject, s.detail))
    return Recording(project, stack, "program", in_stable_order(monitor.registrations), exports, stand_ins)


def in_stable_order(registrations: list[Registration]) -> list[Registration]:
    """Parents before children, siblings by URN: registration order under asyncio varies from run to run, and the
    same program must give the same report byte for byte."""
    children: dict[str, list[Registration]] = {}
    urns = {r.urn for r in registrations}
    for r in registrations:
        children.setdefault(r.parent if r.parent in urns else "", []).append(r)
    ordered: list[Registration] = []
    pending = sorted(children.get("", []), key=lambda r: r.urn, reverse=True)
    while pending:
        node = pending.pop()
        ordered.append(node)
        pending.extend(sorted(children.get(node.urn, []), key=lambda r: r.urn, reverse=True))
    seen = {id(r) for r in ordered}
    return ordered + sorted((r for r in registrations if id(r) not in seen), key=lambda r: r.urn)  # parent cycles


def struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(dict(value))
    return message
