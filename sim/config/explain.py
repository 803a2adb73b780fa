"""Error translation: pydantic's validation errors in plain words, at the path the user wrote, with the YAML
line where it is."""

from __future__ import annotations

import re
import types
from datetime import date
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from .distributions import DISTRIBUTIONS, FieldIssues, example, parameters
from .errors import Loc, did_you_mean, got_note


def _unwrap(tp: Any) -> Any:
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
            continue
        if origin in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) == 1:
                tp = args[0]
                continue
        return tp


def is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _pick(tp: Any, node: Any) -> Any:
    """The member of a tagged union of models that `node` names by its `dist`/`model` key, else None."""
    if not isinstance(node, dict):
        return None
    for member in get_args(tp):
        if not is_model(member):
            continue
        for tag in ("dist", "model"):
            info = member.model_fields.get(tag)
            if info is not None and tag in node and node[tag] in get_args(info.annotation):
                return member
    return None


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def type_at(root: Any, loc: Loc, data: Any) -> Any:
    """The (unwrapped) type the schema rooted at `root` expects at `loc`, or None when unknown."""
    tp, node = root, data
    for part in loc:
        tp = _unwrap(tp)
        if get_origin(tp) in (Union, types.UnionType):
            tp = _pick(tp, node)
        if is_model(tp):
            info = tp.model_fields.get(str(part))
            if info is None:
                return None
            tp = info.annotation
        elif get_origin(tp) is list and isinstance(part, int):
            tp = get_args(tp)[0]
        elif get_origin(tp) is tuple and isinstance(part, int) and part < len(get_args(tp)):
            tp = get_args(tp)[part]
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        else:
            return None
        node = _child(node, part)
    tp = _unwrap(tp)
    if get_origin(tp) in (Union, types.UnionType):
        return _pick(tp, node) or tp
    return tp


def _is_distribution(tp: Any) -> bool:
    if is_model(tp):
        return tp in DISTRIBUTIONS.values()
    return get_origin(tp) in (Union, types.UnionType) and any(a in DISTRIBUTIONS.values() for a in get_args(tp))


def _clean_loc(loc: Loc, data: Any) -> Loc:
    """Pydantic's location without the union tags it inserts (`read_delay.lognormal.sigma` is
    `read_delay.sigma` in the file)."""
    out: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict):
            tags = [node[t] for t in ("dist", "model") if t in node and isinstance(node[t], str | int | float)]
            if part in tags and part not in node:
                continue
            out.append(part)
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int):
            out.append(part)
            node = _child(node, part)
        elif node is None:
            out.append(part)
        else:
            break  # inside a single value: what follows names types, not keys
    return tuple(out)


def _num(x: Any) -> str:
    return f"{x:,g}" if isinstance(x, float) else f"{x:,}" if isinstance(x, int) else str(x)


def _expected_values(ctx: dict[str, Any] | None) -> list[str]:
    return re.findall(r"'([^']*)'", str((ctx or {}).get("expected", "")))


def _dist_menu() -> str:
    return ", ".join(f"{name} ({', '.join(parameters(name))})" for name in DISTRIBUTIONS)


def _reason(kind: str, msg: str, ctx: dict[str, Any] | None, value: Any, loc: Loc, root: Any, data: Any) -> str:
    """Pydantic's message for one error, in plain words, with ` (got X)` where it helps."""
    ctx = ctx or {}
    got = got_note(value)
    if kind == "extra_forbidden":
        parent = type_at(root, loc[:-1], data)
        keys = [k for k in parent.model_fields if k not in ("dist", "model")] if is_model(parent) else []
        hint = did_you_mean(loc[-1], keys) if loc else ""
        if hint:
            return f"unknown key{hint}"
        return f"unknown key (keys here: {', '.join(keys)})" if keys else "unknown key"
    if kind == "missing":
        parent = type_at(root, loc[:-1], data)
        if is_model(parent) and parent in DISTRIBUTIONS.values():
            name = next(n for n, c in DISTRIBUTIONS.items() if c is parent)
            article = "an" if name[0] in "aeiou" else "a"
            return (
                f"missing: {article} {name} distribution needs {' and '.join(parameters(name))}, e.g. {example(name)}"
            )
        return "missing: this setting is required"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        disc = str(ctx.get("discriminator", "")).strip("'")
        tag = ctx.get("tag")
        names = re.findall(r"'([^']*)'", str(ctx.get("expected_tags", "")))
        if disc == "dist":
            if kind == "union_tag_not_found":
                return (
                    f"a random delay needs `dist:` naming its distribution, one of: {_dist_menu()}; "
                    f"e.g. {example('exponential')}"
                )
            return (
                f"unknown distribution {tag!r}{did_you_mean(tag, list(DISTRIBUTIONS))}; dist must be one of: "
                f"{_dist_menu()}"
            )
        if kind == "union_tag_not_found":
            return f"needs `{disc}:` (one of: {', '.join(names)})"
        return f"unknown {disc} {tag!r}{did_you_mean(tag, names)}; {disc} must be one of: {', '.join(names)}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        if _is_distribution(type_at(root, loc, data)):
            return f"expected a distribution such as {example('exponential')}{got}"
        return f"expected a mapping of settings (key: value lines){got}"
    return _value_reason(kind, msg, ctx, value, loc, _can_be_off(root, loc, data))


