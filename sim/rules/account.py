"""An account (a contract for recruiter plans): its plan, credit pool and seats, and the one question the
model asks before every send: may this seat send this message now, at what cost, and if not, why."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from .calendar import Calendar
from .contract import batch_expiry, monthly_grant, pool_cap, seats_share_one_account
from .ledger import CreditLedger
from .limits import NO_LIMIT, SeatLimits, rooms_today
from .policy import PolicyState, ResponseRatePolicy, SendCounts
from .presets import GrantDay, Rules
from .refund import credit_back


class BlockReason(StrEnum):
    """Why a send was refused."""

    NO_CREDIT = "no_credit"
    SEAT_CREDIT_LIMIT = "seat_credit_limit"
    DAILY_LIMIT = "daily_limit"
    FIRST_WEEK_LIMIT = "first_week_limit"
    POLICY_RESTRICTED = "policy_restricted"


class Cost(StrEnum):
    """What a permitted send cost."""

    CREDIT = "credit"
    OPEN_PROFILE = "open_profile"  # an InMail free by the Open Profile rule
    CONNECTION = "connection"  # a message to a 1st-degree connection: not an InMail


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to "may this seat send now": a cost when allowed, a reason when not."""

    cost: Cost | None
    reason: BlockReason | None = None

    @property
    def allowed(self) -> bool:
        return self.reason is None


class Seat:
    """One seat: its send limits, response-rate policy and per-period counters."""

    def __init__(
        self, seat_id: int, rules: Rules, calendar: Calendar, activation_day: int, counts: SendCounts | None = None
    ) -> None:
        self.id = seat_id
        self.rules = rules
        self.calendar = calendar
        self.activation_day = activation_day
        self.limits = SeatLimits(rules, calendar, activation_day)
        self.policy = ResponseRatePolicy(rules, counts)
        self.credits_this_period = 0
        self.open_profile_month = -1
        self.open_profile_used = 0

    def open_profile_room(self, day: int) -> int:
        """Free Open Profile InMails the seat has left in `day`'s calendar month (0: none are free)."""
        if not self.rules.open_profile_free:
            return 0
        month = self.calendar.month_start(day)
        if month != self.open_profile_month:
            self.open_profile_month, self.open_profile_used = month, 0
        allowance = self.rules.open_profile_monthly_allowance
        return NO_LIMIT if allowance is None else allowance - self.open_profile_used

    def credit_room(self) -> int:
        """Credits the seat may still spend this grant period under the admin's per-seat limit (NO_LIMIT: none)."""
        limit = self.rules.seat_monthly_limit
        return NO_LIMIT if limit is None else limit - self.credits_this_period

    def send_room(self, day: int) -> int:
        """InMails the seat may still send on `day` before its daily or first-week limit binds."""
        return min(self.limits.daily_room(day), self.limits.first_week_room(day))

    def record_sends(self, day: int, inmails: int, credits: int, open_profile: int, bulk: int) -> None:
        """Count InMails this seat sent on `day` (of which `credits` paid, `open_profile` free by that rule and
        `bulk` sent in bulk) that the rules decided in a batch (`send_rooms`)."""
        self.limits.record(day, inmails)
        self.credits_this_period += credits
        if open_profile:
            self.open_profile_room(day)  # opens the month's count
            self.open_profile_used += open_profile
        self.policy.record_sends(day, inmails, one_to_one=inmails - bulk)


def record_day(
    seats: Sequence[Seat | None],
    day: int,
    inmails: npt.NDArray[np.int64],
    credits: npt.NDArray[np.int64],
    open_profile: npt.NDArray[np.int64],
    bulk: npt.NDArray[np.int64],
) -> None:
    """The batch form of `Seat.record_sends` for one day's sends of many seats (arrays indexed by seat id),
    the same counts with fewer calls: the fast engine records every seat every day."""
    for sid in np.flatnonzero(inmails).tolist():
        seat = seats[sid]
        assert seat is not None
        n = int(inmails[sid])
        lim = seat.limits
        if lim.day != day:
            lim.day, lim.sent_today = day, 0
        lim.sent_today += n
        if lim.sent_today > lim.max_sent_in_a_day:
            lim.max_sent_in_a_day = lim.sent_today
        if lim.first_week_start <= day < lim.first_week_end:
            lim.sent_first_week += n
        seat.credits_this_period += int(credits[sid])
        if open_profile[sid]:
            seat.open_profile_room(day)  # opens the month's count
            seat.open_profile_used += int(open_profile[sid])
        policy = seat.policy
        policy.counts.add_sent(day, n)
        if policy.state is PolicyState.RESTRICTED:
            policy.record_sends(day, 0, one_to_one=n - int(bulk[sid]))


