"""One replication of a scenario as a SimPy model: accounts and seats, recruiters, candidates, and the
scheduled events of every message's lifecycle (read, response, refund check)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
import simpy
from simpy.events import URGENT

from ..config.scenario import Scenario
from ..rules import Account, BlockReason, Calendar, Cost, PolicyState
from ..rules.ledger import CreditLedger, Movement
from .behaviour import NO_RESPONSE, Lifecycle, Sampler, make_sampler
from .candidates import Population
from .recruiter import Recruiter
from .streams import Streams

NO_CANDIDATES = "no_candidates"
BLOCK_REASONS: tuple[str, ...] = (*(r.value for r in BlockReason), NO_CANDIDATES)
POLICY_CODES: dict[PolicyState, int] = {s: i for i, s in enumerate(PolicyState)}
MOVES: tuple[Movement, ...] = tuple(Movement)
TABLE_MODES = ("full", "summary")
"""What an engine keeps of a replication: `full`, every message and credit movement (the per-InMail and
credits tables); `summary`, running counters only (the KPIs and the daily tables), so that memory does not
grow with the number of messages."""


class InvariantError(RuntimeError):
    """A rule the simulation must never break was broken: a bug, reported with how to reproduce it."""


def raise_broken_invariants(model: Any, paid: int, problems: list[str]) -> None:
    """Check what every engine must keep at the end of a replication (credits conserved, batches adding up to
    the balance, no seat over a limit, one credit per paid InMail) and raise InvariantError naming the
    scenario, seed and replication that reproduce a breach; `problems` are the engine's own findings."""
    problems = list(problems)
    for label, account in model.accounts.items():
        ledger = account.ledger
        gap = ledger.conservation_gap()
        if gap or ledger.balance < 0:
            problems.append(f"account {label}: credits not conserved (gap {gap})")
        held = sum(b.remaining for b in ledger.batches)
        if held != ledger.balance:
            problems.append(f"account {label}: batches hold {held} but the balance is {ledger.balance}")
        for seat in account.seats.values():
            lim = seat.limits
            if lim.daily_limit is not None and lim.max_sent_in_a_day > lim.daily_limit:
                problems.append(f"seat {seat.id}: {lim.max_sent_in_a_day} InMails in a day")
            if lim.first_week_limit is not None and lim.sent_first_week > lim.first_week_limit:
                problems.append(f"seat {seat.id}: {lim.sent_first_week} InMails in its first week")
    spent = sum(a.ledger.totals[Movement.SPEND] for a in model.accounts.values())
    if paid != spent:
        problems.append(f"{paid} paid InMails but {spent} credits spent")
    if problems:
        where = f"scenario {model.scenario.name!r}, seed {model.seed}, replication {model.replication}"
        raise InvariantError(f"invariant broken in {where}: " + "; ".join(problems))


@dataclass
class MessageLog:
    """One row per message sent, as columns."""

    seat: list[int] = field(default_factory=list)
    sender: list[int] = field(default_factory=list)
    candidate: list[int] = field(default_factory=list)
    channel: list[str] = field(default_factory=list)
    cost: list[str] = field(default_factory=list)
    bulk: list[bool] = field(default_factory=list)
    personalised: list[bool] = field(default_factory=list)
    sent_at: list[float] = field(default_factory=list)
    read_at: list[float] = field(default_factory=list)
    outcome: list[str] = field(default_factory=list)
    responded_at: list[float] = field(default_factory=list)
    refunded_at: list[float] = field(default_factory=list)
    followed_up_at: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.sent_at)


