"""Reading a team's InMail report export: the analytics.csv that `inmail-sim run` writes, or LinkedIn
Recruiter's InMail report with its period columns. Every row is checked; a bad one is refused with its line
and column, so a calibration never rests on a count the reader had to guess.

Column mapping (case, spaces, underscores and a trailing "(#)" or "(%)" do not matter):

| meaning | analytics.csv | LinkedIn export (any of) |
|---|---|---|
| seat | `seat` (rows `all` are pool rows, skipped) | `seat`, `seat holder`, `recruiter`, `user`, `name` |
| period | `week` (ISO week, e.g. `2026-W02`) | `period start` + `period end` (end inclusive), or `date` |
| sent | `sent` | `inmails sent`, `sent`, `total inmails sent` |
| accepted | `accepted` | `inmails accepted`, `accepted` |
| declined | `declined` | `inmails declined`, `declined` |
| quick replies | `quick_replies` (optional) | `inmails quick replies`, `quick replies` (optional) |
| pending | `pending` (optional; checked) | `inmails pending`, `pending` (optional; checked) |

A quick reply is a response to the behaviour model whatever the rules count. Known columns that calibration
does not use (account, responses, response rate, credits, balance) are listed as
ignored; any other column is reported as unknown. Dates are ISO (`2026-01-05`) or `MM/DD/YYYY`.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from ..config.files import NotAFileError, TooLargeError, read_bounded

MAX_REPORTED = 10  # problems listed before the reader stops

ALIASES: dict[str, tuple[str, ...]] = {
    "seat": ("seat", "seat holder", "recruiter", "user", "name", "seat name"),
    "account": ("account", "contract"),
    "week": ("week", "iso week"),
    "date": ("date", "day"),
    "period_start": ("period start", "start date", "start", "from"),
    "period_end": ("period end", "end date", "end", "to"),
    "sent": ("sent", "inmails sent", "total inmails sent"),
    "accepted": ("accepted", "inmails accepted"),
    "declined": ("declined", "inmails declined"),
    "quick_replies": ("quick replies", "inmails quick replies", "quick reply"),
    "pending": ("pending", "inmails pending"),
}
IGNORED = (
    "responses",
    "response rate",
    "inmail response rate",
    "credits spent",
    "credits refunded",
    "credits expired",
    "balance end",
    "credits",
    "period",
)
COUNTS = ("sent", "accepted", "declined", "quick_replies", "pending")


class ExportError(ValueError):
    """The export cannot be read as it stands; every message names the line and the column."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Export:
    """The checked rows of an export: one per seat and period, counts as of the export date."""

    path: Path
    layout: str  # "analytics" (ISO weeks) or "linkedin" (period columns)
    rows: pd.DataFrame  # line, seat, start, end (exclusive), sent, accepted, declined, quick_replies, pending
    columns: dict[str, str]  # meaning -> the column it was read from
    ignored: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def first_day(self) -> date:
        starts: list[date] = self.rows["start"].tolist()
        return min(starts)

    @property
    def last_day(self) -> date:
        """The day after the last period ends."""
        ends: list[date] = self.rows["end"].tolist()
        return max(ends)

    @property
    def daily(self) -> bool:
        """Every period is one day (the weekday effect can then show)."""
        return bool(all((e - s).days == 1 for s, e in zip(self.rows["start"], self.rows["end"], strict=True)))


def _norm(name: str) -> str:
    name = re.sub(r"\((#|%)\)\s*$", "", name.strip().lower())
    return re.sub(r"[\s_\-]+", " ", name).strip()


def _map_columns(header: list[str], where: str) -> tuple[dict[str, str], list[str], list[str]]:
    columns: dict[str, str] = {}
    ignored: list[str] = []
    unknown: list[str] = []
    for raw in header:
        key = _norm(raw)
        meaning = next((m for m, names in ALIASES.items() if key in names), None)
        if meaning is None:
            (ignored if key in IGNORED else unknown).append(raw)
        elif meaning in columns:
            raise ExportError(
                [
                    f"{where}: line 1, column {raw!r}: a second column for {meaning} "
                    f"(already read from {columns[meaning]!r})"
                ]
            )
        else:
            columns[meaning] = raw
    if "account" in columns:
        ignored.append(columns.pop("account"))
    return columns, ignored, unknown


