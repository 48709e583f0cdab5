"""Tolerant property access: values that may be missing, unknown in a preview, or written in several shapes."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UnknownValueError

from policies.examined import probe


def get(value: Any, *path: str | int, default: Any = None) -> Any:
    """`value[path0][path1]...`, or `default` when a step is missing; unknown values still raise."""
    for step in path:
        if isinstance(step, int):
            if not is_list(value) or step >= len(value):
                return default
            value = value[step]
        else:
            if not isinstance(value, Mapping) or step not in value:
                return default
            value = value[step]
        if value is None:
            return default
    return value


def known(value: Any, *path: str | int, default: Any = None) -> Any:
    """Like `get`, but an unknown value gives `default` (used for join keys, where unknown means 'no match')."""
    try:
        return get(value, *path, default=default)
    except UnknownValueError:
        return default


def dotted_items(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted path, value) of every node of a settings tree, however its keys are spelled: `a.b.c`, `a: {b: {c}}` or
    any mix (`a: {b.c}`), as Elasticsearch, Kibana, Logstash, the Beats and Fluent Bit's YAML all read them."""
    if path:
        yield path, value
    if isinstance(value, Mapping):
        for key, child in value.items():
            yield from dotted_items(child, f"{path}.{key}" if path else str(key))


def flat(value: Any) -> dict[str, Any]:
    """A settings tree as {dotted key: leaf} (`queue: {type: persisted}` and `queue.type: persisted` alike)."""
    return {path: v for path, v in dotted_items(value) if not isinstance(v, Mapping)}


def is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def as_list(value: Any) -> list[Any]:
    """A list for list-or-object fields (the provider SDKs accept either in several places)."""
    if value is None:
        return []
    if is_list(value):
        return list(value)
    return [value]


def number(value: Any) -> float | None:
    """Numbers arrive as floats (protobuf Struct), sometimes as strings."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in ("true", "on", "yes", "enabled", "1")
    return False


def falsy(value: Any) -> bool:
    """Explicitly switched off (absent is not falsy)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, str):
        return value.strip().lower() in ("false", "off", "no", "disabled", "0")
    return False


def plain(value: Any) -> Any:
    """A deep copy as plain dicts and lists; unknown values raise."""
    if isinstance(value, Mapping):
        return {str(k): plain(value[k]) for k in value}
    if is_list(value):
        return [plain(v) for v in value]
    return value


def json_document(value: Any) -> dict[str, Any] | None:
    """An IAM/bucket/key policy given as a JSON string (or already an object). None when absent or invalid."""
    if value is None or value == "":
        return None
    if isinstance(value, Mapping):
        return plain(value)  # type: ignore[no-any-return]
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None


def strings(value: Any) -> list[str]:
    return [str(v) for v in as_list(value) if v is not None]


def deps(resource: PolicyResource, prop: str, *types: str) -> list[PolicyResource]:
    """Resources of `types` that property `prop` depends on (known even in a preview)."""
    return [d for d in resource.property_dependencies.get(prop, []) if not types or d.resource_type in types]


@probe
def ids_of(resource: PolicyResource, *props: str) -> set[str]:
    """Known identifying values of a resource (name, id, ARN...), for joining on references by value."""
    found: set[str] = set()
    for prop in props:
        value = known(resource.props, prop)
        if isinstance(value, str) and value:
            found.add(value)
    return found


def provider_key(resource: PolicyResource) -> str:
    """Which cluster or account a resource lands in: its provider's URN ('' for the default provider)."""
    return resource.provider.urn if resource.provider is not None else ""
