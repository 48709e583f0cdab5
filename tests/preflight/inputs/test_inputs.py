"""preflight/inputs/: every bad input is an InputError naming the file and the place, in bounded time."""

from __future__ import annotations

import builtins
import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from preflight.errors import InputError
from preflight.inputs import json_file, yaml_file
from preflight.inputs.json_file import load_json
from preflight.inputs.shapes import check_parent_graph, expect_mapping
from preflight.inputs.text import read_text
from preflight.inputs.yaml_file import load_yaml
from tests.helpers.mutations import mutate, mutations

MAIN = Path(__file__).resolve().parents[3]
STACK = MAIN / "stacks" / "Pulumi.prod.yaml"
POLICY = MAIN / "policies" / "config" / "prod.json"
LOADERS = [yaml_file.DEFAULT_LOADER, yaml_file.BoundedSafeLoader]
TIMINGS: dict[str, float] = {}


def write(folder: Path, content: str | bytes, name: str = "input") -> Path:
    path = folder / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def refused(load: Callable[[], Any], *fragments: str) -> InputError:
    """Runs `load`, asserts it raises InputError whose message holds every fragment, and returns the error."""
    with pytest.raises(InputError) as info:
        load()
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message
    return info.value


def timed(name: str, load: Callable[[], Any]) -> InputError:
    start = time.perf_counter()
    error = refused(load)
    TIMINGS[name] = time.perf_counter() - start
    print(f"{name}: refused in {TIMINGS[name] * 1000:.2f} ms")
    return error


@pytest.fixture(params=LOADERS, ids=lambda loader: loader.__name__)
def loader(request: pytest.FixtureRequest) -> Any:
    return request.param


# ------------------------------------------------------------------------------------------------- read_text


def test_non_utf8_names_offset_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, b"config:\n  a: caf\xe9\n")
    error = refused(
        lambda: read_text(path, "stack file", 1000), f"stack file {path}", "line 2, column 9", "byte 0xe9 at byte offset 16", "UTF-8"
    )
    assert (error.line, error.column, error.path) == (2, 9, str(path))


def test_non_utf8_column_counts_characters(tmp_path: Path) -> None:
    path = write(tmp_path, "a: ü€".encode() + b"\xc3\x28")  # a truncated sequence after two multi-byte characters
    refused(lambda: read_text(path, "x", 1000), "line 1, column 6", "byte offset 8")


