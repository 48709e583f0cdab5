"""Property-based mutations of the example stacks: every broken stack is a clean, named error.

A forked stack file edited by hand is the most common input logmesh sees. Each mutation below either still
describes a valid stack (then it builds) or fails with `ConfigError` whose every line names a `logmesh:` key
path, with no traceback and no resource registered.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.config.schema import ConfigError
from preflight.errors import InputError
from preflight.record.project import Project, load_stack_config
from tests.helpers.harness import PROJECT, STACKS, run, stack_config

KEY_PATH = re.compile(r'^logmesh:([a-z_]+|\["(?:[^"\\]|\\.)*"\])(\[\d+\]|\.[A-Za-z_][A-Za-z0-9_-]*|\["(?:[^"\\]|\\.)*"\])*: \S')
FUZZ = settings(
    max_examples=500,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=80),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=8), st.integers(), max_size=3),
)
NAME_FIELDS = ("name", "store", "cluster")


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key/index path into a config value (containers and leaves)."""
    found = [path] if path else []
    if isinstance(value, dict):
        for k, v in value.items():
            found += _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += _paths(v, (*path, i))
    return found


def _parent(config: dict[str, Any], path: tuple[Any, ...]) -> Any:
    target: Any = config
    for part in path[:-1]:
        target = target[part]
    return target


@st.composite
def mutated_stacks(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    stack = draw(st.sampled_from(STACKS))
    config = stack_config(stack)
    kind = draw(st.sampled_from(["type", "delete", "unknown", "duplicate", "dangling", "number", "name"]))
    paths = _paths(config)
    if kind == "type":
        path = draw(st.sampled_from(paths))
        _parent(config, path)[path[-1]] = draw(ANY_VALUE)
    elif kind == "delete":
        path = draw(st.sampled_from(paths))
        parent = _parent(config, path)
        del parent[path[-1]]
    elif kind == "unknown":
        dicts = [()] + [p for p in paths if isinstance(_parent(config, (*p, "")), dict)]
        where = draw(st.sampled_from(dicts))
        target = _parent(config, (*where, ""))
        key = draw(st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12))
        key = f"logmesh:{key}" if where == () else key
        if key in target:
            key += "_x"
        target[key] = draw(ANY_VALUE)
    elif kind == "duplicate":
        section = draw(st.sampled_from(["logmesh:stores", "logmesh:clusters"]))
        items = config[section]
        items.append(dict(draw(st.sampled_from(items))))
    elif kind == "dangling":
        section = draw(st.sampled_from(["logmesh:stores", "logmesh:clusters"]))
        item = draw(st.sampled_from(config[section]))
        field = "cluster" if section == "logmesh:stores" else "store"
        item[field] = draw(st.sampled_from(["nowhere", "prod-eks-use9", "gcp-main-2"]))
    elif kind == "number":
        field = draw(st.sampled_from(["hot_days", "archive_days"]))
        config["logmesh:retention"][field] = draw(st.sampled_from([-1, 0, -(10**9), 10**9, 2**63]))
    else:
        section = draw(st.sampled_from(["logmesh:stores", "logmesh:clusters"]))
        item = draw(st.sampled_from(config[section]))
        field = draw(st.sampled_from(NAME_FIELDS))
        item[field] = draw(st.text(min_size=0, max_size=70).filter(lambda s: not re.fullmatch(r"[a-z0-9-]{1,20}", s)))
    return kind, config


def _check_outcome(config: dict[str, Any]) -> bool:
    """True when the config was rejected; asserts the rejection is clean and nothing was registered."""
    try:
        run(config)
    except ConfigError as error:
        assert error.registrations == []  # type: ignore[attr-defined]
        assert error.problems, "a ConfigError must list its problems"
        for line in error.problems:
            assert KEY_PATH.match(line), f"problem does not start with a key path: {line!r}"
            assert "Traceback" not in line
        return True
    return False


ALWAYS_INVALID = {"unknown", "duplicate", "dangling", "number", "name"}


@FUZZ
@given(mutated_stacks())
def test_mutated_stacks_fail_cleanly_or_build(mutation: tuple[str, dict[str, Any]]) -> None:
    kind, config = mutation
    rejected = _check_outcome(config)
    if kind in ALWAYS_INVALID:
        assert rejected, f"a {kind} mutation was accepted"


def _write_stack(tmp: Any, name: str, text: str) -> Project:
    stacks = tmp / "stacks"
    stacks.mkdir(exist_ok=True)
    (stacks / f"Pulumi.{name}.yaml").write_text(text, encoding="utf-8")
    return Project(PROJECT.name, tmp, PROJECT.main, stacks, "python")


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stack=st.sampled_from(STACKS), cut=st.floats(min_value=0.05, max_value=0.95), junk=st.sampled_from(["\t", ": :", "- [", "{", '"']))
def test_broken_yaml_is_an_input_error(tmp_path_factory: Any, stack: str, cut: float, junk: str) -> None:
    text = PROJECT.stack_file(stack).read_text(encoding="utf-8")
    lines = text.splitlines()
    at = max(1, int(len(lines) * cut))
    broken = "\n".join([*lines[:at], "  " + junk + lines[at], *lines[at + 1 :]])
    project = _write_stack(tmp_path_factory.mktemp("broken"), stack, broken)
    try:
        yaml.safe_load(broken)
    except yaml.YAMLError:
        try:
            load_stack_config(project, stack)
        except InputError as error:
            message = str(error)
            assert f"Pulumi.{stack}.yaml" in message and "line" in message and "not valid YAML" in message
            return
        raise AssertionError("broken YAML was accepted") from None
    # The junk happened to form valid YAML: then the program must still fail cleanly or build.
    _check_outcome(load_stack_config(project, stack).values)