@dataclass
class MessageCounts:
    """What the KPIs need of the message log, counted as messages are sent: messages by (cost, outcome)
    label, and follow-ups sent before the horizon."""

    by_cost_outcome: dict[tuple[str, str], int] = field(default_factory=dict)
    follow_ups: int = 0

    def add(self, cost: str, outcome: str, n: int = 1) -> None:
        key = (cost, outcome)
        total = self.by_cost_outcome.get(key, 0) + n
        if total:
            self.by_cost_outcome[key] = total
        else:
            self.by_cost_outcome.pop(key, None)

    @classmethod
    def of_log(cls, log: MessageLog) -> MessageCounts:
        """The counts of a whole message log."""
        cost = np.asarray(log.cost, dtype=object)
        outcome = np.asarray(log.outcome, dtype=object)
        counts = cls(follow_ups=int(np.isfinite(np.asarray(log.followed_up_at, dtype=float)).sum()))
        if len(cost):
            pairs, n = np.unique(np.stack([cost.astype(str), outcome.astype(str)]), axis=1, return_counts=True)
            for c, o, k in zip(pairs[0].tolist(), pairs[1].tolist(), n.tolist(), strict=True):
                counts.add(c, o, k)
        return counts


@dataclass
class ReplicationOutput:
    """Raw tables of one replication (turned into DataFrames by `sim.results`)."""

    replication: int
    messages: MessageLog
    senders: list[Recruiter]
    accounts: dict[str, Account]
    sent: np.ndarray  # [sender, day] messages sent on any channel, InMail or not
    inmails_sent: np.ndarray  # [sender, day] InMails sent (paid or free by the Open Profile rule)
    responses: np.ndarray  # [sender, day] responses received
    blocked: dict[str, np.ndarray]  # reason -> [sender, day]
    policy_state: np.ndarray  # [sender, day] PolicyState code
    trailing_rate: np.ndarray  # [sender, day] trailing-window response rate at the day's end
    balance: dict[str, np.ndarray]  # account -> [day] balance at the day's end
    events: int
    tables: str = "full"  # TABLE_MODES: with "summary", `messages` is empty and the ledgers keep no rows
    counts: MessageCounts | None = None  # the log's counts (None: count `messages`)
    credit_days: dict[str, np.ndarray] | None = None  # account -> [kind (MOVES), day] credits moved; None: rows


def _urgent(env: simpy.Environment, delay: float) -> simpy.Event:
    """An event that fires before every ordinary event due at the same instant (the daily clock)."""
    event = simpy.Event(env)
    event._ok = True
    event._value = None
    env.schedule(event, URGENT, delay)
    return event


def build_accounts(
    scenario: Scenario, calendar: Calendar
) -> tuple[dict[str, Account], dict[str, list[tuple[Account, int, int]]]]:
    """Accounts by label, and for each account spec name its seats as (account, seat id, activation day).

    Single-member plans give each seat its own account, labelled `name-1`, `name-2`, ...
    """
    rules = scenario.resolved_rules()
    accounts: dict[str, Account] = {}
    seats: dict[str, list[tuple[Account, int, int]]] = {}
    next_seat = 0
    for spec in scenario.accounts:
        days = spec.seat_activation_days()
        start = calendar.start + timedelta(days=spec.start_day)
        ids = list(range(next_seat, next_seat + spec.seats))
        next_seat += spec.seats
        if rules.plan(spec.plan).per_seat:
            account = Account(rules, spec.plan, calendar, ids, days, start)
            accounts[spec.name] = account
            seats[spec.name] = [(account, sid, day) for sid, day in zip(ids, days, strict=True)]
        else:
            seats[spec.name] = []
            for i, (sid, day) in enumerate(zip(ids, days, strict=True)):
                label = spec.name if spec.seats == 1 else f"{spec.name}-{i + 1}"
                account = Account(rules, spec.plan, calendar, [sid], [day], start)
                accounts[label] = account
                seats[spec.name].append((account, sid, day))
    return accounts, seats


def staff(scenario: Scenario, seats_by_spec: dict[str, list[tuple[Account, int, int]]]) -> list[Recruiter]:
    """One recruiter per team member, in team order; InMail recruiters each on their own seat, taken in order
    from their group's account (the first account by default); email senders need no seat."""
    senders: list[Recruiter] = []
    free = {name: list(seats) for name, seats in seats_by_spec.items()}
    default = scenario.accounts[0].name
    for group in scenario.team:
        for _ in range(group.count):
            if group.channel == "email":
                senders.append(Recruiter(len(senders), group, None, None, 0))
            else:
                account, seat, day = free[group.account or default].pop(0)
                senders.append(Recruiter(len(senders), group, account, seat, day))
    return senders


