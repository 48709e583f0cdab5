"""tests/helpers/crd_schema.py on a tiny hand-written CRD: each Kubernetes extension, offline."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.helpers.crd_schema import crd_versions, json_schema, preserved, validation_errors

PORTS = {
    "type": "array",
    "x-kubernetes-list-type": "map",
    "x-kubernetes-list-map-keys": ["port", "protocol"],
    "items": {"type": "object", "properties": {"port": {"type": "integer"}, "protocol": {"type": "string"}}},
}
SPEC = {
    "type": "object",
    "required": ["size"],
    "properties": {
        "size": {"type": "integer", "format": "int32", "minimum": 1, "maximum": 5, "exclusiveMaximum": True},
        "port": {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]},
        "note": {"type": "string", "nullable": True},
        "mode": {"type": "string", "enum": ["a", "b"]},
        "level": {"type": "string", "enum": ["info", "debug"], "default": "info"},
        "short": {"type": "string", "allOf": [{"maxLength": 3}]},
        "config": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        "template": {
            "type": "object",
            "x-kubernetes-preserve-unknown-fields": True,
            "properties": {"replicas": {"type": "integer"}, "selector": {"type": "object", "properties": {"app": {"type": "string"}}}},
        },
        "pipelines": {"type": "array", "x-kubernetes-preserve-unknown-fields": True, "items": {"type": "object"}},
        "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
        "ports": PORTS,
        "env": {"type": "object", "additionalProperties": {"type": "string"}},
        "embedded": {"type": "object", "x-kubernetes-embedded-resource": True, "properties": {"spec": {"type": "object"}}},
    },
}
CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "names": {"kind": "Widget", "plural": "widgets"},
        "scope": "Namespaced",
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "apiVersion": {"type": "string"},
                            "kind": {"type": "string"},
                            "metadata": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 10}}},
                            "spec": SPEC,
                        },
                    }
                },
            },
            {"name": "v1beta1", "served": False, "storage": False, "schema": {"openAPIV3Schema": {"type": "object"}}},
        ],
    },
}
SCHEMA = CRD["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
WIDGET: dict[str, Any] = {
    "apiVersion": "example.com/v1",
    "kind": "Widget",
    "metadata": {"name": "w", "namespace": "ns", "labels": {"app.kubernetes.io/name": "w"}, "annotations": {"a": "any text"}},
    "spec": {
        "size": 4,
        "port": "http",
        "note": None,
        "mode": "a",
        "short": "abc",
        "config": {"anything": {"goes": [1, "below"]}},
        "template": {"replicas": 2, "selector": {"app": "w"}, "undeclared": {"kept": True}},
        "pipelines": [{"pipeline.id": "main", "queue.type": "persisted"}],
        "tags": ["x", "y"],
        "ports": [{"port": 80, "protocol": "TCP"}, {"port": 80, "protocol": "UDP"}],
        "env": {"A": "1"},
        "embedded": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "spec": {}},
    },
}


def errors_with(path: str, value: Any) -> list[str]:
    """The errors of WIDGET with `value` at the dotted `path` (numbers index lists)."""
    obj = copy.deepcopy(WIDGET)
    *parents, last = path.split(".")
    node: Any = obj
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    node[int(last) if last.isdigit() else last] = value
    return validation_errors(obj, SCHEMA)


def test_a_valid_object_has_no_errors() -> None:
    assert validation_errors(WIDGET, SCHEMA) == []
    versions = crd_versions(CRD)
    assert {key: v["served"] for key, v in versions.items()} == {
        ("example.com/v1", "Widget"): True,
        ("example.com/v1beta1", "Widget"): False,
    }
    assert versions[("example.com/v1", "Widget")]["schema"]["openAPIV3Schema"] is SCHEMA


@pytest.mark.parametrize(
    ("path", "value", "error"),
    [
        # A field the schema does not declare, where it does not preserve unknown fields (kubectl --validate=strict).
        ("spec.sise", 3, 'unknown field "spec.sise"'),
        ("spec.template.selector.ap", "w", 'unknown field "spec.template.selector.ap"'),
        ("spec.ports.0.name", "http", 'unknown field "spec.ports[0].name"'),
        ("spec.embedded.spec.x", 1, 'unknown field "spec.embedded.spec.x"'),
        ("metadata.nmae", "w", 'unknown field "metadata.nmae"'),
        # Types, bounds, enums, required, and the CRD's own restriction of metadata.name.
        ("spec.size", "3", "spec.size: '3' is not of type 'integer'"),
        ("spec.size", 5, "spec.size: 5 is greater than or equal to the maximum of 5"),
        ("spec.mode", "c", "spec.mode: 'c' is not one of ['a', 'b']"),
        ("spec.short", "abcd", "spec.short: 'abcd' is too long"),
        ("spec.env.A", 1, "spec.env.A: 1 is not of type 'string'"),
        ("metadata.name", "much-too-long", "metadata.name: 'much-too-long' is too long"),
        ("metadata.labels", {"app": "not valid"}, "metadata.labels.app: 'not valid' does not match"),
        # x-kubernetes-int-or-string: an integer or a string, nothing else.
        ("spec.port", 1.5, "spec.port: 1.5 is not of type 'integer', 'string'"),
        # A null list item is validated (only null fields are pruned).
        ("spec.tags", ["x", None], "spec.tags[1]: None is not of type 'string'"),
        # x-kubernetes-list-type set and map.
        ("spec.tags", ["x", "x"], "spec.tags: ['x', 'x'] has non-unique elements"),
        ("spec.ports", [{"port": 80, "protocol": "TCP"}] * 2, "spec.ports: duplicate entry with {'port': 80, 'protocol': 'TCP'}"),
        ("spec.embedded.metadata", {"labels": {"a": "b c"}}, "spec.embedded.metadata.labels.a: 'b c' does not match"),
    ],
)
def test_a_flawed_copy_is_rejected(path: str, value: Any, error: str) -> None:
    found = errors_with(path, value)
    assert any(e.startswith(error) for e in found), found


def test_a_missing_required_field_is_an_error() -> None:
    obj = copy.deepcopy(WIDGET)
    del obj["spec"]["size"]
    assert validation_errors(obj, SCHEMA) == ["spec: 'size' is a required property"]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("spec.port", 8080),  # int-or-string
        ("spec.note", None),  # nullable
        ("spec.mode", None),  # a null field that is not nullable: the API server prunes it before validating
        ("spec.level", None),  # ... or, when it has a default, puts that in its place
        ("spec.config", {"deep": {"er": [{"x": None}]}}),  # preserve-unknown-fields: anything goes below
        ("spec.template.more", {"x": 1}),  # undeclared fields of a preserving node are kept
        ("spec.pipelines", [{"any": "setting"}, {}]),  # a preserving list preserves its items' unknown fields too
        ("spec.size", 4.0),  # mocked numbers arrive as floats; the wire sends an integral one as an integer
    ],
)
def test_what_kubernetes_accepts_passes(path: str, value: Any) -> None:
    assert errors_with(path, value) == []


def test_preserved_lists_what_the_schema_leaves_unvalidated() -> None:
    assert [path for path, _ in preserved(WIDGET, SCHEMA)] == [
        "spec.config",
        "spec.template.undeclared",
        "spec.pipelines[0]",
    ]


def test_an_unknown_schema_keyword_fails_loudly() -> None:
    with pytest.raises(ValueError, match="patternProperties"):
        json_schema({"type": "object", "patternProperties": {"^a": {"type": "string"}}})
