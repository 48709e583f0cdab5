"""Bounded YAML: libyaml's event parser (C, iterative, so no stack overflow at any depth) feeding an iterative composer
that refuses what Go yaml.v3 (the Pulumi CLI's parser) refuses, duplicate mapping keys and recursive aliases, and
bounds nesting depth, alias dereferences and the node count of the document with every alias expanded, all checked
as events arrive, so an alias bomb is refused after a few hundred events without building the expansion.
Construction is PyYAML's SafeConstructor, unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from preflight.inputs.text import MAX_ALIASES, MAX_DEPTH, MAX_NODES, YAML_MAX_BYTES, Refused, check_depth_limit, key_path, read_text, refuse

_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"


@dataclass
class _Frame:
    node: SequenceNode | MappingNode
    anchor: str | None
    size: int = 1  # expanded node count, this node included
    height: int = 0  # expanded height of the children
    index: int = 0  # sequences: index of the next item
    key: Node | None = None  # mappings: the key whose value comes next
    key_part: str | int = 0  # that key as a path part
    keys: dict[str, int] = field(default_factory=dict)  # scalar key text -> line: yaml.v3 compares kind and text
    values: dict[Any, int] = field(default_factory=dict)  # constructed key -> line, for keys that collide once typed


class _BoundedComposer:
    """An iterative composer over a PyYAML event source, mixed in ahead of a loader's own composer.

    Refuses, as events arrive: nesting deeper than max_depth (counting through aliases), more than max_aliases alias
    dereferences, more than max_nodes nodes in the alias-expanded document, an alias to a collection still open (a
    recursive structure), a key repeated in a mapping (yaml.v3's rule: same kind and same text; plus keys that differ in
    text but construct to the same value, like `true`/`True` or `1`/`0x1`), and a second document in the stream.
    Anchors may be redefined, as in yaml.v3; an alias means the latest definition.
    """

    max_depth = MAX_DEPTH
    max_aliases = MAX_ALIASES
    max_nodes = MAX_NODES

    def get_single_node(self) -> Node | None:
        events: Any = self  # the event source (CParser, or PyYAML's Parser) and the constructor come from the loader
        events.get_event()  # StreamStart
        node = None
        if not events.check_event(StreamEndEvent):
            events.get_event()  # DocumentStart
            node = self._compose_root(events)
            events.get_event()  # DocumentEnd
        if not events.check_event(StreamEndEvent):
            event = events.get_event()
            raise Refused("a second YAML document starts here (after `---`)", "keep one document per file", event.start_mark)
        events.get_event()  # StreamEnd
        return node

    def _compose_root(self, events: Any) -> Node:
        anchors: dict[str, tuple[Node, int, int] | tuple[Node, None, None]] = {}
        stack: list[_Frame] = []
        expanded = 0
        aliases = 0
        max_depth, max_nodes = self.max_depth, self.max_nodes

        def parts() -> list[str | int]:
            return [frame.index if isinstance(frame.node, SequenceNode) else frame.key_part for frame in stack]

        def path() -> str:
            return key_path(parts())

        while True:
            event = events.get_event()
            start: Any = event.start_mark  # libyaml's Mark or PyYAML's; both have line and column
            end: Any = event.end_mark
            node: Node
            if isinstance(event, ScalarEvent):
                tag = event.tag
                if tag is None or tag == "!":
                    tag = events.resolve(ScalarNode, event.value, event.implicit)
                node = ScalarNode(tag, event.value, start, end, style=event.style)
                size, height = 1, 0
                expanded += 1
                if event.anchor is not None:
                    anchors[event.anchor] = (node, 1, 0)
            elif isinstance(event, CollectionStartEvent):
                if len(stack) >= max_depth:
                    raise Refused(f"nesting is deeper than {max_depth} levels", "flatten the structure", event.start_mark, path())
                expanded += 1
                tag = event.tag
                collection: SequenceNode | MappingNode
                if isinstance(event, SequenceStartEvent):
                    if tag is None or tag == "!":
                        tag = events.resolve(SequenceNode, None, event.implicit)
                    collection = SequenceNode(tag, [], start, None, flow_style=event.flow_style)
                else:
                    assert isinstance(event, MappingStartEvent)
                    if tag is None or tag == "!":
                        tag = events.resolve(MappingNode, None, event.implicit)
                    collection = MappingNode(tag, [], start, None, flow_style=event.flow_style)
                if event.anchor is not None:
                    anchors[event.anchor] = (collection, None, None)
                stack.append(_Frame(collection, event.anchor))
                if expanded > max_nodes:
                    raise self._too_many(max_nodes, event.start_mark, path())
                continue
            elif isinstance(event, (SequenceEndEvent, MappingEndEvent)):
                frame = stack.pop()
                node = frame.node
                node.end_mark = end
                size, height = frame.size, frame.height + 1
                if frame.anchor is not None and anchors[frame.anchor][0] is node:
                    anchors[frame.anchor] = (node, size, height)
            elif isinstance(event, AliasEvent):
                anchor = event.anchor or ""
                if anchor not in anchors:
                    raise Refused(f"alias *{anchor} has no anchor &{anchor} before it", "define the anchor first", event.start_mark, path())
                target, target_size, target_height = anchors[anchor]
                if target_size is None or target_height is None:
                    raise Refused(
                        f"alias *{anchor} is inside the value it refers to (a recursive structure)",
                        "remove the alias or point it at another anchor",
                        event.start_mark,
                        path(),
                    )
                aliases += 1
                if aliases > self.max_aliases:
                    raise Refused(
                        f"more than {self.max_aliases} aliases", "write the values out instead of aliasing them", event.start_mark, path()
                    )
                node, size, height = target, target_size, target_height
                expanded += size
                if len(stack) + height > max_depth:
                    raise Refused(
                        f"alias *{anchor} makes the nesting deeper than {max_depth} levels",
                        "flatten the structure",
                        event.start_mark,
                        path(),
                    )
            else:
                raise Refused(
                    f"unexpected YAML event {type(event).__name__}", "check the file's syntax", getattr(event, "start_mark", None), path()
                )
            if expanded > max_nodes:
                raise self._too_many(max_nodes, event.start_mark, path())
            if not stack:
                return node
            parent = stack[-1]
            parent.size += size
            if height > parent.height:
                parent.height = height
            if isinstance(parent.node, SequenceNode):
                parent.node.value.append(node)
                parent.index += 1
            elif parent.key is None:
                self._check_key(parent, node, event.start_mark, parts)
                parent.key = node
            else:
                parent.node.value.append((parent.key, node))
                parent.key = None

    @staticmethod
    def _too_many(max_nodes: int, mark: Any, key_path: str) -> Refused:
        return Refused(
            f"the document has more than {max_nodes} values once its aliases are expanded (an alias bomb?)",
            "write the values out instead of aliasing aliases",
            mark,
            key_path,
        )

    def _check_key(self, frame: _Frame, key: Node, mark: Any, parts: Callable[[], list[str | int]]) -> None:
        if not isinstance(key, ScalarNode):
            frame.key_part = "?"
            return
        line = mark.line + 1 if mark is not None else 0
        text = str(key.value)
        frame.key_part = text
        first = frame.keys.get(text)
        if first is not None:
            raise Refused(
                f"mapping key {json.dumps(text)} already defined at line {first}",
                "remove or rename one of them",
                mark,
                key_path([*parts()[:-1], text]),
            )
        frame.keys[text] = line
        if key.tag == _STR_TAG:
            value: Any = text  # what SafeConstructor makes of it, without the call
        elif key.tag == _MERGE_TAG:
            return
        else:
            value = self._construct_key(key)
        try:
            first = frame.values.get(value)
        except TypeError:
            return  # unhashable: the constructor refuses it with its own message
        if first is not None:
            raise Refused(
                f"mapping key {json.dumps(text)} is the same key as one at line {first} once read as {type(value).__name__} {value!r}",
                "remove or rename one of them",
                mark,
                key_path([*parts()[:-1], text]),
            )
        frame.values[value] = line

    def _construct_key(self, key: ScalarNode) -> Any:
        constructor: Any = self
        return constructor.construct_object(key)


class _ConstructOrRefuse:
    """Turns the constructor's own Python errors (an int over 4300 digits, a 13th month) into a refusal at the node."""

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)  # type: ignore[misc]
        except (ValueError, TypeError, IndexError, OverflowError, KeyError, AttributeError) as exc:
            reason = str(exc).split(";")[0]  # drop "use sys.set_int_max_str_digits() to increase the limit"
            raise Refused(
                f"{node.tag.rsplit(':', 1)[-1]} value {str(node.value)[:40]!r} cannot be read: {reason}",
                "quote it to make it a string, or fix the value",
                node.start_mark,
            ) from None


