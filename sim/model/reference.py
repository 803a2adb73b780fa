"""One replication of a scenario as a SimPy model: accounts and seats, recruiters, candidates, and the
scheduled events of every message's lifecycle (read, response, and the credit coming back when the refund
rule says so)."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import simpy

from ..config.scenario import Scenario
from ..rules import Calendar, Cost
from ..rules.ledger import CreditLedger, Movement
from .behaviour import NO_RESPONSE, Lifecycle, Sampler
from .candidates import Population, team_channels
from .events import urgent
from .recruiter import Recruiter
from .samplers import make_sampler
from .staffing import build_accounts, staff
from .state import start_reference
from .streams import Streams
from .types import (
    BLOCK_REASONS,
    MOVES,
    NO_CANDIDATES,
    POLICY_CODES,
    InvariantError,
    MessageCounts,
    MessageLog,
    ReplicationOutput,
    check_tables_mode,
    raise_broken_invariants,
)

__all__ = [  # the shared types were defined here before `types`; kept importable from here for now
    "BLOCK_REASONS",
    "MOVES",
    "InvariantError",
    "MessageCounts",
    "MessageLog",
    "Outreach",
    "ReplicationOutput",
]


class DailyLedger(CreditLedger):
    """`CreditLedger` that keeps no rows: its movements are summed by kind and day (for the daily tables)."""

    def __init__(self, cap: int | None, batch_expiry_days: float | None, horizon: int) -> None:
        super().__init__(cap, batch_expiry_days)
        self.horizon = horizon
        self.daily = np.zeros((len(MOVES), max(horizon, 1)), dtype=np.int64)

    def _record(self, t: float, kind: Movement, amount: int, seat: int | None, inmail: int | None) -> None:
        self.totals[kind] += amount
        day = min(max(math.floor(t), 0), self.horizon - 1)
        self.daily[MOVES.index(kind), day] += amount


class Outreach:
    """The model of one replication."""

    def __init__(self, scenario: Scenario, replication: int, seed: int | None = None, tables: str = "full") -> None:
        self.tables = check_tables_mode(tables)
        self.scenario = scenario
        self.replication = replication
        self.seed = scenario.seed if seed is None else seed
        self.horizon = scenario.horizon_days
        self.calendar = Calendar(scenario.start)
        self.rules = scenario.resolved_rules()
        self.streams = Streams(self.seed, replication)
        self.env = simpy.Environment()
        ledger: Callable[[int | None, float | None], CreditLedger] = CreditLedger
        if tables == "summary":
            ledger = partial(DailyLedger, horizon=self.horizon)
        self.accounts, seats_by_spec = build_accounts(scenario, self.calendar, ledger=ledger)
        self.population = Population(scenario.candidates, self.streams, self.horizon, team_channels(scenario))
        self.sampler: Sampler = make_sampler(scenario.behaviour, self.rules, self.population, self.streams)
        self.sending = self.streams["sending"]
        self.senders = staff(scenario, seats_by_spec)
        n, h = len(self.senders), self.horizon
        self.sent = np.zeros((n, h), dtype=np.int64)
        self.inmails_sent = np.zeros((n, h), dtype=np.int64)
        self.responses = np.zeros((n, h), dtype=np.int64)
        self.blocked = {r: np.zeros((n, h), dtype=np.int64) for r in BLOCK_REASONS}
        self.policy_state = np.zeros((n, h), dtype=np.int8)
        self.trailing_rate = np.full((n, h), np.nan)
        self.balance = {label: np.zeros(h, dtype=np.int64) for label in self.accounts}
        self.log = MessageLog()
        self.counts = MessageCounts()
        self._keep = tables == "full"
        self._n_msgs = 0
        self._weekdays = [self.calendar.weekday(d) for d in range(h + 1)]
        self._grant_days = {label: set(a.grant_days(h)) for label, a in self.accounts.items()}
        self.carried = start_reference(self)

    # -- processes and events -------------------------------------------------------------------------

    def daily_clock(self) -> Any:
        """At each midnight: close yesterday's figures, expire and grant credits, run the policy check."""
        for day in range(self.horizon):
            if day:
                yield urgent(self.env, 1.0)
            self._close_day(day)
            self.population.release()
            for label, account in self.accounts.items():
                if day in self._grant_days[label]:
                    account.grant(float(day))
            for r in self.senders:
                if r.account is not None and r.seat is not None:
                    state = r.account.seats[r.seat].policy.evaluate(day)
                    self.policy_state[r.sender, day] = POLICY_CODES[state]

    def _close_day(self, day: int) -> None:
        """Midnight before `day`: yesterday's day-end balance (credits that expire at this midnight are still
        held at yesterday's end, and their expiry is booked on `day`), then the expiry; none at the horizon,
        which belongs to the day after the run."""
        for label, account in self.accounts.items():
            if day:
                self.balance[label][day - 1] = account.ledger.balance
            if day < self.horizon:
                account.ledger.expire_due(float(day))
        if day:
            for r in self.senders:
                if r.account is not None and r.seat is not None:
                    rate = r.account.seats[r.seat].policy.trailing_rate(day)
                    self.trailing_rate[r.sender, day - 1] = np.nan if rate is None else rate

    def attempt(self, r: Recruiter, t: float) -> None:
        """One send attempt: pick the next candidate, ask the rules, send and schedule the lifecycle."""
        day = int(t)
        channel = r.group.channel
        candidate = self.population.peek(channel, day)
        if candidate is None:
            self.blocked[NO_CANDIDATES][r.sender, day] += 1
            return
        u = self.sending.random(2)
        bulk = bool(u[0] < r.group.bulk_share)
        personalised = bool(u[1] < r.group.personalised_share)
        msg_id = self._n_msgs
        if r.account is None or r.seat is None:
            cost = "none"
        else:
            decision = r.account.try_send(
                t,
                r.seat,
                msg_id,
                first_degree=bool(self.population.degree[candidate] == 1),
                open_profile=bool(self.population.open_profile[candidate]),
                bulk=bulk,
            )
            if decision.reason is not None:
                self.blocked[decision.reason.value][r.sender, day] += 1
                return
            assert decision.cost is not None
            cost = decision.cost.value
            if decision.cost is not Cost.CONNECTION:
                self.inmails_sent[r.sender, day] += 1
        self.population.take(candidate)
        self.sent[r.sender, day] += 1
        self._n_msgs += 1
        life = self.sampler.sample(candidate, r.message(t, self._weekdays[day], personalised, bulk))
        self.counts.add(cost, NO_RESPONSE)
        if life.follow_up_at < self.horizon:
            self.counts.follow_ups += 1
        if not self._keep:
            self._schedule_lifecycle(r, msg_id, t, cost, life)
            return
        log = self.log
        log.seat.append(-1 if r.seat is None else r.seat)
        log.sender.append(r.sender)
        log.candidate.append(candidate)
        log.channel.append(channel)
        log.cost.append(cost)
        log.bulk.append(bulk)
        log.personalised.append(personalised)
        log.sent_at.append(t)
        log.read_at.append(math.nan)
        log.outcome.append("none")
        log.responded_at.append(math.nan)
        log.refunded_at.append(math.nan)
        log.followed_up_at.append(life.follow_up_at if life.follow_up_at < self.horizon else math.nan)
        self._schedule_lifecycle(r, msg_id, t, cost, life)

    def _at(self, when: float, callback: Any) -> None:
        if when < self.horizon:
            self.env.timeout(when - self.env.now).callbacks.append(callback)

    def _schedule_lifecycle(self, r: Recruiter, msg_id: int, sent_at: float, cost: str, life: Lifecycle) -> None:
        log = self.log
        if self._keep:
            self._at(life.read_at, lambda _e: log.read_at.__setitem__(msg_id, life.read_at))
        if life.outcome != NO_RESPONSE:
            self._at(life.responded_at, lambda _e: self._respond(r, msg_id, sent_at, cost, life))
        if cost == Cost.CREDIT.value and r.account is not None:
            counted = life.outcome != NO_RESPONSE and r.account.counts_as_response(life.outcome)
            back = r.account.credit_back(sent_at, life.response_delay if counted else None)
            if back is not None:
                self._at(back, lambda _e: self._refund(r, msg_id))

    def _respond(self, r: Recruiter, msg_id: int, sent_at: float, cost: str, life: Lifecycle) -> None:
        t = self.env.now
        self.counts.add(cost, NO_RESPONSE, -1)
        self.counts.add(cost, life.outcome)
        if self._keep:
            self.log.outcome[msg_id] = life.outcome
            self.log.responded_at[msg_id] = t
        if r.account is None or r.seat is None or cost == Cost.CONNECTION.value:
            return  # a reply to an email or a 1st-degree connection message: not a response to an InMail
        if r.account.counts_as_response(life.outcome):
            self.responses[r.sender, int(t)] += 1
            r.account.response(r.seat, sent_at)

    def _refund(self, r: Recruiter, msg_id: int) -> None:
        """The credit of message `msg_id` comes back, as the refund rule decided when it was sent."""
        assert r.account is not None
        r.account.refund(self.env.now, msg_id)
        if self._keep:
            self.log.refunded_at[msg_id] = self.env.now

    # -- running --------------------------------------------------------------------------------------

    def run(self) -> ReplicationOutput:
        env = self.env
        env.process(self.daily_clock())
        weekday_of = self._weekdays.__getitem__
        for r in self.senders:
            env.process(r.work(env, self.horizon, weekday_of, self.attempt))
        env.run(until=self.horizon)
        self._close_day(self.horizon)
        self.check_invariants()
        return ReplicationOutput.of(self, self.log, self.counts, None if self._keep else self._credit_days())

    def _credit_days(self) -> dict[str, np.ndarray]:
        days: dict[str, np.ndarray] = {}
        for label, account in self.accounts.items():
            assert isinstance(account.ledger, DailyLedger)
            days[label] = account.ledger.daily[:, : self.horizon]
        return days

    def check_invariants(self) -> None:
        """Fail loudly, with what reproduces it, when credits leak or a limit is exceeded."""
        paid = sum(n for (c, _), n in self.counts.by_cost_outcome.items() if c == Cost.CREDIT.value)
        raise_broken_invariants(self, paid, [])