@pytest.mark.parametrize("bad", [b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80", b"\xff"])
def test_surrogates_overlongs_and_out_of_range_bytes_refused(tmp_path: Path, bad: bytes) -> None:
    path = write(tmp_path, b"a: " + bad)
    refused(lambda: load_yaml(path, "stack file"), "not UTF-8", "line 1, column 4")


def test_nul_byte_refused_before_a_later_bad_byte(tmp_path: Path) -> None:
    path = write(tmp_path, b"a: 1\nb: \x00\nc: \xff\n")
    refused(lambda: read_text(path, "stack file", 1000), "NUL byte at byte offset 8", "line 2, column 4")
    refused(lambda: load_json(write(tmp_path, b'{"a": "\x00"}'), "--policy-config"), "NUL byte")


def test_utf8_bom_stripped_for_yaml_as_pulumi_does(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xef\xbb\xbfconfig:\n  a: 1\n")
    assert read_text(path, "stack file", 1000) == "config:\n  a: 1\n"
    assert load_yaml(path, "stack file") == {"config": {"a": 1}}


def test_utf8_bom_refused_for_json_as_go_does(tmp_path: Path) -> None:
    path = write(tmp_path, b'\xef\xbb\xbf{"a": 1}')
    refused(lambda: load_json(path, "--policy-config"), f"--policy-config {path}: line 1, column 1", "byte-order mark")
    refused(lambda: read_text(path, "x", 100, allow_bom=False), "byte-order mark")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_refused(tmp_path: Path, encoding: str) -> None:
    text = "config:\n  a: 1\n"
    data = text.encode(encoding) if encoding != "utf-16-be" else b"\xfe\xff" + text.encode(encoding)
    path = write(tmp_path, data)
    refused(lambda: load_yaml(path, "stack file"), "UTF-16 or UTF-32", "save it as UTF-8")


def test_size_bound(tmp_path: Path) -> None:
    path = write(tmp_path, "a: 1\n" * 100)
    assert read_text(path, "x", 500) == "a: 1\n" * 100
    refused(lambda: read_text(path, "stack file", 499), "500 bytes, over the limit of 499")
    refused(lambda: load_yaml(path, "stack file", max_bytes=100), "over the limit of 100")
    refused(lambda: load_json(write(tmp_path, "[" + "1," * 100 + "1]"), "state", max_bytes=100), "over the limit")


def test_missing_file(tmp_path: Path) -> None:
    refused(lambda: load_yaml(tmp_path / "nope.yaml", "stack file"), "nope.yaml: does not exist")


def test_directory(tmp_path: Path) -> None:
    refused(lambda: load_json(tmp_path, "--state"), f"--state {tmp_path}: is a folder, not a file")


def test_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    refused(lambda: load_yaml(fifo, "stack file"), "not a regular file")  # and does not block opening it


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "a: 1\n")
    real_open = builtins.open

    def deny(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", deny)
    refused(lambda: load_yaml(path, "stack file"), "cannot be read: permission denied")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a mode-000 file")
def test_unreadable_file_by_mode(tmp_path: Path) -> None:  # pragma: no cover - CI here runs as root
    path = write(tmp_path, "a: 1\n")
    path.chmod(0)
    refused(lambda: load_yaml(path, "stack file"), "permission denied")


# ------------------------------------------------------------------------------------------------- YAML: keys


def test_duplicate_key_top_level(tmp_path: Path, loader: Any) -> None:
    path = write(tmp_path, "config:\n  a: 1\nname: x\nconfig:\n  b: 2\n")
    error = refused(
        lambda: load_yaml(path, "stack file", loader=loader),
        "line 4, column 1 (at config)",
        'mapping key "config" already defined at line 1',
        "remove or rename one of them",
    )
    assert error.key_path == "config"


def test_duplicate_key_nested_names_the_key_path(tmp_path: Path, loader: Any) -> None:
    text = "config:\n  logmesh:stores:\n    - name: a\n      tags:\n        t: 1\n        t: 2\n"
    path = write(tmp_path, text)
    refused(
        lambda: load_yaml(path, "stack file", loader=loader),
        "line 6, column 9",
        "(at config.logmesh:stores[0].tags.t)",
        'mapping key "t" already defined at line 5',
    )


def test_duplicate_key_in_a_flow_mapping_on_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'x: {"a.b": 1, "a.b": 2}\n')
    refused(lambda: load_yaml(path, "stack file"), 'at x["a.b"]', 'mapping key "a.b" already defined at line 1')


def test_keys_equal_as_text_refused_as_yaml_v3_does(tmp_path: Path) -> None:
    refused(lambda: load_yaml(write(tmp_path, "'1': a\n1: b\n"), "stack file"), 'mapping key "1" already defined at line 1')


@pytest.mark.parametrize("text", ["true: a\nTrue: b\n", "1: a\n0x1: b\n", "~: a\nnull: b\n"])
def test_keys_equal_once_typed_refused(tmp_path: Path, text: str) -> None:
    refused(lambda: load_yaml(write(tmp_path, text), "stack file"), "line 2, column 1", "is the same key as one at line 1")


def test_merge_keys_override_without_being_duplicates(tmp_path: Path, loader: Any) -> None:
    text = "base: &b {x: 1, y: 1}\nmid: &m {<<: *b, x: 2}\ntop:\n  <<: *m\n  y: 3\n"
    path = write(tmp_path, text)
    value = load_yaml(path, "stack file", loader=loader)
    assert value == yaml.safe_load(text)
    assert value["top"] == {"x": 2, "y": 3}


def test_two_merge_keys_are_duplicates(tmp_path: Path) -> None:
    refused(
        lambda: load_yaml(write(tmp_path, "a: &a {x: 1}\nb:\n  <<: *a\n  <<: *a\n"), "stack file"),
        'mapping key "<<" already defined at line 3',
    )


# ------------------------------------------------------------------------------------------------- YAML: aliases


@pytest.mark.parametrize("text", ["a: &x [*x]\n", "a: &x {b: *x}\n", "a: &x\n  b:\n    - c: [1, *x]\n"])
def test_alias_cycle_refused(tmp_path: Path, loader: Any, text: str) -> None:
    refused(
        lambda: load_yaml(write(tmp_path, text), "stack file", loader=loader),
        "alias *x is inside the value it refers to (a recursive structure)",
    )


def test_undefined_alias(tmp_path: Path) -> None:
    refused(lambda: load_yaml(write(tmp_path, "a: *x\n"), "stack file"), "line 1, column 4 (at a)", "no anchor &x")


def test_anchor_redefined_as_yaml_v3_allows(tmp_path: Path) -> None:
    assert load_yaml(write(tmp_path, "a: &x 1\nb: &x 2\nc: *x\n"), "stack file") == {"a": 1, "b": 2, "c": 2}


def alias_bomb(levels: int, width: int = 10) -> str:
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("levels", [6, 9, 20])
def test_alias_bomb_refused_fast(tmp_path: Path, loader: Any, levels: int) -> None:
    path = write(tmp_path, alias_bomb(levels))
    error = timed(f"alias bomb {levels} levels, {loader.__name__}", lambda: load_yaml(path, "stack file", loader=loader))
    assert "more than 100000 values once its aliases are expanded" in str(error)
    assert TIMINGS[f"alias bomb {levels} levels, {loader.__name__}"] < 5  # measured well under 1 ms; loose on purpose


def test_alias_bomb_of_the_reported_size(tmp_path: Path) -> None:
    """The 3.9 kB shape: 9 levels of 10 aliases with long names, padded with comments."""
    text = "# " + "x" * 1500 + "\n" + alias_bomb(9).replace("a", "anchor_name_")
    path = write(tmp_path, text)
    assert 3000 < path.stat().st_size < 5000
    timed("alias bomb 3.9 kB", lambda: load_yaml(path, "stack file"))


def test_merge_key_bomb_refused(tmp_path: Path) -> None:
    lines = ["m0: &m0 {k0: 1, k1: 1}"]
    lines += [f"m{i}: &m{i} {{<<: [" + ", ".join([f"*m{i - 1}"] * 10) + f"], own{i}: 1}}" for i in range(1, 10)]
    path = write(tmp_path, "\n".join(lines) + "\n")
    timed("merge-key bomb 9 levels", lambda: load_yaml(path, "stack file"))


def test_alias_count_bound(tmp_path: Path) -> None:
    path = write(tmp_path, "a: &a 1\nb: [" + ", ".join(["*a"] * 50) + "]\n")
    assert load_yaml(path, "stack file")["b"] == [1] * 50
    refused(lambda: load_yaml(path, "stack file", max_aliases=49), "more than 49 aliases")


def test_modest_aliasing_loads_like_safe_load(tmp_path: Path) -> None:
    text = alias_bomb(3)  # 10**3 expanded leaves: well under the bound
    assert load_yaml(write(tmp_path, text), "stack file") == yaml.safe_load(text)


def test_alias_that_deepens_past_the_limit(tmp_path: Path) -> None:
    deep = "[" * 40 + "]" * 40
    path = write(tmp_path, f"a: &d {deep}\nb: {'[' * 30}*d{']' * 30}\n")
    refused(lambda: load_yaml(path, "stack file"), "alias *d makes the nesting deeper than 64 levels")


# ------------------------------------------------------------------------------------------------- YAML: depth


@pytest.mark.parametrize("depth", [800, 100_000])
@pytest.mark.parametrize("shape", ["flow-seq", "flow-map", "block-seq"])
def test_deep_yaml_refused(tmp_path: Path, loader: Any, depth: int, shape: str) -> None:
    text = {"flow-seq": "[" * depth + "]" * depth, "flow-map": "{a: " * depth + "1" + "}" * depth, "block-seq": "- " * depth + "x\n"}[shape]
    path = write(tmp_path, text)
    error = timed(f"YAML {shape} {depth}, {loader.__name__}", lambda: load_yaml(path, "stack file", loader=loader))
    assert "nesting is deeper than 64 levels" in str(error)
    assert error.line == 1


def test_deep_block_mappings_refused(tmp_path: Path) -> None:
    text = "".join("  " * i + "a:\n" for i in range(800)) + "  " * 800 + "1\n"
    refused(lambda: load_yaml(write(tmp_path, text), "stack file"), "line 65", "nesting is deeper than 64 levels")


def test_depth_limit_is_inclusive(tmp_path: Path, loader: Any) -> None:
    assert load_yaml(write(tmp_path, "[" * 64 + "]" * 64), "x", loader=loader) is not None
    refused(lambda: load_yaml(write(tmp_path, "[" * 65 + "]" * 65), "x", loader=loader), "deeper than 64")
    assert load_yaml(write(tmp_path, "[" * 5 + "]" * 5), "x", max_depth=5) == [[[[[]]]]]


# ------------------------------------------------------------------------------------------------- YAML: other


@pytest.mark.parametrize("path", [*sorted((MAIN / "stacks").glob("*.yaml")), MAIN / "Pulumi.yaml"], ids=lambda p: p.name)
def test_real_files_load_like_safe_load(path: Path, loader: Any) -> None:
    assert load_yaml(path, "stack file", loader=loader) == yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n"])
def test_empty_documents_are_none(tmp_path: Path, text: str) -> None:
    assert load_yaml(write(tmp_path, text), "stack file") is None


def test_second_document_refused(tmp_path: Path) -> None:
    refused(lambda: load_yaml(write(tmp_path, "a: 1\n---\nb: 2\n"), "stack file"), "line 2, column 1", "second YAML document")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a: !!int 9" + "9" * 5000 + "\n", "Exceeds the limit (4300 digits)"),
        ("a: 2001-13-40\n", "month must be in 1..12"),
        ("a: !!int ''\n", "int value '' cannot be read"),
        ("a: !!timestamp nope\n", "timestamp value 'nope' cannot be read"),
        ("a: !!bool maybe\n", "bool value 'maybe' cannot be read"),
    ],
)
def test_unconstructable_values_refused(tmp_path: Path, loader: Any, text: str, fragment: str) -> None:
    refused(lambda: load_yaml(write(tmp_path, text), "stack file", loader=loader), "line 1, column 4", fragment)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a: \x07\n", "line 1, column 4"),
        ("a: [1, 2\n", "not valid YAML"),
        ("a: !!python/object:os.system x\n", "not valid YAML"),
        ("? [a]\n: 1\n", "unhashable key"),
        ("a:\n\tb: 1\n", "line 2"),
    ],
)
def test_syntax_errors_name_the_place(tmp_path: Path, loader: Any, text: str, fragment: str) -> None:
    refused(lambda: load_yaml(write(tmp_path, text), "stack file", loader=loader), "stack file", fragment)


