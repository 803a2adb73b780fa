"""An account (a contract for recruiter plans): its plan, credit pool and seats, and the one question the
model asks before every send: may this seat send this message now, at what cost, and if not, why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from .calendar import Calendar
from .ledger import CreditLedger
from .limits import SeatLimits
from .policy import PolicyState, ResponseRatePolicy
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

    def __init__(self, seat_id: int, rules: Rules, calendar: Calendar, activation_day: int) -> None:
        self.id = seat_id
        self.activation_day = activation_day
        self.limits = SeatLimits(rules, calendar, activation_day)
        self.policy = ResponseRatePolicy(rules)
        self.credits_this_period = 0
        self.open_profile_month = -1
        self.open_profile_used = 0


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
    ) -> None:
        if len(seat_ids) != len(activation_days) or not seat_ids:
            raise ValueError("an account needs at least one seat and one activation day per seat")
        self.rules = rules
        self.plan_name = plan
        self.plan = rules.plan(plan)
        if not self.plan.per_seat and len(seat_ids) > 1:
            raise ValueError(f"plan {plan!r} is held by one member; give each seat its own account")
        self.calendar = calendar
        self.start = start or calendar.start
        self.monthly_grant = self.plan.monthly_credits * (len(seat_ids) if self.plan.per_seat else 1)
        cap = None if self.plan.cap_months is None else round(self.plan.cap_months * self.monthly_grant)
        self.ledger = CreditLedger(cap=cap, batch_expiry_days=self.plan.batch_expiry_days)
        self.seats = {sid: Seat(sid, rules, calendar, day) for sid, day in zip(seat_ids, activation_days, strict=True)}
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
        if seat.limits.daily_reached(day):
            return Decision(None, BlockReason.DAILY_LIMIT)
        if seat.limits.first_week_reached(day):
            return Decision(None, BlockReason.FIRST_WEEK_LIMIT)
        cost = Cost.OPEN_PROFILE if open_profile and self._open_profile_free(seat, day) else Cost.CREDIT
        if cost is Cost.CREDIT:
            limit = rules.seat_monthly_limit
            if limit is not None and seat.credits_this_period >= limit:
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

    def _open_profile_free(self, seat: Seat, day: int) -> bool:
        if not self.rules.open_profile_free:
            return False
        month = self.calendar.month_start(day)
        if month != seat.open_profile_month:
            seat.open_profile_month, seat.open_profile_used = month, 0
        allowance = self.rules.open_profile_monthly_allowance
        return allowance is None or seat.open_profile_used < allowance

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
