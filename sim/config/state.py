"""The `state:` block of a forecast: where the contract stands at the as-of date (the scenario's `start`),
so a run starts from today's credits, seats and InMails in flight instead of an empty contract.

Times are in days from the as-of date (0 is its midnight; the past is negative), the unit the engines use.
`state_issues` checks a state against the resolved rules and the accounts: a state the rules could not
have produced (a balance above the cap, a batch already expired, a seat past its daily limit, a warning
or restriction without its start, an InMail whose credit already came back) is refused, field named.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from ..rules import Calendar, Rules
from ..rules.presets import Number, WholeNumber
from .errors import Loc, got_note


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class BatchState(_Strict):
    """Credits that arrived together (a grant or a refund): they expire together, by the plan's rule."""

    created: Number = Field(le=0, description="when the credits arrived, in days from the as-of date (<= 0)")
    credits: WholeNumber = Field(ge=1, description="credits of this batch still held")


class AccountState(_Strict):
    """One account's credit pool at the as-of date. Its grant dates are the account's `start_day` (a
    contract already running has a negative one); its balance is its batches, oldest first."""

    account: str = Field(description="the account's label (its name; name-1, name-2, ... for single-member plans)")
    batches: list[BatchState] = Field(default_factory=list, description="credits held, by arrival")


class DayState(_Strict):
    """A seat's InMails sent on one past day of the response-rate window, and the counting responses to
    them received before the as-of date."""

    day: WholeNumber = Field(lt=0, description="the day they were sent, in days from the as-of date (< 0)")
    sent: WholeNumber = Field(ge=0, description="InMails sent that day")
    responses: WholeNumber = Field(0, ge=0, description="counting responses received so far to those InMails")


class PolicyStateSpec(_Strict):
    """Where the seat stands in the response-rate rule: ok, or warning/grace/restricted since a day."""

    state: Literal["ok", "warning", "grace", "restricted"] = "ok"
    since: WholeNumber | None = Field(None, le=0, description="the day the state began (<= 0; required unless ok)")


class SeatState(_Strict):
    """One seat at the as-of date."""

    seat: WholeNumber = Field(ge=0, description="the seat's id (seats are numbered across accounts in order, from 0)")
    activation_day: WholeNumber = Field(0, le=0, description="the day the seat was activated (<= 0)")
    credits_this_period: WholeNumber = Field(0, ge=0, description="credits it spent since its account's last grant")
    open_profile_used: WholeNumber = Field(0, ge=0, description="free Open Profile InMails it sent this calendar month")
    history: list[DayState] = Field(default_factory=list, description="its InMails of the last window days")
    policy: PolicyStateSpec = Field(default_factory=PolicyStateSpec, description="its response-rate state")


class InFlightState(_Strict):
    """An InMail sent before the as-of date whose response or credit is still to come: its future is given
    (for a team's data, what is expected; from a previous run, what that run had drawn)."""

    seat: WholeNumber = Field(ge=0)
    sent_at: Number = Field(lt=0, description="when it was sent, in days from the as-of date (< 0)")
    paid: StrictBool = Field(True, description="it spent a credit (false: free by the Open Profile rule)")
    response_delay: Number | None = Field(
        None, gt=0, description="days from sending to its response (none: it gets no response)"
    )
    outcome: Literal["accepted", "declined"] = Field("accepted", description="its response, when it gets one")


class StateSpec(_Strict):
    """The contract at the as-of date, which is the scenario's `start` (day 0 of the forecast); `as_of`, when
    given, must equal it (a check that the state and the scenario were written for the same day)."""

    as_of: date | None = Field(None, description="the as-of date, if given: must be the scenario's start")
    accounts: list[AccountState] = Field(default_factory=list, description="balances (accounts not listed: none)")
    seats: list[SeatState] = Field(default_factory=list, description="seats with a past (not listed: fresh)")
    in_flight: list[InFlightState] = Field(default_factory=list, description="InMails still to answer or refund")


def _batch_issues(rules: Rules, plan: str, cap: int | None, spec: AccountState, where: Loc) -> list[tuple[Loc, str]]:
    from ..rules.contract import batch_expiry, has_expired

    issues: list[tuple[Loc, str]] = []
    for j, batch in enumerate(spec.batches):
        if has_expired(rules, plan, batch.created):
            issues.append(
                (
                    (*where, "batches", j, "created"),
                    f"expired {batch_expiry(rules, plan):g} days after arriving, before the as-of "
                    f"date: leave it out{got_note(batch.created)}",
                )
            )
    created = [b.created for b in spec.batches]
    if created != sorted(created):
        issues.append(((*where, "batches"), "must be oldest first (by created)"))
    total = sum(b.credits for b in spec.batches)
    if cap is not None and total > cap:
        issues.append(((*where, "batches"), f"hold {total} credits, above the plan's cap of {cap}"))
    return issues


def first_window_day(rules: Rules) -> int:
    """The first day (from the as-of date) of the response-rate window judged on the as-of date."""
    from ..rules.policy import window_start  # numpy: not needed to read a scenario without a state

    return window_start(rules, 0)


