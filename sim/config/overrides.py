"""`--set key=value` overrides: parsing the items (values read as YAML) and setting dotted keys in the raw
scenario data before it is validated."""

from __future__ import annotations

import re
import types
from dataclasses import dataclass
from typing import Any, Union, get_origin

from .errors import Loc, ScenarioError, got_note
from .explain import is_model, type_at
from .schema import Scenario
from .yaml_reader import parse_yaml


@dataclass
class SetItem:
    loc: Loc
    text: str


def split_key(key: str) -> Loc:
    return tuple(int(p) if p.isascii() and p.isdigit() else p for p in key.split("."))


def _default_list(loc: Loc) -> list[Any]:
    """The default of the list field at `loc` as plain data (so `--set team.0.count=3` works on a file
    without `team:`), or [] when there is none."""
    from pydantic_core import to_jsonable_python

    parent = type_at(Scenario, loc[:-1], None)
    if not is_model(parent) or not isinstance(loc[-1], str) or loc[-1] not in parent.model_fields:
        return []
    default = parent.model_fields[loc[-1]].get_default(call_default_factory=True)
    return list(to_jsonable_python(default)) if isinstance(default, list | tuple) else []


def set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    """Set `a.b.0.c` in nested dicts/lists, creating mappings (or the default list) on the way."""
    parts = key.split(".")
    node: Any = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        here = ".".join(parts[:i]) or "(top level)"
        if isinstance(node, list):
            if not (part.isascii() and part.isdigit()):
                example = ".".join([here, "0", *parts[i:]]) if part and part[0] not in "-+" else f"{here}.0"
                raise ScenarioError(
                    [f"{key}: {here} is a list: name an item by its number from 0, e.g. {example} (got {part!r})"]
                )
            idx = int(part)
            if idx >= len(node):
                has = f"has {len(node)} item{'s' if len(node) != 1 else ''}, numbered 0 to {len(node) - 1}"
                raise ScenarioError([f"{key}: {here} {has if node else 'has no items'}; there is no item {idx}"])
            if last:
                node[idx] = value
            else:
                node = node[idx]
                if not isinstance(node, dict | list):
                    raise ScenarioError([f"{key}: {here}.{idx} is a single value{got_note(node)}, not a section"])
        elif isinstance(node, dict):
            if last:
                node[part] = value
                return
            child = node.get(part)
            if child is None:
                loc = split_key(".".join(parts[: i + 1]))
                tp = type_at(Scenario, loc, None)
                if get_origin(tp) in (list, tuple):
                    child = _default_list(loc)
                elif tp is None or tp is Any or is_model(tp) or get_origin(tp) in (dict, Union, types.UnionType):
                    child = {}
                else:
                    raise ScenarioError([f"{key}: {'.'.join(parts[: i + 1])} is a single value, not a section"])
                node[part] = child
            elif not isinstance(child, dict | list):
                raise ScenarioError(
                    [f"{key}: {'.'.join(parts[: i + 1])} is a single value{got_note(child)}, not a section"]
                )
            node = child


def parse_set(items: list[str]) -> dict[str, Any]:
    """`key=value` strings to a dict; values are read as YAML scalars or flow collections."""
    out, errors = parse_set_items(items)
    if errors:
        raise ScenarioError(errors)
    return out


_LINE_SUFFIX = re.compile(r" \[line \d+\]$")


def parse_set_items(items: list[str]) -> tuple[dict[str, Any], list[str]]:
    out: dict[str, Any] = {}
    errors: list[str] = []
    for item in items:
        if not isinstance(item, str):
            errors.append(f"--set {item!r}: expected dotted.key=value")
            continue
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            errors.append(f"--set {item!r}: expected dotted.key=value")
            continue
        if not raw.strip():
            out[key] = ""
            continue
        try:
            doc = parse_yaml(raw, f"{key}: the value of --set {item}")
        except ScenarioError as err:
            errors += [_LINE_SUFFIX.sub("", e) for e in err.errors]  # no line numbers for a one-line value
            continue
        if doc.problems:
            errors += [f"{key}: in --set {item}: {_LINE_SUFFIX.sub('', p)}" for p in doc.problems]
            continue
        out[key] = doc.data
    return out, errors