def _layout(columns: dict[str, str], where: str) -> str:
    periods = [m for m in ("week", "date", "period_start") if m in columns]
    if not periods:
        raise ExportError([f"{where}: line 1: missing column week, date or period start (the report period)"])
    if len(periods) > 1:
        raise ExportError(
            [f"{where}: line 1: columns {', '.join(columns[m] for m in periods)} both give the period; keep one"]
        )
    if periods[0] == "period_start" and "period_end" not in columns:
        raise ExportError([f"{where}: line 1: missing column period end (beside {columns['period_start']!r})"])
    missing = [m for m in ("seat", "sent", "accepted", "declined") if m not in columns]
    if missing:
        raise ExportError(
            [f"{where}: line 1: missing column {', '.join(missing)} (have: {', '.join(columns.values())})"]
        )
    return "analytics" if periods[0] == "week" else "linkedin"


def _parse_day(text: str) -> date:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date (expected YYYY-MM-DD or MM/DD/YYYY)")


def _parse_week(text: str) -> date:
    match = re.fullmatch(r"\s*(\d{4})-?W(\d{1,2})\s*", text)
    if not match:
        raise ValueError(f"{text!r} is not an ISO week (expected e.g. 2026-W02)")
    try:
        return date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError as err:
        raise ValueError(f"{text!r} is not an ISO week ({err})") from None


def _count(text: str) -> float:
    try:
        value = float(text.replace(",", "")) if text.strip() else math.nan
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if math.isnan(value):
        raise ValueError("is empty (a count is needed)")
    if math.isinf(value) or value < 0:
        raise ValueError(f"{text!r}: a count cannot be negative or infinite")
    return value


class _RowReader:
    """Turns one CSV record into a checked row, or records why not."""

    def __init__(self, columns: dict[str, str], layout: str, where: str) -> None:
        self.columns, self.layout, self.where = columns, layout, where
        self.problems: list[str] = []

    def _bad(self, line: int, meaning: str, reason: str) -> None:
        self.problems.append(f"{self.where}: line {line}, column {self.columns[meaning]!r}: {reason}")

    def _period(self, record: dict[str, str], line: int) -> tuple[date, date] | None:
        try:
            if self.layout == "analytics":
                start = _parse_week(record[self.columns["week"]])
                return start, start + timedelta(days=7)
            if "date" in self.columns:
                day = _parse_day(record[self.columns["date"]])
                return day, day + timedelta(days=1)
            start = _parse_day(record[self.columns["period_start"]])
        except ValueError as err:
            self._bad(
                line,
                "week"
                if self.layout == "analytics"
                else next(m for m in ("date", "period_start") if m in self.columns),
                str(err),
            )
            return None
        try:
            end = _parse_day(record[self.columns["period_end"]]) + timedelta(days=1)
        except ValueError as err:
            self._bad(line, "period_end", str(err))
            return None
        if end <= start:
            self._bad(line, "period_end", f"ends before the period starts ({start.isoformat()})")
            return None
        return start, end

    def read(self, record: dict[str, str | None], line: int) -> dict[str, Any] | None:
        if any(record.get(c) is None for c in self.columns.values()):
            self.problems.append(f"{self.where}: line {line}: fewer fields than the header has columns")
            return None
        rec: dict[str, str] = {k: v or "" for k, v in record.items() if isinstance(k, str)}
        seat = rec[self.columns["seat"]].strip()
        if seat == "all" and self.layout == "analytics":
            return None  # the pool's row: credits, no InMails
        if not seat:
            self._bad(line, "seat", "is empty")
            return None
        counts: dict[str, float] = {}
        for meaning in COUNTS:
            if meaning in self.columns:
                try:
                    counts[meaning] = _count(rec[self.columns[meaning]])
                except ValueError as err:
                    self._bad(line, meaning, str(err))
        period = self._period(rec, line)
        if period is None or len(counts) < sum(m in self.columns for m in COUNTS):
            return None
        return self._consistent(line, seat, period, counts)

    def _consistent(
        self, line: int, seat: str, period: tuple[date, date], counts: dict[str, float]
    ) -> dict[str, Any] | None:
        quick = counts.get("quick_replies", 0.0)
        responses = counts["accepted"] + counts["declined"] + quick
        answers = "accepted + declined" + (" + quick replies" if "quick_replies" in counts else "")
        if responses > counts["sent"] + 1e-9:
            self._bad(
                line,
                "accepted",
                f"{answers} ({responses:g}) exceeds sent ({counts['sent']:g}): more responses than sends",
            )
            return None
        pending = counts["sent"] - responses
        if "pending" in counts and abs(counts["pending"] - pending) > 0.01 * max(1.0, counts["sent"]):
            self._bad(
                line, "pending", f"{counts['pending']:g} but sent - {answers.replace(' + ', ' - ')} = {pending:g}"
            )
            return None
        return {
            "line": line,
            "seat": seat,
            "start": period[0],
            "end": period[1],
            "sent": counts["sent"],
            "accepted": counts["accepted"],
            "declined": counts["declined"],
            "quick_replies": quick,
            "pending": pending,
        }


