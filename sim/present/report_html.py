"""The report's HTML building blocks: tables, the KPI table, figures as base64 PNG data URIs, the page,
all rendered from the Jinja2 templates of sim/present/templates with autoescape."""

from __future__ import annotations

import base64
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from markupsafe import Markup

from ..output.kpis import BY_NAME
from .words import _esc, format_kpi

TABLE_ROWS = 50  # longer tables show their first rows and say so


@dataclass
class _Figure:
    stem: str
    title: str
    caption: str
    png: bytes


def _png_of(fig: Any, path: Path) -> bytes:
    from . import plots

    plots.save_figure(fig, path)
    return path.read_bytes()


def _existing_figures(figures: Path, order: Iterable[str]) -> list[tuple[str, bytes]]:
    if not figures.is_dir():
        return []
    known = list(order)
    files = sorted(
        figures.glob("*.png"), key=lambda p: (known.index(p.stem) if p.stem in known else len(known), p.stem)
    )
    return [(p.stem, p.read_bytes()) for p in files]


def _table(frame: pd.DataFrame, formats: Mapping[str, Any] | None = None, left: Iterable[str] = ()) -> str:
    """An HTML table; `formats` maps a column to a function of its value; `left` columns align left."""
    formats = formats or {}
    lefts = set(left)
    head = "".join(f'<th class="{"l" if c in lefts else ""}">{_esc(c)}</th>' for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for col, value in zip(frame.columns, row, strict=True):
            fmt = formats.get(col)
            text = (
                fmt(value)
                if fmt
                else ("" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value))
            )
            cells.append(f'<td class="{"l" if col in lefts else ""}">{text if fmt else _esc(text)}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    return _scroll(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def _scroll(table: str) -> str:
    """A wide table scrolls inside its own box, so the page keeps its width at any column count."""
    return f'<div class="scroll">{table}</div>'


def _kpi_table(kpis: Mapping[str, Mapping[str, Any]], names: Iterable[str], start: Any = None) -> str:
    rows = []
    for kpi in names:
        s = kpis.get(kpi)
        if not s:
            continue
        ci = (
            f"{format_kpi(kpi, s.get('ci_low'), start)} to {format_kpi(kpi, s.get('ci_high'), start)}"
            if s.get("ci_low") is not None and s.get("ci_high") is not None
            else "n/a (one replication)"
            if s.get("n") == 1
            else "n/a"
        )
        words = BY_NAME[kpi].words if kpi in BY_NAME else ""
        rows.append({"name": kpi, "mean": format_kpi(kpi, s.get("mean"), start), "ci": ci, "n": s.get("n", ""),
                     "words": words})  # fmt: skip
    return str(_render("kpis.html.j2", rows=rows))


def _figures_html(figures: Sequence[_Figure]) -> str:
    shown = [{"stem": f.stem, "title": f.title, "caption": f.caption, "data": base64.b64encode(f.png).decode("ascii")}
             for f in figures]  # fmt: skip
    return str(_render("figures.html.j2", figures=shown))


def _render(template: str, **values: Any) -> Markup:
    """A template of sim/present/templates rendered with autoescape: values are escaped unless they are
    `Markup` (HTML fragments built, and escaped, by this module)."""
    return Markup(_templates().get_template(template).render(**values))


@functools.cache
def _templates() -> Any:
    from jinja2 import Environment, PackageLoader, select_autoescape

    return Environment(loader=PackageLoader("sim.present", "templates"), autoescape=select_autoescape(["j2", "html"]),
                       keep_trailing_newline=True)  # fmt: skip


def _page(title: str, subtitle: str, sections: Sequence[tuple[str, str]]) -> str:
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M")
    shown = [(h, Markup(content)) for h, content in sections]
    return str(_render("page.html.j2", title=title, subtitle=Markup(subtitle), sections=shown, stamp=stamp))


def _words_table(rows: Sequence[tuple[str, str]]) -> str:
    return '<table class="words">' + "".join(f"<tr><th>{_esc(h)}</th><td>{t}</td></tr>" for h, t in rows) + "</table>"
