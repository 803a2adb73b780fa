"""Numbers and names in words for people, as the report writes them: counts with thousands separators and
days (as `sim.rules.captions` writes them), shares as percentages, plurals, KPI values by their registry
format, HTML escaping."""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any

import pandas as pd

from ..output.kpis import format_value
from ..rules.captions import count_text, days_text

_num = count_text  # counts and days are written one way, in the report as in the rules' sentences
_days = days_text


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


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


def _emphasised(sentence: str) -> str:
    """A plain-text sentence of `sim.rules.captions` as HTML: escaped, and `**word**` in bold."""
    return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", html.escape(sentence, quote=False))
