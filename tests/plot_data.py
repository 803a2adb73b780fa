"""Synthetic run tables with the exact columns of a results folder, for the figure tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

REASONS = [
    "sends_blocked_no_credit",
    "sends_blocked_seat_credit_limit",
    "sends_blocked_daily_limit",
    "sends_blocked_first_week_limit",
    "sends_blocked_policy_restricted",
    "sends_blocked_no_candidates",
]


def make_tables(
    replications: int = 3,
    seats: int = 3,
    days: int = 60,
    *,
    responses: bool = True,
    blocked: bool = True,
    email_seats: int = 0,
    seed: int = 7,
    start: str = "2024-01-01",
) -> dict[str, pd.DataFrame]:
    """Tables keyed account_days, seat_days, credits, inmails, loosely consistent with one another."""
    rng = np.random.default_rng(seed)
    start_ts = pd.Timestamp(start)
    dates = pd.date_range(start_ts, periods=days, freq="D")
    inmail_rows: list[dict[str, object]] = []
    seat_rows: list[dict[str, object]] = []
    credit_rows: list[dict[str, object]] = []
    account_rows: list[dict[str, object]] = []
    p_respond = 0.3 if responses else 0.0
    n_senders = seats + email_seats
    for rep in range(replications):
        next_id = 0
        balance = 0
        refunds_due: dict[int, int] = {}
        for day in range(days):
            granted = 150 if day % 30 == 0 else 0
            expired = 20 if day % 30 == 29 else 0
            balance += granted
            spent_today = 0
            for sender in range(n_senders):
                email = sender >= seats
                weekday = dates[day].weekday() < 5
                sent = int(rng.integers(2, 7)) if weekday else 0
                if not email:
                    sent = min(sent, balance - spent_today)
                rate = np.nan
                state = "" if email else "ok"
                if not email and day >= 14:
                    rate = float(np.clip(rng.normal(0.18 - 0.04 * sender, 0.03), 0, 1)) if responses else 0.0
                    if sender == 2 and 25 <= day < 32:
                        state = "warning"
                    elif sender == 2 and 32 <= day < 35:
                        state = "grace"
                    elif sender == 2 and 35 <= day < 42:
                        state = "restricted"
                if state == "restricted":
                    sent = 0
                block = {r: 0 for r in REASONS}
                if blocked and weekday:
                    if state == "restricted":
                        block["sends_blocked_policy_restricted"] = 4
                    if not email and day % 30 > 22:
                        block["sends_blocked_no_credit"] = int(rng.integers(0, 4))
                    if day < 7:
                        block["sends_blocked_first_week_limit"] = int(rng.integers(0, 2))
                n_resp = 0
                for _ in range(max(sent, 0)):
                    sent_at = day + 9 / 24 + rng.uniform(0, 0.3)
                    read_at = sent_at + rng.exponential(1.5) if rng.uniform() < 0.7 else np.nan
                    outcome = "none"
                    responded_at = np.nan
                    if np.isfinite(read_at) and rng.uniform() < p_respond / 0.7:
                        outcome = "accepted" if rng.uniform() < 0.6 else "declined"
                        responded_at = read_at + rng.lognormal(0.0, 1.0)
                        n_resp += 1
                    refunded_at = np.nan
                    if not email and not np.isfinite(responded_at):
                        refunded_at = sent_at + 7
                        if refunded_at < days:
                            refunds_due[int(refunded_at)] = refunds_due.get(int(refunded_at), 0) + 1
                            credit_rows.append(
                                {
                                    "replication": rep,
                                    "account": "A",
                                    "time": refunded_at,
                                    "date": start_ts + pd.Timedelta(days=float(refunded_at)),
                                    "kind": "refund",
                                    "amount": 1,
                                    "seat": sender,
                                    "inmail": next_id,
                                }
                            )
                        else:
                            refunded_at = np.nan
                    if not email:
                        credit_rows.append(
                            {
                                "replication": rep,
                                "account": "A",
                                "time": sent_at,
                                "date": start_ts + pd.Timedelta(days=float(sent_at)),
                                "kind": "spend",
                                "amount": 1,
                                "seat": sender,
                                "inmail": next_id,
                            }
                        )
                        spent_today += 1
                    inmail_rows.append(
                        {
                            "replication": rep,
                            "id": next_id,
                            "seat": sender,
                            "sender": sender,
                            "group": "email" if email else "recruiters",
                            "account": "A",
                            "candidate": int(rng.integers(0, 10_000)),
                            "channel": "email" if email else "inmail",
                            "cost": "none" if email else "credit",
                            "bulk": False,
                            "personalised": True,
                            "sent_at": sent_at,
                            "read_at": read_at,
                            "outcome": outcome,
                            "responded_at": responded_at,
                            "refunded_at": refunded_at,
                        }
                    )
                    next_id += 1
                seat_rows.append(
                    {
                        "replication": rep,
                        "sender": sender,
                        "seat": sender,
                        "group": "email" if email else "recruiters",
                        "account": "A",
                        "day": day,
                        "date": dates[day],
                        "sent": max(sent, 0),
                        "responses": n_resp,
                        **block,
                        "credit_balance": 0,
                        "policy_state": state,
                        "trailing_rate": rate,
                    }
                )
            refunded_today = refunds_due.pop(day, 0)
            balance = balance - spent_today + refunded_today - expired
            expired_real = expired if balance >= 0 else expired + balance
            balance = max(balance, 0)
            for kind, amount in (("grant", granted), ("expire", expired_real)):
                if amount:
                    credit_rows.append(
                        {
                            "replication": rep,
                            "account": "A",
                            "time": float(day),
                            "date": dates[day],
                            "kind": kind,
                            "amount": amount,
                            "seat": None,
                            "inmail": None,
                        }
                    )
            account_rows.append(
                {
                    "replication": rep,
                    "account": "A",
                    "day": day,
                    "date": dates[day],
                    "credit_balance": balance,
                    "credits_granted": granted,
                    "credits_spent": spent_today,
                    "credits_refunded": refunded_today,
                    "credits_expired": expired_real,
                    "credits_forfeited": 0,
                }
            )
            for row in seat_rows[-n_senders:]:
                row["credit_balance"] = balance
    credits = pd.DataFrame(
        credit_rows, columns=["replication", "account", "time", "date", "kind", "amount", "seat", "inmail"]
    )
    credits["seat"] = credits["seat"].astype("Int64")
    credits["inmail"] = credits["inmail"].astype("Int64")
    credits["amount"] = credits["amount"].astype(int)
    credits["date"] = pd.to_datetime(credits["date"])
    inmails = pd.DataFrame(
        inmail_rows,
        columns=[
            "replication",
            "id",
            "seat",
            "sender",
            "group",
            "account",
            "candidate",
            "channel",
            "cost",
            "bulk",
            "personalised",
            "sent_at",
            "read_at",
            "outcome",
            "responded_at",
            "refunded_at",
        ],
    )
    return {
        "account_days": pd.DataFrame(account_rows),
        "seat_days": pd.DataFrame(seat_rows),
        "credits": credits,
        "inmails": inmails,
    }


def make_sweep_points() -> pd.DataFrame:
    """Sweep points over team size, split by rules preset, with KPI mean and CI columns."""
    rows = []
    for preset, shift in (("seed", 0.0), ("linkedin-current", 0.02)):
        for size in (2, 5, 10, 20, 40):
            rr = 0.2 - 0.002 * size + shift
            sent = 300.0 * size
            rows.append(
                {
                    "team_size": size,
                    "rules": preset,
                    "response_rate_mean": rr,
                    "response_rate_ci_low": rr - 0.015,
                    "response_rate_ci_high": rr + 0.015,
                    "inmails_sent_mean": sent,
                    "inmails_sent_ci_low": sent * 0.95,
                    "inmails_sent_ci_high": sent * 1.05,
                }
            )
    return pd.DataFrame(rows)


def make_paired_table() -> pd.DataFrame:
    """A paired-comparison table of a few KPIs, some significant, one zero under A."""
    rows = [
        ("inmails_sent", 1200.0, 1150.0, -50.0, -90.0, -10.0, True),
        ("response_rate", 0.16, 0.17, 0.01, -0.005, 0.025, False),
        ("credits_refunded", 400.0, 120.0, -280.0, -310.0, -250.0, True),
        ("credits_spent", 1200.0, 1150.0, -50.0, -90.0, -10.0, True),
        ("credits_forfeited", 0.0, 5.0, 5.0, 1.0, 9.0, True),
        ("policy_warnings", 2.0, 2.4, 0.4, -0.6, 1.4, False),
    ]
    return pd.DataFrame(rows, columns=["kpi", "mean_a", "mean_b", "diff", "ci_low", "ci_high", "excludes_zero"])
