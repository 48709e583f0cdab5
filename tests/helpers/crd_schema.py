"""Validate a custom resource offline against its CustomResourceDefinition, as the API server would.

`json_schema` turns one CRD version's `openAPIV3Schema` (OpenAPI 3.0 with Kubernetes' extensions) into a JSON Schema
(draft 7) for the `jsonschema` package; `crd_versions` lists a CRD's versions; `validation_errors`
validates an object with it, one line per error. Like `kubectl apply --validate=strict` (server-side field
validation), a field the schema does not declare is an error (`unknown field "spec.x"`) wherever the schema does
not preserve unknown fields; declared fields keep their types, enums, patterns, bounds and required lists.

Kubernetes' extensions, as k8s.io/apiextensions-apiserver applies them to a structural schema:
- `nullable: true` admits null. A null *field* that is not nullable is dropped before validation (the server prunes
  it, `PruneNonNullableNullsWithoutDefaults`, or puts the field's default, which is valid, in its place); a null
  list item is validated, so it fails.
- `x-kubernetes-int-or-string: true`: an integer or a string.
- `x-kubernetes-preserve-unknown-fields: true`: fields the node does not declare are kept unvalidated ("anything
  goes below"); the fields it declares are still validated, and are closed unless they preserve too.
- `x-kubernetes-embedded-resource: true`: apiVersion, kind and metadata (ObjectMeta) are allowed.
- `x-kubernetes-list-type`: a `set` has unique items, a `map` unique `x-kubernetes-list-map-keys`.
- The root's `metadata` is ObjectMeta, whose fields the server knows whatever the schema declares (labels are
  checked for the label syntax too).
- Logical junctors (allOf, anyOf, oneOf, not) only add value checks: no unknown-field check inside them.

Not evaluated: string `format`s, CEL rules (`x-kubernetes-validations`) and defaults (which the server validated when
the CRD was created). Any other keyword is a ValueError, so a schema using one fails loudly instead of passing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import jsonschema

# Keywords carried over unchanged (their meaning is the same in OpenAPI 3.0 and JSON Schema draft 7).
_SAME = {"enum", "pattern", "minLength", "maxLength", "minItems", "maxItems", "uniqueItems", "minProperties",
         "maxProperties", "multipleOf", "required"}  # fmt: skip
# Keywords read elsewhere here, or that do not constrain a value (format, CEL rules and defaults are not evaluated).
_HANDLED = {"type", "nullable", "properties", "additionalProperties", "items", "allOf", "anyOf", "oneOf", "not",
            "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "x-kubernetes-int-or-string",
            "x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource", "x-kubernetes-list-type",
            "x-kubernetes-list-map-keys", "x-kubernetes-map-type", "x-kubernetes-validations", "format", "default",
            "description", "title", "example", "externalDocs"}  # fmt: skip
_LABEL_VALUE = r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"
_LABEL_KEY = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
_STRING_MAP: dict[str, Any] = {"type": ["object", "null"], "additionalProperties": {"type": "string"}}
# ObjectMeta (k8s.io/apimachinery meta/v1), the fields a manifest may carry; every one may be null.
OBJECT_META: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        **{
            f: {"type": ["string", "null"]}
            for f in ("name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "creationTimestamp", "deletionTimestamp")
        },
        **{f: {"type": ["integer", "null"]} for f in ("generation", "deletionGracePeriodSeconds")},
        "labels": {
            **_STRING_MAP,
            "propertyNames": {"pattern": _LABEL_KEY, "maxLength": 317},
            "additionalProperties": {"type": "string", "maxLength": 63, "pattern": _LABEL_VALUE},
        },
        "annotations": _STRING_MAP,
        "finalizers": {"type": ["array", "null"], "items": {"type": "string"}},
        "ownerReferences": {"type": ["array", "null"], "items": {"type": "object"}},
        "managedFields": {"type": ["array", "null"], "items": {"type": "object"}},
    },
}
_EMBEDDED = {"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": OBJECT_META}


def json_schema(node: Mapping[str, Any], root: bool = True, junctor: bool = False, kept: bool = False) -> dict[str, Any]:
    """One `openAPIV3Schema` (or a node of it) as JSON Schema draft 7. `junctor`: the node is inside allOf/anyOf/
    oneOf/not, where a structural schema only adds value checks (no types of its own, no unknown-field check).
    `kept`: an item of a list that preserves unknown fields, which the server's pruning treats as preserving too."""
    unknown = set(node) - _SAME - _HANDLED
    if unknown:
        raise ValueError(f"CRD schema keyword(s) {sorted(unknown)} are not handled by tests/helpers/crd_schema.py")
    out: dict[str, Any] = {k: node[k] for k in _SAME if k in node}
    types = ["integer", "string"] if node.get("x-kubernetes-int-or-string") else [node["type"]] if "type" in node else []
    if types:
        out["type"] = [*types, "null"] if node.get("nullable") else types[0] if len(types) == 1 else types
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if bound in node:
            out[exclusive if node.get(exclusive) else bound] = node[bound]  # OpenAPI 3.0: exclusive* is a boolean
    properties = {k: json_schema(v, False, junctor) for k, v in (node.get("properties") or {}).items()}
    if node.get("x-kubernetes-embedded-resource"):
        properties = {**_EMBEDDED, **properties}
    if root:
        declared = (node.get("properties") or {}).get("metadata") or {}
        properties["metadata"] = {**OBJECT_META, "properties": {**OBJECT_META["properties"], **_meta_limits(declared)}}
    if properties:
        out["properties"] = properties
    additional = node.get("additionalProperties")
    if isinstance(additional, Mapping):
        out["additionalProperties"] = json_schema(additional, False, junctor)
    elif isinstance(additional, bool):
        out["additionalProperties"] = additional
    elif node.get("type") == "object" and not junctor and not _preserves(node, kept):
        out["additionalProperties"] = False
    if isinstance(node.get("items"), Mapping):
        out["items"] = json_schema(node["items"], False, junctor, _preserves(node, kept))
    for logical in ("allOf", "anyOf", "oneOf"):
        if logical in node:
            out[logical] = [json_schema(branch, False, True) for branch in node[logical]]
    if "not" in node:
        out["not"] = json_schema(node["not"], False, True)
    if node.get("x-kubernetes-list-type") == "set":
        out["uniqueItems"] = True
    elif node.get("x-kubernetes-list-type") == "map":
        out["x-kubernetes-list-map-keys"] = list(node.get("x-kubernetes-list-map-keys") or [])
    return out