def over_seat_monthly_limit(rules: Rules, credits: int) -> int | None:
    """The seat's monthly credit limit when `credits` spent in a period are past it (None: within it)."""
    limit = rules.seat_monthly_limit
    return limit if limit is not None and credits > limit else None


class SendRooms(NamedTuple):
    """The batch form of the send checks of `Account.try_send`, per seat for one day: how many InMails each
    seat may still send before a limit binds. A seat in an improvement period sends one-to-one only."""

    send: np.ndarray  # before the daily or first-week limit
    daily: np.ndarray  # before the daily limit alone (the first check)
    open_profile: np.ndarray  # free Open Profile InMails left this month
    credits: np.ndarray  # credits under the per-seat limit
    restricted: np.ndarray  # bool: bulk sending off
    one_to_one: np.ndarray  # one-to-one InMails a restricted seat may still send today


def free_messages(
    rules: Rules, first_degree: npt.NDArray[np.bool_], open_profile: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """The batch form of `try_send`'s cost questions for messages to these candidates: which go to 1st-degree
    connections (free, not InMails), and which are InMails the Open Profile rule may make free."""
    connection = first_degree & rules.first_degree_free
    opened = open_profile & ~connection & rules.open_profile_free
    return connection, opened


def send_rooms(seats: Sequence[Seat | None], day: int) -> SendRooms:
    """`SendRooms` of `seats` (indexed by seat id; None: no such seat) on `day`. A limit the rules leave off
    gives every seat NO_LIMIT at once; only the limits that are on are asked seat by seat."""
    n = len(seats)
    present = [(sid, seat) for sid, seat in enumerate(seats) if seat is not None]
    if not present:
        zeros = np.zeros(n, dtype=np.int64)
        return SendRooms(zeros, zeros, zeros, zeros, np.zeros(n, dtype=bool), zeros)
    rules = present[0][1].rules

    def room(on: bool, off: int, ask: Callable[[Seat], int]) -> npt.NDArray[np.int64]:
        if not on:
            return np.full(n, off, dtype=np.int64)
        values = [off] * n
        for sid, seat in present:
            values[sid] = ask(seat)
        return np.asarray(values, dtype=np.int64)

    daily = np.full(n, NO_LIMIT, dtype=np.int64)
    week = daily.copy()
    ids = [sid for sid, _ in present]
    daily[ids], week[ids] = rooms_today([seat.limits for _, seat in present], day)
    free = rules.open_profile_free and rules.open_profile_monthly_allowance is not None
    open_profile = room(free, NO_LIMIT if rules.open_profile_free else 0, lambda s: s.open_profile_room(day))
    credits = room(rules.seat_monthly_limit is not None, NO_LIMIT, lambda s: s.credit_room())
    restricted = np.zeros(n, dtype=bool)
    one_to_one = np.zeros(n, dtype=np.int64)
    for sid in [sid for sid, seat in present if seat.policy.state is PolicyState.RESTRICTED]:
        policy = seats[sid].policy  # type: ignore[union-attr]  # present
        restricted[sid] = True
        one_to_one[sid] = policy.one_to_one_room(day)
    return SendRooms(np.minimum(daily, week), daily, open_profile, credits, restricted, one_to_one)


class Account:
    """A plan holder: one credit pool shared by its seats (a recruiter contract) or a single member."""

    def __init__(
        self,
        rules: Rules,
        plan: str,
        calendar: Calendar,
        seat_ids: list[int],
        activation_days: list[int],
        start: date | None = None,
        counts: Callable[[int], SendCounts] | None = None,
        ledger: Callable[[int | None, float | None], CreditLedger] = CreditLedger,
    ) -> None:
        """`counts(seat_id)`, when given, is where each seat's response-rate rule keeps its counts; `ledger(cap,
        batch_expiry_days)` makes the credit pool (a `CreditLedger` that keeps its movements its own way)."""
        if len(seat_ids) != len(activation_days) or not seat_ids:
            raise ValueError("an account needs at least one seat and one activation day per seat")
        self.rules = rules
        self.plan_name = plan
        self.plan = rules.plan(plan)
        if not seats_share_one_account(rules, plan) and len(seat_ids) > 1:
            raise ValueError(f"plan {plan!r} is held by one member; give each seat its own account")
        self.calendar = calendar
        self.start = start or calendar.start
        self.monthly_grant = monthly_grant(rules, plan, len(seat_ids))
        self.ledger = ledger(pool_cap(rules, plan, len(seat_ids)), batch_expiry(rules, plan))
        self.seats = {
            sid: Seat(sid, rules, calendar, day, None if counts is None else counts(sid))
            for sid, day in zip(seat_ids, activation_days, strict=True)
        }
        self.inmails_sent = 0
        self.free_sent = 0

    def grant_days(self, horizon_days: float) -> list[int]:
        first_of_month = self.plan.grant_day is GrantDay.FIRST_OF_MONTH
        days = self.calendar.grant_days(self.start, first_of_month, horizon_days)
        start_day = self.calendar.day_of(self.start)
        if first_of_month and 0 <= start_day < horizon_days and start_day not in days:
            days.insert(0, start_day)
        return days

    def grant(self, t: float) -> int:
        """The monthly grant at `t`; it also opens a new period for per-seat monthly limits."""
        for seat in self.seats.values():
            seat.credits_this_period = 0
        return self.ledger.grant(t, self.monthly_grant)

    def start_day(self, day: int) -> dict[int, PolicyState]:
        """Run each seat's response-rate check at the start of `day`; the states in force that day."""
        return {sid: seat.policy.evaluate(day) for sid, seat in self.seats.items()}

    def try_send(
        self,
        t: float,
        seat_id: int,
        inmail: int,
        *,
        first_degree: bool = False,
        open_profile: bool = False,
        bulk: bool = True,
    ) -> Decision:
        """Ask the rules whether `seat_id` may send message `inmail` at `t`; when allowed, it is recorded."""
        rules = self.rules
        if first_degree and rules.first_degree_free:
            self.free_sent += 1
            return Decision(Cost.CONNECTION)
        seat = self.seats[seat_id]
        day = self.calendar.day(t)
        if not seat.policy.allows(day, bulk):
            return Decision(None, BlockReason.POLICY_RESTRICTED)
        if seat.limits.daily_room(day) <= 0:
            return Decision(None, BlockReason.DAILY_LIMIT)
        if seat.limits.first_week_room(day) <= 0:
            return Decision(None, BlockReason.FIRST_WEEK_LIMIT)
        cost = Cost.OPEN_PROFILE if open_profile and seat.open_profile_room(day) > 0 else Cost.CREDIT
        if cost is Cost.CREDIT:
            if seat.credit_room() <= 0:
                return Decision(None, BlockReason.SEAT_CREDIT_LIMIT)
            if not self.ledger.spend(t, seat_id, inmail):
                return Decision(None, BlockReason.NO_CREDIT)
            seat.credits_this_period += 1
        else:
            seat.open_profile_used += 1
            self.free_sent += 1
        seat.limits.record(day)
        seat.policy.record_send(day, bulk)
        self.inmails_sent += 1
        return Decision(cost)

    def credit_back(self, sent_at: float, response_delay: float | None) -> float | None:
        """When the credit of a paid InMail sent at `sent_at` comes back, given the delay of its first counting
        response (None: none); None when it never does (the refund rule, `refund.credit_back`)."""
        return credit_back(self.rules, sent_at, response_delay)

    def refund(self, t: float, inmail: int) -> int:
        """Give `inmail`'s credit back to the pool at `t` (subject to the cap); the credits the cap kept (0 or 1).
        A refund the ledger refuses (never spent, already refunded) raises LedgerError and changes nothing."""
        return self.ledger.refund(t, inmail)

    def response(self, seat_id: int, sent_at: float) -> None:
        """A counting response arrived to an InMail `seat_id` sent at `sent_at`: the seat's response rate sees it."""
        self.seats[seat_id].policy.record_response(self.calendar.day(sent_at))

    def counts_as_response(self, outcome: str) -> bool:
        return self.rules.counts_as_response(outcome)
