"""Numbers and names in words for people, as the report writes them: counts with thousands separators,
shares as percentages, days, plurals, KPI values by their registry format, HTML escaping."""

from __future__ import annotations

import html
import math
from datetime import date
from typing import Any

import pandas as pd

from ..output.kpis import format_value


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _num(value: float | None, digits: int = 1) -> str:
    """A count or amount for people: thousands separators, few decimals."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    v = float(value)
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    if abs(v) >= 10:
        return f"{v:,.{digits}f}"
    return f"{v:.3g}"


def _pct(value: Any, digits: int = 1) -> str:
    if value is None or pd.isna(value):
        return "n/a"
    return f"{100 * float(value):.{digits}f}%"


def format_kpi(kpi: str, value: Any, start: date | str | None = None) -> str:
    """A KPI value as a reader wants it, by its registry format (`sim.output.kpis.format_value`)."""
    return format_value(kpi, value, start)


def _humanise(name: str) -> str:
    words = name.replace("_", " ")
    return words.replace("inmails", "InMails").replace("inmail", "InMail")


def _sentence(text: str) -> str:
    """Capitalise the first letter only (keeps 'InMails' and 'Open Profile' as they are)."""
    return text[:1].upper() + text[1:]


def _plural(n: float, word: str) -> str:
    return f"{_num(n)} {word}{'' if n == 1 else 's'}"


def _days(value: Any) -> str:
    if value is None:
        return "? days"
    v = float(value)
    return f"{v:g} day{'' if v == 1 else 's'}"