def check_tables_mode(tables: str) -> str:
    if tables not in TABLE_MODES:
        raise ValueError(f"tables must be one of {', '.join(TABLE_MODES)} (got {tables!r})")
    return tables


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
        self.accounts, seats_by_spec = build_accounts(scenario, self.calendar)
        if tables == "summary":
            for account in self.accounts.values():
                old = account.ledger
                account.ledger = DailyLedger(old.cap, old.batch_expiry_days, self.horizon)
        self.population = Population(scenario.candidates, self.streams)
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

    # -- processes and events -------------------------------------------------------------------------

    def daily_clock(self) -> Any:
        """At each midnight: close yesterday's figures, expire and grant credits, run the policy check."""
        for day in range(self.horizon):
            if day:
                yield _urgent(self.env, 1.0)
            self._close_day(day)
            for label, account in self.accounts.items():
                if day in self._grant_days[label]:
                    account.grant(float(day))
            for r in self.senders:
                if r.account is not None and r.seat is not None:
                    state = r.account.seats[r.seat].policy.evaluate(day)
                    self.policy_state[r.sender, day] = POLICY_CODES[state]

    def _close_day(self, day: int) -> None:
        for label, account in self.accounts.items():
            account.ledger.expire_due(float(day))
            if day:
                self.balance[label][day - 1] = account.ledger.balance
        if day:
            for r in self.senders:
                if r.account is not None and r.seat is not None:
                    rate = r.account.seats[r.seat].policy.trailing_rate(day)
                    self.trailing_rate[r.sender, day - 1] = np.nan if rate is None else rate

    def attempt(self, r: Recruiter, t: float) -> None:
        """One send attempt: pick the next candidate, ask the rules, send and schedule the lifecycle."""
        day = int(t)
        channel = r.group.channel
        candidate = self.population.peek(channel)
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
        outcome = [NO_RESPONSE]  # the message's outcome so far, shared by its response and refund check
        if life.outcome != NO_RESPONSE:
            self._at(life.responded_at, lambda _e: self._respond(r, msg_id, sent_at, cost, life, outcome))
        if cost == Cost.CREDIT.value and r.account is not None:
            check = r.account.refund_check_at(sent_at)
            if check is not None:
                self._at(check, lambda _e: self._refund_check(r, msg_id, outcome[0]))

    def _respond(
        self, r: Recruiter, msg_id: int, sent_at: float, cost: str, life: Lifecycle, outcome: list[str]
    ) -> None:
        t = self.env.now
        outcome[0] = life.outcome
        self.counts.add(cost, NO_RESPONSE, -1)
        self.counts.add(cost, life.outcome)
        if self._keep:
            self.log.outcome[msg_id] = life.outcome
            self.log.responded_at[msg_id] = t
        self.responses[r.sender, int(t)] += 1
        if r.account is None or r.seat is None or cost == Cost.CONNECTION.value:
            return
        refunded = r.account.response(t, r.seat, msg_id, sent_at, life.outcome, paid=cost == Cost.CREDIT.value)
        if refunded and self._keep:
            self.log.refunded_at[msg_id] = t

    def _refund_check(self, r: Recruiter, msg_id: int, outcome: str) -> None:
        assert r.account is not None
        responded = outcome != NO_RESPONSE and r.account.counts_as_response(outcome)
        if r.account.refund_check(self.env.now, msg_id, responded) and self._keep:
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
        return ReplicationOutput(
            replication=self.replication,
            messages=self.log,
            senders=self.senders,
            accounts=self.accounts,
            sent=self.sent,
            inmails_sent=self.inmails_sent,
            responses=self.responses,
            blocked=self.blocked,
            policy_state=self.policy_state,
            trailing_rate=self.trailing_rate,
            balance=self.balance,
            events=next(env._eid),  # events scheduled so far
            tables=self.tables,
            counts=self.counts,
            credit_days=None if self._keep else self._credit_days(),
        )

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
