"""Reading YAML safely: a `yaml.SafeLoader` subclass that keeps the line of every key and list item, refuses
duplicate keys, tags, and anchors/aliases that expand into an enormous document, and reads at most a bounded
file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import Loc, ScenarioError, dotted, got_note
from .files import NotAFileError, TooLargeError, read_bounded

MAX_FILE_BYTES = 2_000_000
MAX_VALUES = 100_000  # values in the document once aliases are expanded (a scenario has a few hundred)
MAX_DEPTH = 40

_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


class _LineLoader(yaml.SafeLoader):
    """The safe loader; `_Reader` composes nodes with it and builds plain data, keeping each path's line.
    Composing stops at MAX_DEPTH levels, before Python's recursion limit."""

    depth = 0
    where = "(file)"

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH + 1:
                line = self.peek_event().start_mark.line + 1  # type: ignore[no-untyped-call]
                raise _Fatal(f"{self.where}: nested more than {MAX_DEPTH} levels deep [line {line}]")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _Fatal(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


@dataclass
class Document:
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


class _Reader:
    def __init__(self, loader: _LineLoader, where: str) -> None:
        self.loader = loader
        self.where = where
        self.values = 0
        self.doc = Document(None)

    def build(self, node: yaml.Node, loc: Loc, depth: int, ancestors: frozenset[int]) -> Any:
        self.values += 1
        line = node.start_mark.line + 1
        if self.values > MAX_VALUES:
            raise _Fatal(
                f"{self.where}: the document expands to more than {MAX_VALUES:,} values (at {dotted(loc)}) "
                f"[line {line}]; YAML anchors and aliases (&name, *name) that repeat each other this much are "
                "refused: write the values out"
            )
        if depth > MAX_DEPTH:
            raise _Fatal(f"{self.where}: nested more than {MAX_DEPTH} levels deep (at {dotted(loc)}) [line {line}]")
        if id(node) in ancestors:
            raise _Fatal(f"{self.where}: a YAML alias refers to itself (at {dotted(loc)}) [line {line}]")
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, loc)
        if node.tag not in (_MAP, _SEQ):
            raise _Fatal(
                f"{dotted(loc)}: YAML tag {_tag(node.tag)!r} is not allowed: write plain values, lists and mappings "
                f"[line {line}]"
            )
        inner = ancestors | {id(node)}
        if isinstance(node, yaml.SequenceNode):
            out_list = []
            for i, item in enumerate(node.value):
                self.doc.lines.setdefault((*loc, i), item.start_mark.line + 1)
                out_list.append(self.build(item, (*loc, i), depth + 1, inner))
            return out_list
        assert isinstance(node, yaml.MappingNode)
        merged: dict[str, Any] = {}
        explicit: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Fatal(f"{dotted(loc)}: a key must be a plain name, not a list or mapping [line {key_line}]")
            if key_node.tag == "tag:yaml.org,2002:merge":
                for source in value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]:
                    part = self.build(source, loc, depth + 1, inner)
                    if not isinstance(part, dict):
                        raise _Fatal(f"{dotted(loc)}: '<<' must merge a mapping [line {key_line}]")
                    for k, v in part.items():
                        merged.setdefault(k, v)
                continue
            key = str(key_node.value)
            if key in first_line:
                self.doc.problems.append(
                    f"{dotted((*loc, key))}: duplicate key: first on line {first_line[key]}, again on line "
                    f"{key_line}; keep one [line {key_line}]"
                )
            first_line.setdefault(key, key_line)
            self.doc.lines[(*loc, key)] = key_line
            explicit[key] = self.build(value_node, (*loc, key), depth + 1, inner)
        return {**merged, **explicit}

    def scalar(self, node: yaml.ScalarNode, loc: Loc) -> Any:
        try:
            return self.loader.construct_object(node)
        except yaml.constructor.ConstructorError:
            raise _Fatal(
                f"{dotted(loc)}: YAML tag {_tag(node.tag)!r} is not allowed: write plain values "
                f"[line {node.start_mark.line + 1}]"
            ) from None
        except (ValueError, TypeError, OverflowError):
            return node.value  # e.g. 2026-13-45 looks like a date but is not one: let validation say so


