"""The result and output types of the installed provider SDKs, read from their Python classes.

An invoke token `aws:ec2/getAmi:getAmi` names the function `pulumi_aws.ec2.get_ami`, whose return annotation
(`AwaitableGetAmiResult`) has one `@pulumi.getter(name=...)` property per result field, typed with nested
`@pulumi.output_type` classes, sequences, mappings and Optional. A resource type `aws:eks/cluster:Cluster` names the
class `pulumi_aws.eks.Cluster`, whose `Output[...]` properties are its outputs, and `ClusterArgs` its inputs.
Schemas are cached per token; nested objects are read to `MAX_DEPTH`.
"""

from __future__ import annotations

import enum
import functools
import importlib
import inspect
import keyword
import sys
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

import pulumi

MAX_DEPTH = 4
_PULUMI_NAME = "_pulumi_name"  # the attribute pulumi.getter sets on a property's fget (pulumi/_types.py)


@dataclass(frozen=True)
class Scalar:
    kind: str  # "str" | "int" | "float" | "bool" | "any"
    choices: tuple[str, ...] = ()  # enum values, when the type is a str enum


@dataclass(frozen=True)
class ListOf:
    item: Node


@dataclass(frozen=True)
class MapOf:
    item: Node


@dataclass(frozen=True)
class Field:
    wire: str
    node: Node
    optional: bool


@dataclass(frozen=True)
class Obj:
    name: str
    fields: tuple[Field, ...]


Node = Scalar | ListOf | MapOf | Obj


def _wire_properties(cls: type) -> dict[str, Any]:
    """Wire name -> return annotation of each `@pulumi.getter` property of `cls` (and its bases)."""
    globalns: dict[str, Any] = {}
    for base in reversed(cls.__mro__):
        module = sys.modules.get(base.__module__)
        if module is not None:
            globalns.update(vars(module))
    localns = {"Output": pulumi.Output, "T": type(None)}
    hints: dict[str, Any] = {}
    for base in reversed(cls.__mro__):
        for value in vars(base).values():
            if isinstance(value, property) and value.fget is not None and hasattr(value.fget, _PULUMI_NAME):
                try:
                    hint = typing.get_type_hints(value.fget, globalns=globalns, localns=localns).get("return")
                except (NameError, TypeError, AttributeError):
                    hint = None
                if hint is not None:
                    hints[getattr(value.fget, _PULUMI_NAME)] = hint
    return hints


def _unwrap(hint: Any) -> tuple[Any, bool]:
    """(T, optional) for Output[T], Input[T], Optional[T] and unions (first non-None member)."""
    optional = False
    while True:
        origin = typing.get_origin(hint)
        if origin is pulumi.Output:
            hint = typing.get_args(hint)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in typing.get_args(hint) if a is not type(None)]
            optional = optional or len(members) < len(typing.get_args(hint))
            hint = members[0] if members else Any
        else:
            return hint, optional


def _node(hint: Any, depth: int, seen: tuple[type, ...]) -> Node | None:
    hint, _ = _unwrap(hint)
    origin = typing.get_origin(hint)
    if origin is not None:
        args = typing.get_args(hint)
        if origin in (list, tuple, Sequence, typing.Sequence) or (isinstance(origin, type) and issubclass(origin, Sequence)):
            item = _node(args[0], depth, seen) if args else Scalar("any")
            return ListOf(item) if item is not None else None
        if origin in (dict, Mapping, typing.Mapping) or (isinstance(origin, type) and issubclass(origin, Mapping)):
            item = _node(args[1], depth, seen) if len(args) == 2 else Scalar("any")
            return MapOf(item if item is not None else Scalar("any"))
        return Scalar("any")
    if hint is bool:
        return Scalar("bool")
    if hint is int:
        return Scalar("int")
    if hint is float:
        return Scalar("float")
    if hint is str:
        return Scalar("str")
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return Scalar("str", tuple(str(m.value) for m in hint))
    if isinstance(hint, type) and pulumi._types.is_output_type(hint):
        if depth >= MAX_DEPTH or hint in seen:
            return None
        return _object(hint, depth + 1, (*seen, hint))
    return Scalar("any")