def _preserves(node: Mapping[str, Any], kept: bool) -> bool:
    return kept or bool(node.get("x-kubernetes-preserve-unknown-fields"))


def _meta_limits(declared: Mapping[str, Any]) -> dict[str, Any]:
    """What a CRD may restrict about its objects' metadata: name and generateName (the rest is ObjectMeta's)."""
    return {k: json_schema(v, False, True) for k, v in (declared.get("properties") or {}).items() if k in ("name", "generateName")}


def _unique_map_keys(validator: Any, keys: list[str], instance: Any, schema: Mapping[str, Any]) -> Iterator[Any]:
    """`x-kubernetes-list-type: map`: no two items with the same values of the list's map keys."""
    if not isinstance(instance, list):
        return
    seen: list[Any] = []
    for item in instance:
        key = {k: item.get(k) for k in keys} if isinstance(item, dict) else item
        if key in seen:
            yield jsonschema.ValidationError(f"duplicate entry with {key}")
        seen.append(key)


Validator = jsonschema.validators.extend(jsonschema.Draft7Validator, {"x-kubernetes-list-map-keys": _unique_map_keys})


def crd_versions(crd: Mapping[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> the CRD's entry for that version (name, served, storage, schema.openAPIV3Schema, ...)."""
    spec = crd["spec"]
    return {(f"{spec['group']}/{version['name']}", spec["names"]["kind"]): dict(version) for version in spec["versions"]}


def _child(node: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    """The schema of field `key` of an object node: its declared property, else a map's `additionalProperties`."""
    declared = (node.get("properties") or {}).get(key)
    additional = node.get("additionalProperties")
    return declared if declared is not None else additional if isinstance(additional, Mapping) else None


def prune_nulls(value: Any, node: Mapping[str, Any] | None) -> Any:
    """`value` without the null fields that are not nullable: the API server drops them before validating, or
    replaces them with their default (valid by construction)."""
    if node is None:
        return value
    if isinstance(value, dict):
        kept = {}
        for key, item in value.items():
            sub = _child(node, key)
            if item is None and sub is not None and not sub.get("nullable"):
                continue
            kept[key] = prune_nulls(item, sub)
        return kept
    if isinstance(value, list):
        return [prune_nulls(item, node.get("items")) for item in value]
    return value


def _path(parts: Any) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).lstrip(".")


def validation_errors(obj: Mapping[str, Any], openapi: Mapping[str, Any]) -> list[str]:
    """Every error of `obj` against one CRD version's openAPIV3Schema, as `path: message`, sorted."""
    instance = prune_nulls(dict(obj), openapi)
    errors: list[str] = []
    for error in Validator(json_schema(openapi)).iter_errors(instance):
        where = _path(error.absolute_path)
        if error.validator == "additionalProperties" and error.validator_value is False:
            declared = error.schema.get("properties") or {}
            errors += [f'unknown field "{_path([*error.absolute_path, k])}"' for k in error.instance if k not in declared]
        else:
            errors.append(f"{where or '(root)'}: {error.message}")
    return sorted(errors)


def preserved(value: Any, node: Mapping[str, Any], path: str = "", kept: bool = False) -> Iterator[tuple[str, Any]]:
    """(path, value) of every part of `value` the schema leaves unvalidated: a field that a node preserving unknown
    fields does not declare, or all of such a node when it declares none (ECK's `podTemplate` and `config`)."""
    keep = _preserves(node, kept)
    properties, additional, items = node.get("properties") or {}, node.get("additionalProperties"), node.get("items")
    if keep and not properties and not isinstance(additional, Mapping) and not isinstance(items, Mapping):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            sub = _child(node, key)
            where = f"{path}.{key}".lstrip(".")
            if sub is not None:
                yield from preserved(item, sub, where)
            elif keep:
                yield where, item
    elif isinstance(value, list) and isinstance(items, Mapping):
        for i, item in enumerate(value):
            yield from preserved(item, items, f"{path}[{i}]", keep)