class BoundedSafeLoader(_BoundedComposer, _ConstructOrRefuse, yaml.SafeLoader):
    """yaml.SafeLoader (pure Python) with the bounded composer; used when PyYAML has no libyaml."""


if yaml.__with_libyaml__:

    class BoundedCSafeLoader(_BoundedComposer, _ConstructOrRefuse, yaml.CSafeLoader):
        """yaml.CSafeLoader (libyaml's parser, SafeConstructor) with the bounded composer."""

    DEFAULT_LOADER: type[Any] = BoundedCSafeLoader
else:  # pragma: no cover
    DEFAULT_LOADER = BoundedSafeLoader


def _mark(exc: Any) -> tuple[int | None, int | None]:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "mark", None) or getattr(exc, "context_mark", None)
    if mark is None:
        return None, None
    return mark.line + 1, mark.column + 1


def load_yaml(
    path: Path | str,
    what: str,
    *,
    max_bytes: int = YAML_MAX_BYTES,
    max_depth: int = MAX_DEPTH,
    max_aliases: int = MAX_ALIASES,
    max_nodes: int = MAX_NODES,
    loader: type[Any] | None = None,
) -> Any:
    """The single YAML document in `path` as SafeLoader builds it (None when empty), or an InputError.

    `what` names the input in messages ("stack file", "--project-dir Pulumi.yaml"); `loader` is for tests
    (BoundedSafeLoader, the pure-Python one); the default uses libyaml when PyYAML has it.
    """
    check_depth_limit(max_depth)
    text = read_text(path, what, max_bytes, allow_bom=True)
    instance: Any = None
    try:
        instance = (loader or DEFAULT_LOADER)(text)  # the pure-Python Reader checks characters here already
        instance.max_depth, instance.max_aliases, instance.max_nodes = max_depth, max_aliases, max_nodes
        return instance.get_single_data()
    except Refused as exc:
        line = column = None
        if exc.mark is not None:
            line, column = exc.mark.line + 1, exc.mark.column + 1
        refuse(path, what, exc.problem, exc.fix, line=line, column=column, key_path=exc.key_path)
    except yaml.MarkedYAMLError as exc:
        line, column = _mark(exc)
        problem = exc.problem or exc.context or str(exc).splitlines()[0]
        fix = (
            "remove the tag, or quote the value"
            if isinstance(exc, yaml.constructor.ConstructorError)
            else "fix the indentation or quoting there"
        )
        refuse(path, what, f"not valid YAML: {problem}", fix, line=line, column=column)
    except yaml.YAMLError as exc:  # ReaderError: a character YAML does not allow
        position = getattr(exc, "position", None)
        line = column = None
        if isinstance(position, int):
            line = text.count("\n", 0, position) + 1
            column = position - (text.rfind("\n", 0, position) + 1) + 1
        refuse(path, what, f"not valid YAML: {str(exc).splitlines()[0]}", "remove that character", line=line, column=column)
    finally:
        if instance is not None:
            instance.dispose()