def _overlaps(rows: list[dict[str, Any]], columns: dict[str, str], where: str) -> list[str]:
    """Two periods of one seat that share a day: the later row is refused."""
    problems: list[str] = []
    column = columns.get("week") or columns.get("date") or columns["period_start"]
    last: dict[str, tuple[date, int]] = {}  # seat -> latest end so far and its line
    for row in sorted(rows, key=lambda r: (r["seat"], r["start"], r["line"])):
        seen = last.get(row["seat"])
        if seen is not None and row["start"] < seen[0]:
            problems.append(
                f"{where}: line {row['line']}, column {column!r}: period overlaps the period of line {seen[1]} "
                f"for seat {row['seat']}"
            )
        if seen is None or row["end"] > seen[0]:
            last[row["seat"]] = (row["end"], row["line"])
    return problems


MAX_EXPORT_BYTES = 100_000_000
"""A report export is a row per seat and period: far below this even for a large team over years."""


def read_export(path: str | Path) -> Export:
    """The checked export at `path`; `ExportError` lists the first problems, each with its line and column."""
    path = Path(path)
    where = str(path)
    try:
        text = read_bounded(path, MAX_EXPORT_BYTES).decode("utf-8-sig")
    except FileNotFoundError:
        raise ExportError([f"{where}: no such file"]) from None
    except TooLargeError:
        too_large = f"{where}: the file is over {MAX_EXPORT_BYTES:,} bytes, more than a report export"
        raise ExportError([too_large]) from None
    except NotAFileError as err:
        raise ExportError([f"{where}: cannot be read as a CSV file ({err})"]) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ExportError([f"{where}: cannot be read as a UTF-8 CSV file ({err.__class__.__name__})"]) from None
    reader = csv.DictReader(text.splitlines(keepends=True))
    header = reader.fieldnames or []
    if not header:
        raise ExportError([f"{where}: line 1: the file is empty (expected a header row)"])
    columns, ignored, unknown = _map_columns(list(header), where)
    layout = _layout(columns, where)
    rows_reader = _RowReader(columns, layout, where)
    rows: list[dict[str, Any]] = []
    for record in reader:
        row = rows_reader.read(record, reader.line_num)
        if row is not None:
            rows.append(row)
        if len(rows_reader.problems) >= MAX_REPORTED:
            break
    problems = rows_reader.problems
    if not problems:
        problems = _overlaps(rows, columns, where)[:MAX_REPORTED]
    if problems:
        raise ExportError(problems)
    frame = pd.DataFrame(rows, columns=["line", "seat", "start", "end", *COUNTS])
    if frame.empty or frame["sent"].sum() == 0:
        raise ExportError([f"{where}: no InMails sent in any row: nothing to calibrate from"])
    export = Export(path, layout, frame.reset_index(drop=True), columns, ignored, unknown)
    if (frame[list(COUNTS)] % 1 != 0).to_numpy().any():
        export.notes.append(
            "counts are not whole numbers (an analytics.csv averaged over replications): the intervals treat "
            "them as one team's counts"
        )
    return export
