"""Byte-level mutations of input files for fuzz tests: YAML and JSON hazards (anchors, aliases, brackets, NUL, bad
UTF-8, tags, huge numbers) inserted, deleted, replaced, or a line repeated (duplicate keys)."""

from __future__ import annotations

from hypothesis import strategies as st

TOKENS = [
    b"&a ",
    b"*a",
    b"<<: ",
    b"[",
    b"]",
    b"{",
    b"}",
    b"\x00",
    b"\xff",
    b"\xc3",
    b"---\n",
    b"\t",
    b"!!int ",
    b"!!binary ",
    b"!!timestamp ",
    b"!!python/name:os.system ",
    b"? ",
    b": ",
    b"- ",
    b'"',
    b"'",
    b"\\u",
    b"\\ud800",
    b"NaN",
    b"1e999",
    b"\xef\xbb\xbf",
    b"\n",
    b"  ",
    b"%YAML 1.1\n",
    b"!<tag:x> ",
    b"|\n",
    b">-\n",
    b"#",
    b",",
    b"9" * 5000,
]

mutations = st.lists(
    st.tuples(
        st.sampled_from(["insert", "delete", "replace", "dup_line"]),
        st.integers(0, 1 << 20),
        st.integers(0, 64),
        st.one_of(st.sampled_from(TOKENS), st.binary(max_size=6)),
    ),
    min_size=1,
    max_size=8,
)


def mutate(data: bytes, ops: list[tuple[str, int, int, bytes]]) -> bytes:
    for op, where, length, chunk in ops:
        at = where % (len(data) + 1)
        if op == "insert":
            data = data[:at] + chunk + data[at:]
        elif op == "delete":
            data = data[:at] + data[at + length :]
        elif op == "replace":
            data = data[:at] + chunk + data[at + len(chunk) :]
        else:
            start = data.rfind(b"\n", 0, at) + 1
            end = data.find(b"\n", at)
            end = len(data) if end < 0 else end + 1
            data = data[:end] + data[start:end] + data[end:]
    return data
