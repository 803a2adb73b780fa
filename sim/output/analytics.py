"""The InMail analytics report: per seat and ISO week, shaped like LinkedIn Recruiter's, averaged over replications."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

from ..rules import Rules
from ..rules.report import reported_answered
from .kpis import INMAIL_COSTS as _INMAIL_COSTS


def _iso_weeks(days: np.ndarray, start: date) -> pd.Categorical:
    """The ISO week ("2026-W02") of each day counted from `start` (formatted once per distinct day)."""
    unique, inverse = np.unique(days, return_inverse=True)
    labels = np.asarray(pd.DatetimeIndex(pd.Timestamp(start) + pd.to_timedelta(unique, unit="D")).strftime("%G-W%V"))
    categories = np.unique(labels)
    codes = np.searchsorted(categories, labels)
    return pd.Categorical.from_codes(codes[inverse.ravel()], categories=pd.Index(categories.tolist()))


@functools.lru_cache(maxsize=1024)
def _week_span(first_day: int, end_day: int, start: date) -> tuple[np.ndarray, tuple[str, ...]]:
    """The ISO week codes of the days `first_day` to `end_day` - 1 and the weeks they index (a run's chunks
    span the same few days again and again: each span is formatted once)."""
    span = _iso_weeks(np.arange(first_day, end_day), start)
    codes = np.asarray(span.codes, dtype=np.int64)
    codes.flags.writeable = False
    return codes, tuple(span.categories)


def seat_week_sums(
    account: np.ndarray,
    accounts: list[str],
    seat: np.ndarray,
    days: np.ndarray,
    start: date,
    sums: dict[str, np.ndarray | None],
) -> pd.DataFrame:
    """Rows summed by account (`account`: positions in the sorted labels `accounts`), seat and ISO week of
    the day offset `days`: one column per entry of `sums` (the values to add up, or None to count rows), in
    the shape of `_inmail_weeks` and `_credit_weeks` (sorted by account, seat and week). Linear in the rows:
    the weeks of the days spanned are formatted once, the groups are counted in a dense array when there
    are not many more of them than rows (a chunk's: a few days of one account's seats)."""
    days = np.asarray(days, dtype=np.int64)
    first_day = int(days.min()) if days.size else 0
    codes, weeks = _week_span(first_day, int(days.max()) + 1 if days.size else 1, start)
    week = codes[days - first_day]
    seat = np.asarray(seat, dtype=np.int64)
    low = int(seat.min()) if seat.size else 0
    n_seats = (int(seat.max()) - low + 1) if seat.size else 1
    n_weeks = max(len(weeks), 1)
    key = (np.asarray(account, dtype=np.int64) * n_seats + (seat - low)) * n_weeks + week
    size = max(len(accounts), 1) * n_seats * n_weeks
    if size <= 4 * len(key) + 4096:
        counts = np.bincount(key, minlength=size)
        groups = np.flatnonzero(counts)

        def added(values: np.ndarray | None) -> np.ndarray:
            if values is None:
                return counts[groups]
            return np.bincount(key, weights=np.asarray(values, dtype=np.float64), minlength=size)[groups]
    else:
        groups, inverse = np.unique(key, return_inverse=True)
        inverse = inverse.ravel()

        def added(values: np.ndarray | None) -> np.ndarray:
            weights = None if values is None else np.asarray(values, dtype=np.float64)
            return np.bincount(inverse, weights=weights, minlength=len(groups))

    frame = pd.DataFrame(
        {
            "account": np.asarray(accounts, dtype=object)[groups // (n_seats * n_weeks)],
            "seat": (groups // n_weeks) % n_seats + low,
            "week": np.asarray(weeks, dtype=object)[groups % n_weeks],
        }
    )
    frame["week"] = frame["week"].astype(str)
    for name, values in sums.items():
        frame[name] = np.rint(added(values)).astype(np.int64)
    return frame


def report_outcomes(
    rules: Rules, outcome: np.ndarray, labels: Sequence[str], sent_at: np.ndarray, responded_at: np.ndarray
) -> dict[str, np.ndarray]:
    """Per InMail, 1 where the report shows it accepted, declined, quick-replied, or as a response its rate
    counts (`outcome`: codes into `labels`): only responses within the report window (`sim.rules.report`)."""
    shown = reported_answered(rules, sent_at, responded_at)
    codes = np.asarray(outcome, dtype=np.int64)

    def among(kinds: Sequence[str]) -> np.ndarray:
        wanted = [i for i, label in enumerate(labels) if label in kinds]
        return (shown & np.isin(codes, wanted)).astype(np.int64)

    counted = [label for label in labels if rules.counts_as_response(label)]
    return {
        "accepted": among(["accepted"]),
        "declined": among(["declined"]),
        "quick_replies": among(["quick_reply"]),
        "responses": among(counted),
    }


def _inmail_weeks(inmails: pd.DataFrame, start: date, rules: Rules) -> pd.DataFrame:
    """InMails sent, and those the report shows answered (`report_outcomes`), per account, seat and ISO week
    of sending."""
    im = inmails[inmails["cost"].isin(_INMAIL_COSTS)]
    outcome = pd.Categorical(im["outcome"].astype(str))
    answered = report_outcomes(
        rules,
        outcome.codes,
        list(outcome.categories),
        im["sent_at"].to_numpy(dtype=np.float64),
        im["responded_at"].to_numpy(dtype=np.float64, na_value=np.nan),
    )
    frame = pd.DataFrame(
        {
            "account": im["account"],
            "seat": im["seat"],
            "week": _iso_weeks(np.floor(im["sent_at"].to_numpy()).astype(np.int64), start),
            **answered,
        }
    )
    weeks = (
        frame.groupby(["account", "seat", "week"], observed=True)
        .agg(sent=("accepted", "size"), **{name: (name, "sum") for name in answered})
        .reset_index()
    )
    weeks["week"] = weeks["week"].astype(str)
    return weeks


def _credit_weeks(credits: pd.DataFrame, start: date) -> pd.DataFrame:
    """Credits spent and refunded per account, seat and ISO week (every account, seat and week with a
    movement of a seat's credits)."""
    moves = credits[credits["seat"].notna()]
    kind = moves["kind"].astype(str)
    amount = moves["amount"].to_numpy(dtype=np.int64)
    frame = pd.DataFrame(
        {
            "account": moves["account"],
            "seat": moves["seat"].to_numpy(dtype=np.int64),
            "week": _iso_weeks(np.floor(moves["time"].to_numpy(dtype=float)).astype(np.int64), start),
            "credits_spent": np.where((kind == "spend").to_numpy(), amount, 0),
            "credits_refunded": np.where((kind == "refund").to_numpy(), amount, 0),
        }
    )
    moved = frame.groupby(["account", "seat", "week"], observed=True)[["credits_spent", "credits_refunded"]].sum()
    moved = moved.reset_index()
    moved["week"] = moved["week"].astype(str)
    return moved


def _sum_parts(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Partial counts by (account, seat, week), added up."""
    frames = [p.astype({"account": str}) for p in parts if len(p)]
    if not frames:
        return parts[0] if parts else pd.DataFrame()
    keys = ["account", "seat", "week"]
    return pd.concat(frames, ignore_index=True).groupby(keys, sort=False).sum().reset_index()


def analytics(tables: dict[str, pd.DataFrame], start: date, rules: Rules) -> pd.DataFrame:
    """Per seat and ISO week, shaped like LinkedIn Recruiter's InMail report, averaged over replications;
    responses as the report shows them (`report_outcomes`: within its window).

    Rows with seat 'all' carry the account's pool figures (expired credits and the week-end balance)."""
    reps = max(1, int(tables["seat_days"]["replication"].nunique()))
    seat_weeks = _inmail_weeks(tables["inmails"], start, rules)
    moved = _credit_weeks(tables["credits"], start)
    return _analytics_report(seat_weeks, moved, tables["account_days"], reps)


COUNT_COLUMNS = (
    "sent",
    "accepted",
    "declined",
    "quick_replies",
    "pending",
    "responses",
    "credits_spent",
    "credits_refunded",
    "credits_expired",
)


def _pool_weeks(account_days: pd.DataFrame) -> pd.DataFrame:
    """Per account and ISO week, summed over replications: credits expired, and the balance at the end of the
    week's last day in each replication (divided by the replications, as every count is, it is their mean)."""
    pool = account_days[["replication", "account", "day", "credits_expired", "credit_balance"]].copy()
    pool["week"] = pd.to_datetime(account_days["date"]).dt.strftime("%G-W%V").to_numpy()
    per_replication = (
        pool.sort_values(["replication", "day"], kind="stable")
        .groupby(["replication", "account", "week"], observed=True)
        .agg(credits_expired=("credits_expired", "sum"), balance_end=("credit_balance", "last"))
        .reset_index()
    )
    weeks = per_replication.groupby(["account", "week"], observed=True)[["credits_expired", "balance_end"]].sum()
    weeks = weeks.reset_index()
    weeks["seat"] = "all"
    return weeks


def _analytics_report(
    seat_weeks: pd.DataFrame, moved: pd.DataFrame, account_days: pd.DataFrame, reps: int
) -> pd.DataFrame:
    seat_weeks = seat_weeks.copy()
    answered = seat_weeks["accepted"] + seat_weeks["declined"] + seat_weeks["quick_replies"]
    seat_weeks["pending"] = seat_weeks["sent"] - answered
    report = seat_weeks.merge(moved, on=["account", "seat", "week"], how="outer").fillna(0)
    report["seat"] = report["seat"].astype(np.int64).astype(str)
    report = pd.concat([report, _pool_weeks(account_days)], ignore_index=True)
    count_cols = list(COUNT_COLUMNS)
    for col in [*count_cols, "balance_end"]:
        if col not in report:
            report[col] = 0
    report = report.fillna({c: 0 for c in count_cols})
    for col in count_cols:
        report[col] = report[col] / reps
    report["balance_end"] = report["balance_end"] / reps
    report["response_rate"] = report["responses"] / report["sent"].where(report["sent"] > 0)
    cols = ["account", "seat", "week", *count_cols[:6], "response_rate", *count_cols[6:]]
    return report[[*cols, "balance_end"]].sort_values(["account", "week", "seat"]).reset_index(drop=True)