# ------------------------------------------------------------------------------------------------- JSON


def test_real_policy_configs_load_like_json_loads() -> None:
    for path in sorted((MAIN / "policies" / "config").glob("*.json")):
        assert load_json(path, "--policy-config") == json.loads(path.read_text(encoding="utf-8"))


def test_json_duplicate_key_top_level(tmp_path: Path) -> None:
    error = refused(lambda: load_json(write(tmp_path, '{"a": 1, "b": 2, "a": 3}'), "--policy-config"), 'at a: object key "a" appears twice')
    assert error.key_path == "a"


def test_json_duplicate_key_nested_names_the_key_path(tmp_path: Path) -> None:
    text = '{"deployment": {"resources": [{"urn": "u"}, {"urn": "v", "outputs": {"x.y": 1, "x.y": 2}}]}}'
    refused(lambda: load_json(write(tmp_path, text), "--state"), 'at deployment.resources[1].outputs["x.y"]')


@pytest.mark.parametrize(
    ("token", "fragment"),
    [
        ("NaN", "NaN is not a JSON number"),
        ("Infinity", "Infinity is not"),
        ("-Infinity", "-Infinity is not"),
        ("1e999", "number 1e999 is out of range"),
        ("-1e400", "out of range"),
        ("9" * 5000, "a number is out of range"),
    ],
)
def test_json_non_finite_and_out_of_range_numbers(tmp_path: Path, token: str, fragment: str) -> None:
    path = write(tmp_path, '{"s": "NaN 1e999",\n "a": [' + token + "]}")
    refused(lambda: load_json(path, "--policy-config"), "line 2, column 8", fragment)