def _reader_problem(where: str, err: yaml.reader.ReaderError, text: str) -> str:
    char = f"#x{err.character:04x}" if isinstance(err.character, int) else repr(err.character)
    line = text[: err.position].count("\n") + 1
    return f"{where}: contains a control character YAML does not allow ({char}): is this a text file? [line {line}]"


def _tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag


def parse_yaml(text: str, where: str) -> Document:
    """Plain data (dicts, lists, scalars) from YAML `text`, with lines and duplicate keys; raises
    ScenarioError for text that cannot be read. `where` prefixes file-level messages."""
    try:
        loader = _LineLoader(text)
    except yaml.reader.ReaderError as err:
        raise ScenarioError([_reader_problem(where, err, text)]) from None
    loader.where = where
    try:
        try:
            root = loader.get_single_node()
        except _Fatal as err:
            raise ScenarioError([err.message]) from None
        except yaml.MarkedYAMLError as err:
            mark = err.problem_mark or err.context_mark
            what = ", ".join(x for x in (err.context, err.problem) if x)
            at = f" at column {mark.column + 1} [line {mark.line + 1}]" if mark else ""
            raise ScenarioError([f"{where}: YAML syntax error: {what}{at}"]) from None
        except yaml.reader.ReaderError as err:
            raise ScenarioError([_reader_problem(where, err, text)]) from None
        except yaml.YAMLError as err:
            raise ScenarioError([f"{where}: not valid YAML: {err}"]) from None
        except RecursionError:
            raise ScenarioError([f"{where}: nested too deeply to read"]) from None
        if root is None:
            return Document(None)
        reader = _Reader(loader, where)
        try:
            reader.doc.lines[()] = root.start_mark.line + 1
            reader.doc.data = reader.build(root, (), 0, frozenset())
        except _Fatal as err:
            raise ScenarioError([err.message]) from None
        except RecursionError:
            raise ScenarioError([f"{where}: nested too deeply to read"]) from None
        return reader.doc
    finally:
        loader.dispose()


def read_document(path: str | Path) -> Document:
    """The scenario mapping in the file at `path`, with its lines; ScenarioError when it cannot be one."""
    label = str(path)
    p = Path(path)
    try:
        if not p.exists():
            raise ScenarioError([f"(file): no such file: {label}"], label)
        if p.is_dir():
            raise ScenarioError([f"(file): {label} is a folder, not a scenario file"], label)
        raw = read_bounded(p, MAX_FILE_BYTES)
    except NotAFileError:
        what = f"(file): {label} is not a regular file (a FIFO or a device?), not a scenario"
        raise ScenarioError([what], label) from None
    except TooLargeError:
        raise ScenarioError(
            [f"(file): the file is over {MAX_FILE_BYTES:,} bytes; a scenario is a few KB"], label
        ) from None
    except OSError as err:
        raise ScenarioError([f"(file): cannot read {label}: {err.strerror or err}"], label) from None
    if b"\x00" in raw:
        raise ScenarioError(["(file): this is a binary file, not a YAML text file"], label)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ScenarioError(
            [f"(file): not UTF-8 text (byte 0x{raw[err.start]:02x} at position {err.start}): save it as UTF-8"],
            label,
        ) from None
    try:
        doc = parse_yaml(text, "(file)")
    except ScenarioError as err:
        raise ScenarioError(err.errors, label) from None
    if doc.data is None:
        raise ScenarioError(
            ["(file): the file is empty (or only comments): write the scenario's sections, or {} for all defaults"],
            label,
        )
    if not isinstance(doc.data, dict):
        got = " (got a list)" if isinstance(doc.data, list) else got_note(doc.data)
        line = doc.lines.get((), 1)
        raise ScenarioError(
            [f"(top level): expected a mapping of sections such as name:, accounts:, team:{got} [line {line}]"], label
        )
    return doc


def read_yaml(path: str | Path) -> dict[str, Any]:
    """The mapping in the YAML file at `path`, read safely (other modules' reader, e.g. sweeps)."""
    doc = read_document(path)
    if doc.problems:
        raise ScenarioError(doc.problems, str(path))
    data: dict[str, Any] = doc.data
    return data
