"""Presets as a side-by-side table or as YAML, for `inmail-sim presets`."""

from __future__ import annotations

from typing import Any

import yaml

from .presets import PRESETS, preset


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def presets_table(names: list[str] | None = None) -> str:
    """Every rule value, one row each, one column per preset ('-' where a preset has no such value)."""
    chosen = [preset(n) for n in (names or list(PRESETS))]
    flat = [_flatten(r.model_dump(mode="json")) for r in chosen]
    keys: list[str] = []
    for f in flat:
        keys.extend(k for k in f if k not in keys)
    header = ["rule", *(r.name for r in chosen)]
    rows = [[k, *(_show(f.get(k)) if k in f else "(not defined)" for f in flat)] for k in keys]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def preset_yaml(name: str) -> str:
    """One preset as YAML, ready to paste under `rules.overrides`."""
    return yaml.safe_dump(preset(name).model_dump(mode="json"), sort_keys=False)