def _can_be_off(root: Any, loc: Loc, data: Any) -> bool:
    """Whether the field at `loc` takes null (a limit that can be off)."""
    parent = type_at(root, loc[:-1], data) if loc else None
    info = parent.model_fields.get(str(loc[-1])) if parent is not None and is_model(parent) else None
    if info is None:
        return False
    tp = info.annotation
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    return get_origin(tp) in (Union, types.UnionType) and type(None) in get_args(tp)


def _number_hint(value: Any, can_be_off: bool) -> str:
    """Why a boolean or a quoted number is not a number here, and what to write instead."""
    if isinstance(value, bool):
        off = "; for no limit write off or null" if can_be_off and value else ""
        return f"; yes/no/on/off mean true/false in YAML{off}"
    if (
        isinstance(value, str)
        and re.fullmatch(r"\s*[-+]?(\d[\d_]*)?\.?\d*(e[-+]?\d+)?\s*", value, re.I)
        and any(c.isdigit() for c in value)
    ):
        return "; write the number without quotes"
    return ""


def _value_reason(kind: str, msg: str, ctx: dict[str, Any], value: Any, loc: Loc, can_be_off: bool = False) -> str:
    """The plain-words reason for an error about one value (its type, range, length or choices)."""
    got = got_note(value)
    yes_no = _number_hint(value, can_be_off)
    if kind in ("int_type", "int_parsing"):
        return f"expected a whole number{yes_no}{got}"
    if kind == "int_from_float":
        return f"expected a whole number, not a fraction{got}"
    if kind in ("float_type", "float_parsing"):
        return f"expected a number{yes_no}{got}"
    if kind == "finite_number":
        return f"must be a finite number{got}"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false{got}"
    if kind in ("string_type", "string_unicode"):
        quote = "; put it in quotes" if isinstance(value, int | float | bool | date) else ""
        return f"expected text{quote}{got}"
    if kind == "string_too_long":
        return f"at most {ctx.get('max_length')} characters{got}"
    if kind.startswith("date") or kind.startswith("datetime"):
        detail = f": {ctx['error']}" if isinstance(ctx.get("error"), str) else ""
        return f"expected a date like 2026-01-05 (year-month-day){detail}{got}"
    if kind == "greater_than_equal":
        return f"must be at least {_num(ctx.get('ge'))}{got}"
    if kind == "greater_than":
        return f"must be greater than {_num(ctx.get('gt'))}{got}"
    if kind == "less_than_equal":
        share = " (shares and probabilities are between 0 and 1)" if ctx.get("le") == 1 else ""
        return f"must be at most {_num(ctx.get('le'))}{share}{got}"
    if kind == "less_than":
        return f"must be less than {_num(ctx.get('lt'))}{got}"
    if kind in ("literal_error", "enum"):
        options = _expected_values(ctx)
        return f"must be one of: {', '.join(options)}{did_you_mean(value, options)}{got}"
    if kind in ("list_type", "tuple_type", "set_type"):
        if loc and loc[-1] == "working_hours":
            return f"expected [start, end] hours, e.g. [9, 17]{got}"
        return f"expected a list (one '- item' per line, or [a, b]){got}"
    if kind == "too_short":
        n = ctx.get("min_length")
        if isinstance(value, list | tuple | dict) and not value:
            return f"needs at least {n} item{'s' if n != 1 else ''} (got none)"
        return f"needs at least {n} item{'s' if n != 1 else ''}{got}"
    if kind == "too_long":
        n = ctx.get("max_length")
        return f"has too many items: at most {n}{got}"
    if kind in ("value_error", "assertion_error"):
        text = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        return text if "(got" in text else f"{text}{got}"
    return msg if isinstance(value, dict | list) else f"{msg}{got}"


def explain_items(err: ValidationError, root: Any, data: Any) -> list[tuple[Loc, str]]:
    """(path, reason) for every error in `err`, paths as the user wrote them, checks across fields expanded
    to the field they name."""
    out: list[tuple[Loc, str]] = []
    for item in err.errors():
        raw_loc = tuple(item["loc"])
        loc = _clean_loc(raw_loc, data) if data is not None else raw_loc
        ctx = item.get("ctx") or {}
        issue = ctx.get("error")
        if isinstance(issue, FieldIssues):
            out += [((*loc, *sub), msg) for sub, msg in issue.issues]
            continue
        out.append((loc, _reason(item["type"], item["msg"], ctx, item.get("input"), loc, root, data)))
    return out


def line_of(loc: Loc, data: Any, lines: dict[Loc, int]) -> int | None:
    """The YAML line of `loc` or of its nearest written parent; keys may be written dotted
    (`plans.recruiter.monthly_credits:` under `rules.overrides`)."""
    node: Any = data
    at: Loc = ()
    best, i = lines.get(()), 0
    while i < len(loc):
        part = loc[i]
        if isinstance(node, dict):
            for j in range(len(loc), i, -1):
                key = ".".join(str(p) for p in loc[i:j])
                if key in node:
                    at, node, i = (*at, key), node[key], j
                    break
            else:
                break
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            at, node, i = (*at, part), node[part], i + 1
        else:
            break
        best = lines.get(at, best)
    return best