def _object(cls: type, depth: int, seen: tuple[type, ...]) -> Obj:
    fields = []
    for wire, hint in _wire_properties(cls).items():
        _, optional = _unwrap(hint)
        node = _node(hint, depth, seen)
        if node is not None:
            fields.append(Field(wire, node, optional))
    return Obj(cls.__name__, tuple(fields))


def _split(token: str) -> tuple[str, str, str] | None:
    parts = token.split(":")
    if len(parts) != 3:
        return None
    return parts[0], parts[1], parts[2]


def _modules_for(token: str) -> list[Any]:
    split = _split(token)
    if split is None:
        return []
    package, mod, _ = split
    root = "pulumi_" + package.replace("-", "_")
    # A module named like a Python keyword is generated with a trailing underscore (pulumi_aws.lambda_); a Kubernetes
    # API group is its first label (rbac.authorization.k8s.io/v1 -> pulumi_kubernetes.rbac.v1).
    pieces = [p.split(".")[0] for p in mod.split("/") if p]
    pieces = [p + "_" if keyword.iskeyword(p) else p for p in pieces]
    names = [root] if not pieces or pieces[0] == "index" else [f"{root}.{'.'.join(pieces)}", f"{root}.{pieces[0]}", root]
    modules = []
    for name in names:
        try:
            modules.append(load_module(name))
        except ImportError:
            continue
    return modules


def load_module(name: str) -> Any:
    """The module `name`, loaded, each package above it loaded first, as a program's attribute access loads them.

    The SDKs' packages are lazy (pulumi._utils.lazy_import). Importing `pulumi_aws.eks.cluster` under a still-lazy
    `pulumi_aws.eks` runs the package's `__init__` in the middle of cluster.py (at its `from . import outputs`), so the
    package re-exports nothing of cluster.py and `pulumi_aws.eks.Cluster` is missing for the rest of the process."""
    pieces = name.split(".")
    module: Any = None
    for end in range(1, len(pieces) + 1):
        module = importlib.import_module(".".join(pieces[:end]))
        getattr(module, "_preflight_load", None)  # any attribute but the introspection ones loads a lazy module
    return module


def _normal(name: str) -> str:
    return name.replace("_", "").lower()


@functools.cache
def invoke_function(token: str) -> Any:
    """The SDK function for an invoke token (`aws:ec2/getAmi:getAmi` -> pulumi_aws.ec2.get_ami), or None."""
    split = _split(token)
    if split is None:
        return None
    wanted = _normal(split[2])
    for module in _modules_for(token):  # loaded (load_module): dir() lists a lazy module's members only once loaded
        for name in dir(module):
            if _normal(name) == wanted:
                member = getattr(module, name)
                if inspect.isfunction(member):
                    return member
    return None


@functools.cache
def resource_class(type_token: str) -> type | None:
    """The SDK class for a resource type token (`aws:eks/cluster:Cluster` -> pulumi_aws.eks.Cluster), or None."""
    split = _split(type_token)
    if split is None:
        return None
    for module in _modules_for(type_token):
        member = getattr(module, split[2], None)
        if isinstance(member, type) and issubclass(member, pulumi.Resource):
            return member
    return None


@functools.cache
def invoke_schema(token: str) -> Obj | None:
    """The result shape of an invoke, from its function's return annotation; None when no SDK function is found."""
    function = invoke_function(token)
    if function is None:
        return None
    try:
        result = typing.get_type_hints(function).get("return")
    except (NameError, TypeError):
        return None
    if not isinstance(result, type):
        return None
    return _object(result, 1, (result,))


@dataclass(frozen=True)
class ResourceSchema:
    outputs: Obj
    inputs: frozenset[str]


@functools.cache
def resource_schema(type_token: str) -> ResourceSchema | None:
    """Output properties of a resource type and the names of its input properties; None when no class is found."""
    cls = resource_class(type_token)
    if cls is None:
        return None
    module = sys.modules[cls.__module__]
    # pulumi_kubernetes names a resource's args `<Kind>InitArgs`; the other SDKs `<Kind>Args`.
    args_cls = getattr(module, f"{cls.__name__}Args", None) or getattr(module, f"{cls.__name__}InitArgs", None)
    inputs = frozenset(_wire_properties(args_cls)) if isinstance(args_cls, type) else frozenset()
    outputs = _object(cls, 1, (cls,))
    return ResourceSchema(outputs, inputs)
