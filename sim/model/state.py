"""A forecast's start: the scenario's `state:` applied to the accounts and seats both engines built, and its
InMails in flight turned into the responses and credits still to come, decided by the same rules
(`credit_back`) as for the InMails a run sends. Both engines call `apply_state` once, in their constructor.

InMails in flight take message ids from the number of messages the run can send at most
(`planned_messages`) on, so they never share an id with one the run sends, in either engine."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ..config.scenario import Scenario
from ..config.state import StateSpec
from ..rules import Account, Calendar, PolicyState
from ..rules.limits import SeatLimits
from ..rules.refund import credit_back
from .fast.ordering import KEY_CHECK
from .recruiter import Recruiter
from .types import POLICY_CODES

if TYPE_CHECKING:
    from .fast.engine import FastOutreach
    from .reference import Outreach


class Carried(NamedTuple):
    """An InMail in flight at the as-of date and what is still to come of it (inf: nothing)."""

    inmail: int
    seat: int
    account: str  # the label of its seat's account
    sender: int  # the recruiter on its seat (-1: none)
    sent_at: float
    responds_at: float  # inf: no response
    counted: bool  # its response counts for the response-rate rule
    back_at: float  # when its credit comes back (inf: never)


def replication_state(scenario: Scenario, replication: int) -> StateSpec | None:
    """The state replication `replication` starts from (a list of states is taken in turn)."""
    state = scenario.state
    if isinstance(state, list):
        return state[replication % len(state)] if state else None
    return state


def planned_messages(senders: Sequence[Recruiter], weekdays: Sequence[int], horizon: int) -> int:
    """How many messages the run can send at most: every planned attempt (the fast engine's capacity)."""
    total = 0
    for r in senders:
        workdays = {w.number for w in r.group.workdays}
        days = sum(1 for d in range(horizon) if weekdays[d] in workdays and r.activation_day <= d)
        total += r.group.daily_target * days
    return total


def apply_state(
    state: StateSpec | None,
    accounts: dict[str, Account],
    calendar: Calendar,
    senders: Sequence[Recruiter],
    first_id: int,
) -> list[Carried]:
    """Put the accounts and seats where `state` says they stand at day 0 (a forecast's as-of date); the
    InMails in flight with what is still to come of each, in the order given (their events' order)."""
    if state is None:
        return []
    for spec in state.accounts:
        accounts[spec.account].ledger.open_on([(b.created, b.credits) for b in spec.batches])
    owner = {sid: (label, account) for label, account in accounts.items() for sid in account.seats}
    for s in state.seats:
        seat = owner[s.seat][1].seats[s.seat]
        seat.activation_day = s.activation_day
        seat.limits = SeatLimits(seat.rules, calendar, s.activation_day)
        for d in sorted(s.history, key=lambda h: h.day):
            seat.policy.counts.add_sent(d.day, d.sent)
            seat.policy.counts.add_responded(d.day, d.responses)
            if seat.limits.in_first_week(d.day):
                seat.limits.record(d.day, d.sent)
        seat.credits_this_period = s.credits_this_period
        seat.open_profile_month = calendar.month_start(0)
        seat.open_profile_used = s.open_profile_used
        seat.policy.resume(PolicyState(s.policy.state), s.policy.since or 0)
    sender_of = {r.seat: r.sender for r in senders if r.seat is not None}
    carried = []
    for i, m in enumerate(state.in_flight):
        label, account = owner[m.seat]
        counted = m.response_delay is not None and account.counts_as_response(m.outcome)
        back = credit_back(account.rules, m.sent_at, m.response_delay if counted else None) if m.paid else None
        if back is not None and back < 0:
            back = None  # its credit came back before the as-of date: it is in the balance already
        inmail = first_id + i
        if back is not None:
            account.ledger.carry_spent(inmail, m.seat)
        responds = math.inf if m.response_delay is None else m.sent_at + m.response_delay
        carried.append(
            Carried(
                inmail,
                m.seat,
                label,
                sender_of.get(m.seat, -1),
                m.sent_at,
                responds,
                counted,
                math.inf if back is None else back,
            )
        )
    return carried


def start_reference(model: Outreach) -> list[Carried]:
    """Apply the replication's state to the reference engine and schedule what is still to come of its
    InMails in flight as SimPy events (before any other, as if scheduled when they were sent)."""
    state = replication_state(model.scenario, model.replication)
    if state is None:
        return []
    first = planned_messages(model.senders, model._weekdays, model.horizon)
    carried = apply_state(state, model.accounts, model.calendar, model.senders, first)
    for c in carried:
        account = model.accounts[c.account]
        if c.responds_at < model.horizon:
            model._at(c.responds_at, lambda _e, c=c, a=account: _carried_response(model, a, c))
        if c.back_at < model.horizon:
            model._at(c.back_at, lambda _e, c=c, a=account: a.refund(model.env.now, c.inmail))
    return carried


def _carried_response(model: Outreach, account: Account, c: Carried) -> None:
    if c.sender >= 0 and c.counted:  # a reply the rules count as a response, as seat_days counts them
        model.responses[c.sender, int(model.env.now)] += 1
    if c.counted:
        account.response(c.seat, c.sent_at)


def start_fast(engine: FastOutreach) -> list[Carried]:
    """Apply the replication's state to the fast engine: its seats' states, and what is still to come of its
    InMails in flight in its queues (credits back with keys below every attempt's: scheduled first)."""
    state = replication_state(engine.scenario, engine.replication)
    if state is None:
        return []
    carried = apply_state(state, engine.accounts, engine.calendar, engine.senders, engine.capacity())
    for sid, seat in enumerate(engine.seat_objs):
        if seat is not None:
            engine.pstate[sid] = POLICY_CODES[seat.policy.state]
    index = {label: i for i, label in enumerate(engine.accounts)}
    base = -4 * (len(engine.senders) + len(carried) + 1)
    for j, c in enumerate(carried):
        if c.responds_at < engine.horizon:
            if c.sender >= 0 and c.counted:
                engine.responses[c.sender, int(c.responds_at)] += 1
            if c.counted:
                day = int(c.responds_at)
                engine.policy_responses.setdefault(day, []).append(([c.seat], [math.floor(c.sent_at)]))
        if c.back_at < engine.horizon:
            item = (
                np.asarray([c.back_at]),
                np.asarray([base + 4 * j + KEY_CHECK], dtype=np.int64),
                np.asarray([c.inmail], dtype=np.int64),
                np.asarray([c.seat], dtype=np.int64),
                np.asarray([index[c.account]], dtype=np.int64),
            )
            engine.refunds.setdefault(int(c.back_at), []).append(item)
    return carried