def test_json_unpaired_surrogate(tmp_path: Path) -> None:
    refused(lambda: load_json(write(tmp_path, '{"a": ["ok", "\\udc00"]}'), "--state"), "at a[1]", "unpaired")
    assert load_json(write(tmp_path, '["\\ud83d\\ude00", "\\\\ud800"]'), "--state") == ["\U0001f600", "\\ud800"]


def test_json_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    refused(lambda: load_json(write(tmp_path, '{\n  "a": [1, 2\n}'), "--state"), "line 3, column 1", "not valid JSON")


@pytest.mark.parametrize("depth", [800, 100_000])
@pytest.mark.parametrize("shape", ["array", "object", "unclosed"])
def test_deep_json_refused_without_recursion(tmp_path: Path, depth: int, shape: str) -> None:
    text = {"array": "[" * depth + "]" * depth, "object": '{"a":' * depth + "1" + "}" * depth, "unclosed": "[" * depth}[shape]
    error = timed(f"JSON {shape} {depth}", lambda: load_json(write(tmp_path, text), "--state"))
    assert "nesting is deeper than 64 levels" in str(error)
    assert (error.line, error.column) == (1, 65 if shape != "object" else 1 + 64 * 5)


def test_json_depth_limit_is_inclusive_and_ignores_strings(tmp_path: Path) -> None:
    assert load_json(write(tmp_path, "[" * 64 + "]" * 64), "x") is not None
    refused(lambda: load_json(write(tmp_path, "[" * 65 + "]" * 65), "x"), "deeper than 64")
    tricky = json.dumps({"a": "[" * 1000 + '\\"{' * 100, "b": ["\\", "]]]", '"[['], "c": "\\\\[[["})
    assert load_json(write(tmp_path, tricky), "x") == json.loads(tricky)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab\u00e9'),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(alphabet='[]{}"\\k'), children, max_size=3),
    max_leaves=30,
)


