"""How the Terraform providers encode what they compute, for the data sources preflight computes offline.

The Terraform plugin SDK keeps blocks declared as sets (principals, conditions, bindings, and the strings inside them)
in an order visible in the rendered JSON: elements ordered by the decimal string of the CRC-32 of their hash
serialisation (`set_list`). The providers render JSON with Go's encoding/json (`go_json`).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from pulumi.runtime import rpc

T = TypeVar("T")


class PolicyDocumentError(ValueError):
    """The provider would fail the invoke with this message (duplicate Sid, invalid JSON, bad version...)."""

    def __init__(self, prop: str, message: str) -> None:
        super().__init__(message)
        self.prop = prop


def hashcode(text: str) -> str:
    # terraform-plugin-sdk/v2 helper/schema/set.go: Set.hash -> strconv.Itoa(crc32.ChecksumIEEE(serialisation)).
    return str(zlib.crc32(text.encode("utf-8")))


def set_list(items: Sequence[T], serialise: Callable[[T], str]) -> list[T]:
    """The elements of a Terraform set as `Set.List()` returns them: deduplicated by hash, ordered by the hash's
    decimal string (helper/schema/set.go `listCode` sorts the string keys)."""
    by_code: dict[str, T] = {}
    for item in items:
        by_code.setdefault(hashcode(serialise(item)), item)
    return [by_code[code] for code in sorted(by_code)]


def string_set(values: Sequence[str], hash_string: bool = False) -> list[str]:
    """A set of strings in set order. Without a `Set` function in the schema the SDK hashes with HashSchema, which
    serialises a string as "v;" (helper/schema/schema.go ZeroValue, serialize.go); `Set: schema.HashString` (GCP
    binding members) hashes "v"."""
    return set_list(values, (lambda v: v) if hash_string else (lambda v: v + ";"))


def serialise_string_set(values: Sequence[str], hash_string: bool = False) -> str:
    # serialize.go SerializeValueForHash, TypeSet of TypeString: "{" + "v;" per element in set order + "};"
    return "{" + "".join(v + ";" for v in string_set(values, hash_string)) + "};"


def go_json(value: Any, indent: bool) -> str:
    """`json.MarshalIndent(v, "", "  ")` / `json.Marshal(v)` of already-ordered data: Go escapes <, >, & and the
    line/paragraph separators, and writes non-ASCII text as is."""
    if indent:
        text = json.dumps(value, ensure_ascii=False, indent=2, separators=(",", ": "))
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text


def go_number(value: Any) -> Any:
    """Numbers decoded into Go `any` are float64 and re-encode without a fraction when integral."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, list):
        return [go_number(v) for v in value]
    if isinstance(value, dict):
        return {k: go_number(v) for k, v in value.items()}
    return value


def plain(value: Any) -> Any:
    """Invoke arguments with the SDK's secret wrappers removed (the provider sees the plain values)."""
    if rpc.is_rpc_secret(value):
        return plain(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def tf_string(value: Any) -> str:
    """A Terraform string attribute given a Pulumi value: numbers and bools convert as cty does."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [tf_string(v) for v in value if v is not None]
    return [tf_string(value)]


def go_field(obj: Mapping[str, Any], name: str) -> Any:
    """encoding/json matches object keys to struct fields exactly first, then case-insensitively."""
    if name in obj:
        return obj[name]
    found = None
    for key, value in obj.items():
        if key.lower() == name.lower():
            found = value
    return found