def _first_week_issues(rules: Rules, seat: SeatState, start: date, where: Loc) -> list[tuple[Loc, str]]:
    """A seat whose history in its first week is past the first-week limit."""
    from ..rules.limits import over_first_week_limit

    sent_by_day: dict[int, int] = {}
    for d in seat.history:
        sent_by_day[d.day] = sent_by_day.get(d.day, 0) + d.sent
    over = over_first_week_limit(rules, Calendar(start), seat.activation_day, sent_by_day)
    if over is None:
        return []
    return [((*where, "history"), f"sends {over[0]} InMails in the seat's first week, past its limit of {over[1]}")]


def _seat_issues(rules: Rules, seat: SeatState, start: date, where: Loc) -> list[tuple[Loc, str]]:
    from ..rules.account import over_seat_monthly_limit
    from ..rules.limits import over_daily_limit

    issues: list[tuple[Loc, str]] = _first_week_issues(rules, seat, start, where)
    days = [d.day for d in seat.history]
    if len(set(days)) != len(days):
        issues.append(((*where, "history"), "gives a day twice"))
    for j, d in enumerate(seat.history):
        if d.day < first_window_day(rules):
            issues.append(
                ((*where, "history", j, "day"), f"is before the response-rate window ({first_window_day(rules)})")
            )
        if d.responses > d.sent:
            issues.append(((*where, "history", j, "responses"), f"more responses than InMails sent ({d.sent})"))
        if (daily := over_daily_limit(rules, d.sent)) is not None:
            issues.append(((*where, "history", j, "sent"), f"is past the daily limit of {daily}"))
        if d.day < seat.activation_day and d.sent:
            issues.append(((*where, "history", j, "day"), "is before the seat's activation_day"))
    if (monthly := over_seat_monthly_limit(rules, seat.credits_this_period)) is not None:
        issues.append(((*where, "credits_this_period"), f"is past the seat's limit of {monthly}"))
    return issues + _policy_issues(rules, seat, where)


def _policy_issues(rules: Rules, seat: SeatState, where: Loc) -> list[tuple[Loc, str]]:
    """A warning, grace or restriction without the day it began, or one already over by the as-of date."""
    from ..rules.policy import PolicyState, state_days

    policy = seat.policy
    if policy.state == "ok":
        return []
    if policy.since is None:
        return [((*where, "policy", "since"), f"a {policy.state} state needs the day it began")]
    length = state_days(rules, PolicyState(policy.state))
    if policy.since + length < 0:
        return [
            (
                (*where, "policy", "since"),
                f"a {policy.state} of {length} days begun then is over by the as-of date{got_note(policy.since)}",
            )
        ]
    return []


def state_issues(
    rules: Rules, state: StateSpec, start: date, accounts: dict[str, tuple[str, int | None]], n_seats: int
) -> list[tuple[Loc, str]]:
    """What is wrong with `state` for a scenario starting on `start` with these accounts (label: (plan, cap))
    and `n_seats` seats, under `rules`; paths are relative to the scenario."""
    from ..rules.refund import credit_back  # numpy: not needed to read a scenario without a state

    issues: list[tuple[Loc, str]] = []
    if state.as_of is not None and state.as_of != start:
        must = f"must equal the scenario's start {start.isoformat()}"
        issues.append((("state", "as_of"), must + got_note(state.as_of)))
    seen: set[str] = set()
    for i, spec in enumerate(state.accounts):
        where: Loc = ("state", "accounts", i)
        if spec.account not in accounts:
            known = ", ".join(accounts)
            issues.append(((*where, "account"), f"no such account (accounts: {known}){got_note(spec.account)}"))
            continue
        if spec.account in seen:
            issues.append(((*where, "account"), "given twice"))
        seen.add(spec.account)
        plan, cap = accounts[spec.account]
        issues.extend(_batch_issues(rules, plan, cap, spec, where))
    seats: dict[int, SeatState] = {}
    for i, seat in enumerate(state.seats):
        where = ("state", "seats", i)
        if seat.seat >= n_seats:
            issues.append(((*where, "seat"), f"no such seat (the scenario has {n_seats}){got_note(seat.seat)}"))
            continue
        if seat.seat in seats:
            issues.append(((*where, "seat"), "given twice"))
        seats[seat.seat] = seat
        issues.extend(_seat_issues(rules, seat, start, where))
    sent: dict[tuple[int, int], int] = {}
    for i, m in enumerate(state.in_flight):
        where = ("state", "in_flight", i)
        if m.seat not in seats:
            issues.append(((*where, "seat"), f"has no entry in state.seats{got_note(m.seat)}"))
            continue
        counted = m.response_delay is not None and rules.counts_as_response(m.outcome)
        if m.response_delay is not None and m.sent_at + m.response_delay < 0:
            issues.append(((*where, "response_delay"), "its response came before the as-of date: not in flight"))
        back = credit_back(rules, m.sent_at, m.response_delay if counted else None) if m.paid else None
        due = m.response_delay is not None and m.sent_at + m.response_delay >= 0
        if not due and (back is None or back < 0):
            issues.append((where, "nothing of it is still to come (no response, no credit back): leave it out"))
        day = math.floor(m.sent_at)
        if day >= first_window_day(rules):
            sent[m.seat, day] = sent.get((m.seat, day), 0) + 1
    for (sid, day), n in sent.items():
        history = {d.day: d.sent for d in seats[sid].history}
        if n > history.get(day, 0):
            where = ("state", "seats", state.seats.index(seats[sid]), "history")
            issues.append((where, f"counts {history.get(day, 0)} InMails on day {day} but {n} are in flight"))
    return issues
