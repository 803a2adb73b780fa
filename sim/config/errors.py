"""How the config layer words a problem: `ScenarioError` (every problem, one line each, as
`path.to.field: reason (got X) [line N]`), the ` (got X)` rendering and the did-you-mean hint."""

from __future__ import annotations

import difflib
from datetime import date
from typing import Any

from .distributions import FieldIssues

__all__ = ["BAD", "FieldIssues", "Loc", "ScenarioError", "did_you_mean", "dotted", "got_note"]

Loc = tuple[str | int, ...]

BAD: Any = object()  # a value that failed its own check (already reported)


def did_you_mean(word: Any, options: list[str]) -> str:
    """`; did you mean 'x'?` when `word` is close to one of `options`, else ''."""
    if not isinstance(word, str) or not options:
        return ""
    lowered = {o.lower(): o for o in options}
    match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return f"; did you mean {lowered[match[0]]!r}?" if match else ""


def got_note(value: Any) -> str:
    """` (got X)` with a short rendering of `value`."""
    if value is None:
        return " (got nothing)"
    if isinstance(value, bool):
        return f" (got {str(value).lower()})"  # as YAML writes it
    if isinstance(value, dict):
        return " (got a mapping)" if value else " (got an empty mapping)"
    if isinstance(value, list | tuple):
        text = repr(list(value))
        return f" (got {text})" if len(text) <= 60 else f" (got a list of {len(value)} items)"
    text = repr(value.isoformat() if isinstance(value, date) else value)
    return f" (got {text if len(text) <= 60 else text[:57] + '...'})"


class ScenarioError(ValueError):
    """A scenario that cannot be used; `errors` lists every problem as `path.to.field: reason (got X)`."""

    def __init__(self, errors: list[str], source: str | None = None) -> None:
        self.errors = errors
        self.source = source
        head = f"{source}: " if source else ""
        super().__init__(head + "invalid scenario\n" + "\n".join(f"  {e}" for e in errors))


def dotted(loc: Loc) -> str:
    return ".".join(str(p) for p in loc) or "(top level)"
