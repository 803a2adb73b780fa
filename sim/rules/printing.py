"""Presets as a side-by-side table (each value with its source) or as YAML, for `inmail-sim presets`."""

from __future__ import annotations

from typing import Any

import yaml

from .presets import PRESETS, SOURCE_NAMES, preset, value_source


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
    """Every rule value, one row each, one column per preset ('-' where a preset has no such value), each
    value followed by the code of its source, the codes explained below the table."""
    chosen = [preset(n) for n in (names or list(PRESETS))]
    flat = [_flatten(r.model_dump(mode="json")) for r in chosen]
    keys: list[str] = []
    for f in flat:
        keys.extend(k for k in f if k not in keys)
    header = ["rule", *(r.name for r in chosen)]
    rows = [[k, *(_cell(r.name, k, f) for r, f in zip(chosen, flat, strict=True))] for k in keys]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    used = {value_source(r.name, k) for r in chosen for k in keys}
    lines += ["", "Sources:", *(f"  ({code}) {text}" for code, text in SOURCE_NAMES.items() if code in used)]
    return "\n".join(lines)


def _cell(name: str, key: str, values: dict[str, Any]) -> str:
    if key not in values:
        return "(not defined)"
    code = value_source(name, key)
    return f"{_show(values[key])} ({code})" if code else _show(values[key])


def preset_yaml(name: str) -> str:
    """One preset as YAML, ready to paste under `rules.overrides`."""
    return yaml.safe_dump(preset(name).model_dump(mode="json"), sort_keys=False)
