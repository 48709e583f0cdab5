"""Record stage: run a Pulumi Python program under the SDK's mocks and keep every registration."""

from __future__ import annotations

import copy
import json
import os
import runpy
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pulumi
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from preflight.heap import young_collections_only
from preflight.record.mocks import RealisticMocks, fields, provider_defaults
from preflight.record.recording import STACK_TYPE, Recording, Registration, StandIn
from preflight.record.stack_references import StackOutputs
from preflight.secrets import RESOURCE_SIG, SECRET_PLACEHOLDER, SIG_KEY, UNKNOWN, is_secret, secret


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


def _downgraded(value: Any) -> Any:
    """`value` with each resource reference replaced by the resource's id (a custom resource) or URN (a component),
    as the engine hands it to a provider that does not accept resources."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == RESOURCE_SIG:
            return (value["id"] or UNKNOWN) if "id" in value else value["urn"]
        return {k: _downgraded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_downgraded(v) for v in value]
    return value


def _without_resource_references(request: Any, field_name: str) -> Any:
    """The request for the SDK's MockMonitor, its properties free of resource references.

    The SDK calls the monitor through `loop.run_in_executor`, so on a pool thread; there MockMonitor calls
    `_ensure_event_loop()`, which gives that thread a loop of its own, and `rpc.deserialize_properties` turns each
    resource reference back into a live Resource (`resource_module.construct`), whose futures, `get resource` RPC and
    Output tasks belong to that thread's loop, a loop that runs only while a later mock call on the same thread
    happens to pump it. The program's loop then awaits them: already done, the run passes; still pending,
    `RuntimeError: ... attached to a different loop`, or a hang. Ids and URNs create nothing."""
    properties = json_format.MessageToDict(getattr(request, field_name))
    plain = _downgraded(properties)
    if plain == properties:
        return request
    copy = type(request)()
    copy.CopyFrom(request)
    getattr(copy, field_name).Clear()
    getattr(copy, field_name).update(plain)
    return copy


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
        response = super().ReadResource(_without_resource_references(request, "properties"))  # type: ignore[no-untyped-call]
        self._file_output_stand_ins(response.urn)
        return response

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # Real URNs leave the root stack out of the type chain; the SDK's mock monitor does not.
        if parent and parent != self._stack_urn:
            type_ = parent.split("::")[2].split("$")[-1] + "$" + type_
        return "urn:pulumi:" + "::".join([pulumi.get_stack(), pulumi.get_project(), type_, name])

    def Invoke(self, request: Any) -> Any:
        return super().Invoke(_without_resource_references(request, "args"))  # type: ignore[no-untyped-call]

    def RegisterResource(self, request: Any) -> Any:
        # The recording keeps the inputs as sent, resource references included; the mocks get ids and URNs.
        response = super().RegisterResource(_without_resource_references(request, "object"))  # type: ignore[no-untyped-call]
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
                # Sorted: the SDK lists them from a set, in an order that varies from process to process.
                dependencies=sorted(d for d in request.dependencies if d != self._stack_urn),
                property_dependencies={k: sorted(v.urns) for k, v in request.propertyDependencies.items()},
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


# What a program reads, offline, for an encrypted value it asks for by type: the stand-in string cannot be parsed as
# one, so each typed getter of pulumi.Config returns a plausible value of its type instead (the smallest positive
# number: a count, a size, a port or a number of days of 0 is rarely valid), and the stand-in says so. The object
# getter cannot know the type; a Pulumi.yaml `type:` declaration types the stand-in (preflight/record/project.py).
_TYPED_STAND_INS: dict[str, Any] = {"_get_bool": False, "_get_int": 1, "_get_float": 1.0, "_get_object": {}}


@contextmanager
def _typed_stand_ins(stand_ins: list[StandIn]) -> Iterator[list[StandIn]]:
    """pulumi.Config's typed getters, for a value that is the secret stand-in, return `_TYPED_STAND_INS`'s value; the
    list yielded is `stand_ins` with the detail of each key read so naming the type and the value the program saw."""
    originals = {name: getattr(pulumi.Config, name) for name in _TYPED_STAND_INS}
    read: dict[str, str] = {}

    def typed(name: str) -> Any:
        def getter(self: pulumi.Config, key: str, *args: Any) -> Any:
            if self._get(key) != SECRET_PLACEHOLDER:
                return originals[name](self, key, *args)
            value = copy.deepcopy(_TYPED_STAND_INS[name])
            read[self.full_key(key)] = f"read as {name.removeprefix('_get_')}: the program saw {json.dumps(value)}"
            return value

        return getter

    result: list[StandIn] = []
    for name in _TYPED_STAND_INS:
        setattr(pulumi.Config, name, typed(name))
    try:
        yield result
    finally:
        for name, original in originals.items():
            setattr(pulumi.Config, name, original)
        result += [replace(s, detail=f"{s.detail}; {read[s.subject]}") if s.subject in read else s for s in stand_ins]


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
    stand_ins: list[StandIn] | None = None,
    stack_references: Mapping[str, StackOutputs] | None = None,
) -> Recording:
    """Runs `program` (a file, or a folder with `__main__.py`) under mocks and returns every registration, with
    every value the mocks stood in (`Recording.stand_ins`). `stack_references`: referenced stacks' outputs by name.

    `stand_ins` are the made-up values the program is given (a stack file's undecrypted secrets); the recording
    lists them. Exceptions raised by the program propagate unchanged once every outstanding registration settled."""
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

    with _program_environment(project_dir), _typed_stand_ins(list(stand_ins or [])) as read_stand_ins, young_collections_only():
        try:
            _sync_await(run_pulumi_func(run))
        except Exception as exc:
            # Callers (tests, the CLI) check that a failed program left nothing half-registered.
            exc.add_note(f"preflight: {len(monitor.registrations)} resources were registered before the error")
            exc.registrations = monitor.registrations  # type: ignore[attr-defined]
            raise
    every_stand_in = set(read_stand_ins) | set(mocks.stand_ins) | set(monitor.output_stand_ins)
    ordered = sorted(every_stand_in, key=lambda s: (s.kind, s.subject, s.detail))
    return Recording(project, stack, "program", in_stable_order(monitor.registrations), exports, ordered)


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
