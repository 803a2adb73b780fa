"""A results folder's state at its end or at a day, for `inmail-sim run FILE --state-from DIR [--at DAY]`:
one `state:` per replication of that run, rebuilt from its credits and per-InMail tables by the rules
themselves (the ledger replays the credit movements, the response-rate machine replays the days), so a
forecast can carry on where that run stopped.

What the tables cannot say, the run's own draws do: an InMail still unanswered at the horizon gets the
response (or none) its candidate was drawn to give, sampled again from the same seed and replication
(every behaviour model draws a candidate's answers from streams of their own, in contact order, so a fresh
pool draws them again exactly)."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config.scenario import Scenario, load_scenario
from ..model.behaviour import NO_RESPONSE
from ..model.candidates import Population
from ..model.samplers import make_sampler
from ..model.staffing import build_accounts, staff
from ..model.streams import Streams
from ..rules import Calendar, ResponseRatePolicy, Rules
from ..rules.policy import window_start
from ..rules.refund import credit_back


class StateFromError(ValueError):
    """A results folder (or day) a state cannot be taken from: the message names the flag."""


def _read(folder: Path) -> tuple[Scenario, pd.DataFrame, pd.DataFrame]:
    resolved = folder / "scenario.resolved.yaml"
    if not resolved.is_file():
        raise StateFromError(f"--state-from: {folder} is not a results folder of `inmail-sim run` (no {resolved.name})")
    previous = load_scenario(resolved)
    tables = []
    for name in ("credits", "inmails"):
        path = folder / f"{name}.parquet"
        if not path.is_file():
            raise StateFromError(f"--state-from: {folder} has no {path.name}: run it with --tables full")
        tables.append(pd.read_parquet(path))
    if previous.state is not None:
        raise StateFromError(f"--state-from: {folder} itself started from a state; chain from its first run's folder")
    return previous, tables[0], tables[1]


def state_from_results(folder: Path, at: int | None) -> tuple[Scenario, list[dict[str, Any]], int]:
    """The run in `folder`, one state per replication at day `at` (default: its horizon), and that day."""
    previous, credits, inmails = _read(folder)
    day = previous.horizon_days if at is None else at
    if not 1 <= day <= previous.horizon_days:
        raise StateFromError(f"--at: must be a day from 1 to the run's horizon {previous.horizon_days} (got {at})")
    runs = pd.read_parquet(folder / "runs.parquet") if (folder / "runs.parquet").is_file() else None
    replications = sorted(set(inmails["replication"]) | set(credits["replication"]))
    if runs is not None:
        replications = sorted(int(r) for r in runs["replication"])
    states = [
        _replication_state(
            previous,
            int(r),
            day,
            credits[credits["replication"] == r],
            inmails[inmails["replication"] == r],
        )
        for r in replications
    ]
    return previous, states, day


def _ledger_state(rules: Rules, account: Any, rows: pd.DataFrame, day: int) -> tuple[list[dict[str, Any]], float]:
    """The account's batches at midnight `day` (the rules' ledger replays its movements) and its last grant."""
    ledger = account.ledger.empty_like()
    last_grant = -math.inf
    for t, kind, amount, seat, inmail in rows[["time", "kind", "amount", "seat", "inmail"]].itertuples(index=False):
        if t >= day:
            continue
        if kind == "grant":
            ledger.grant(t, int(amount))
            last_grant = t
        elif kind == "spend":
            ledger.spend(t, int(seat), int(inmail))
        elif kind == "refund":
            ledger.refund(t, int(inmail))
    ledger.expire_due(float(day))
    batches = [{"created": b.created - day, "credits": b.remaining} for b in ledger.batches if b.remaining]
    return batches, last_grant


def _policy_state(rules: Rules, sent: pd.Series, answered: pd.DataFrame, day: int) -> tuple[str, int | None]:
    """The seat's response-rate state at midnight `day`, by replaying the machine over the run's days."""
    policy = ResponseRatePolicy(rules)
    for d, n in zip(sent.index.tolist(), sent.tolist(), strict=True):
        policy.counts.add_sent(int(d), int(n))
    times = answered["responded_at"].to_numpy()
    sent_days = np.floor(answered["sent_at"].to_numpy()).astype(int)
    order = np.argsort(times, kind="stable")
    k = 0
    for d in range(day):
        while k < len(order) and times[order[k]] < d:
            policy.record_response(int(sent_days[order[k]]))
            k += 1
        policy.evaluate(d)
    since = policy.since()
    return policy.state.value, None if since is None else since - day


def _replication_state(
    previous: Scenario, replication: int, day: int, credits: pd.DataFrame, inmails: pd.DataFrame
) -> dict[str, Any]:
    rules = previous.resolved_rules()
    calendar = Calendar(previous.start)
    accounts, seats_by_spec = build_accounts(previous, calendar)
    senders = staff(previous, seats_by_spec)
    state: dict[str, Any] = {"as_of": (previous.start + timedelta(days=day)).isoformat()}
    grants: dict[str, float] = {}
    state["accounts"] = []
    for label, account in accounts.items():
        batches, grants[label] = _ledger_state(rules, account, credits[credits["account"] == label], day)
        state["accounts"].append({"account": label, "batches": batches})
    sent = inmails[(inmails["sent_at"] < day) & inmails["cost"].isin(["credit", "open_profile"])]
    counting = sent["outcome"].map(lambda o: o != NO_RESPONSE and rules.counts_as_response(o)).astype(bool)
    answered = sent[counting & (sent["responded_at"] < day)]
    lo = window_start(rules, day)
    state["seats"] = []
    month = calendar.month_start(day)
    for label, account in accounts.items():
        for sid, seat in account.seats.items():
            if seat.activation_day >= day:
                continue
            mine = sent[sent["seat"] == sid]
            by_day = np.floor(mine["sent_at"]).astype(int).value_counts().sort_index()
            resp = answered[answered["seat"] == sid]
            resp_days = np.floor(resp["sent_at"]).astype(int).value_counts()
            history = [
                {"day": int(d) - day, "sent": int(n), "responses": int(resp_days.get(d, 0))}
                for d, n in by_day.items()
                if d >= lo
            ]
            policy, since = _policy_state(rules, by_day, resp, day)
            paid = mine[(mine["cost"] == "credit") & (mine["sent_at"] >= grants[label])]
            free = mine[(mine["cost"] == "open_profile") & (np.floor(mine["sent_at"]) >= month)]
            state["seats"].append(
                {
                    "seat": sid,
                    "activation_day": seat.activation_day - day,
                    "credits_this_period": len(paid),
                    "open_profile_used": len(free),
                    "history": history,
                    "policy": {"state": policy, "since": since},
                }
            )
    state["in_flight"] = _in_flight(previous, rules, replication, day, sent, senders, calendar)
    return state


def _in_flight(
    previous: Scenario,
    rules: Rules,
    replication: int,
    day: int,
    sent: pd.DataFrame,
    senders: list[Any],
    calendar: Calendar,
) -> list[dict[str, Any]]:
    """The InMails sent before `day` with a response or a credit still to come, each with the lifecycle its
    candidate was drawn to have (the same seed and replication give the same draws)."""
    streams = Streams(previous.seed, replication)  # the seed the run used (its resolved scenario records it)
    population = Population(previous.candidates, streams, previous.horizon_days)
    sampler = make_sampler(previous.behaviour, rules, population, streams)
    flying = []
    rows: list[dict[str, Any]] = [{str(k): v for k, v in row.items()} for row in sent.to_dict("records")]
    for row in rows:
        r = senders[int(row["sender"])]
        t = float(row["sent_at"])
        life = sampler.sample(
            int(row["candidate"]), r.message(t, calendar.weekday(t), bool(row["personalised"]), bool(row["bulk"]))
        )
        responds = life.outcome != NO_RESPONSE
        recorded = float(row["responded_at"])
        if not math.isnan(recorded) and recorded != life.responded_at:
            raise RuntimeError(f"InMail {row['id']}: resampled response {life.responded_at} != recorded {recorded}")
        counted = responds and rules.counts_as_response(life.outcome)
        paid = row["cost"] == "credit"
        back = credit_back(rules, t, life.response_delay if counted else None) if paid else None
        future_response = responds and life.responded_at >= day
        if future_response or (back is not None and back >= day):
            flying.append(
                {
                    "seat": int(row["seat"]),
                    "sent_at": t - day,
                    "paid": paid,
                    "response_delay": life.response_delay if future_response else None,
                    "outcome": life.outcome if responds else "accepted",
                }
            )
    return flying


def forecast_scenario(scenario: Scenario, folder: Path, at: int | None) -> Scenario:
    """`scenario` made to carry on from the run in `folder` at day `at`: it starts on that date, its accounts
    keep their grant dates and activations, and each replication starts from that run's state in turn."""
    previous, states, day = state_from_results(folder, at)
    mine = [(a.name, a.plan, a.seats) for a in scenario.accounts]
    theirs = [(a.name, a.plan, a.seats) for a in previous.accounts]
    if mine != theirs:
        raise StateFromError(
            f"--state-from: the scenario's accounts {mine} must be the run's {theirs} (name, plan, seats)"
        )
    data = scenario.model_dump(mode="json")
    data["start"] = (previous.start + timedelta(days=day)).isoformat()
    for spec, old in zip(data["accounts"], previous.accounts, strict=True):
        spec["start_day"] = old.start_day - day
        spec["activation_days"] = [max(0, a - day) for a in old.seat_activation_days()]
        spec["onboarding_interval_days"] = 0
    data["state"] = states
    return load_scenario(data)