def true_depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(true_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(true_depth, value), default=0)
    return 0


@settings(max_examples=300, database=None)
@given(json_values, st.booleans())
def test_json_depth_prescan_matches_the_parse(value: Any, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert json_file._json_depth(text.encode("utf-8")) == true_depth(value)


# ------------------------------------------------------------------------------------------------- shapes


def test_expect_mapping() -> None:
    assert expect_mapping({"a": 1}, "stack file s.yaml") == {"a": 1}
    refused(lambda: expect_mapping(["a"], "stack file s.yaml"), "stack file s.yaml: at the top level: expected a mapping", "found a list")
    refused(lambda: expect_mapping(None, "Pulumi.yaml"), "found null (an empty file?)")
    refused(lambda: expect_mapping({1: "a"}, "s.yaml", "config"), "s.yaml: at config: key 1 is a number, not a string")


# ------------------------------------------------------------------------------------------------- parent graph


def urn(name: str) -> str:
    return f"urn:pulumi:prod::logmesh::aws:s3/bucketV2:BucketV2::{name}"


def test_parent_graph_accepts_a_tree_and_unknown_parents() -> None:
    check_parent_graph(
        [
            (urn("stack"), None),
            (urn("a"), urn("stack")),
            (urn("b"), urn("a")),
            (urn("c"), ""),
            (urn("d"), urn("not-in-state")),
            (urn("a"), urn("stack")),
        ]
    )


def test_self_parent() -> None:
    refused(lambda: check_parent_graph([(urn("a"), urn("a"))], "--state s.json"), f"--state s.json: resource {urn('a')} is its own parent")


def test_parent_cycle_is_named_in_order() -> None:
    resources = [(urn("root"), None), (urn("x"), urn("root")), (urn("a"), urn("b")), (urn("b"), urn("c")), (urn("c"), urn("a"))]
    refused(lambda: check_parent_graph(resources), f"parent cycle: {urn('a')} -> {urn('b')} -> {urn('c')} -> {urn('a')}")


def test_cycle_reached_from_outside_it() -> None:
    resources = [(urn("leaf"), urn("a")), (urn("a"), urn("b")), (urn("b"), urn("a"))]
    refused(lambda: check_parent_graph(resources), f"{urn('a')} -> {urn('b')} -> {urn('a')}")


def test_duplicate_urn_with_two_parents_that_close_a_cycle() -> None:
    refused(lambda: check_parent_graph([(urn("a"), None), (urn("a"), urn("b")), (urn("b"), urn("a"))]), "parent cycle")
    two_parents = [(urn("a"), urn("s")), (urn("a"), urn("b")), (urn("b"), urn("c")), (urn("s"), None)]
    check_parent_graph(two_parents)  # the general (multigraph) path, no cycle
    refused(lambda: check_parent_graph([*two_parents, (urn("c"), urn("a"))]), f"{urn('a')} -> {urn('b')} -> {urn('c')} -> {urn('a')}")


class _CountedUrn(str):
    """A URN that counts its hashes: every dict and set step of the walk hashes one, so the count is the walk's work,
    the same on any machine (a timed bound failed under load)."""

    hashes = 0

    def __hash__(self) -> int:
        _CountedUrn.hashes += 1
        return str.__hash__(self)


def _walk_work(n: int) -> int:
    chain = [(_CountedUrn(urn(str(i))), _CountedUrn(urn(str(i - 1))) if i else None) for i in range(n)]
    _CountedUrn.hashes = 0
    check_parent_graph(reversed(chain))
    return _CountedUrn.hashes


def test_parent_graph_is_linear_and_not_recursive() -> None:
    """200,000 deep without recursion (a recursive walk raises RecursionError), in work linear in the resources: ten
    times the resources cost ten times the hashes (a quadratic walk, a hundred times)."""
    n = 200_000
    work, tenth = _walk_work(n), _walk_work(n // 10)
    assert n <= work <= 11 * tenth, (work, tenth)
    chain = [(urn(str(i)), urn(str(i - 1)) if i else None) for i in range(n)]
    refused(lambda: check_parent_graph([*chain[1:], (urn("0"), urn(str(n - 1)))]), "parent cycle")


# ------------------------------------------------------------------------------------------------- fuzz


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("fuzz")


def returns_or_refuses(load: Callable[[], Any]) -> None:
    try:
        load()
    except InputError as error:
        assert "\n" not in str(error) and str(error)


FUZZ = settings(
    max_examples=int(os.environ.get("BOUNDED_FUZZ_EXAMPLES", "100")),
    deadline=timedelta(seconds=1),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@FUZZ
@given(st.binary(max_size=2000))
def test_fuzz_random_bytes(fuzz_dir: Path, data: bytes) -> None:
    path = write(fuzz_dir, data, "random")
    for loader_class in LOADERS:
        returns_or_refuses(partial(load_yaml, path, "stack file", loader=loader_class))
    returns_or_refuses(lambda: load_json(path, "--policy-config"))


@FUZZ
@given(mutations)
def test_fuzz_mutated_stack_file(fuzz_dir: Path, ops: list[tuple[str, int, int, bytes]]) -> None:
    path = write(fuzz_dir, mutate(STACK.read_bytes(), ops), "Pulumi.prod.yaml")
    for loader_class in LOADERS:
        returns_or_refuses(partial(load_yaml, path, "stack file", loader=loader_class))


@FUZZ
@given(mutations)
def test_fuzz_mutated_policy_config(fuzz_dir: Path, ops: list[tuple[str, int, int, bytes]]) -> None:
    path = write(fuzz_dir, mutate(POLICY.read_bytes(), ops), "prod.json")
    returns_or_refuses(lambda: load_json(path, "--policy-config"))
    returns_or_refuses(lambda: load_yaml(path, "policy config as YAML"))  # JSON is YAML: a second parser over the same bytes


# ------------------------------------------------------------------------------------------------- odds and ends


def test_nul_in_the_path_itself(tmp_path: Path) -> None:
    refused(lambda: load_yaml(f"{tmp_path}/a\0b.yaml", "stack file"), "is not a valid path")


def test_unknown_tag(tmp_path: Path) -> None:
    refused(lambda: load_yaml(write(tmp_path, "a: !Ref b\n"), "stack file"), "line 1, column 4", "remove the tag")


def test_depth_limit_argument_is_checked() -> None:
    with pytest.raises(ValueError, match="max_depth"):
        load_json(STACK, "x", max_depth=10_000)
