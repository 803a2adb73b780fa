"""The fast engine: the same model as `reference.Outreach`, with the same results, at a cost that does not
grow with the number of InMails in flight. This module runs the day; `ordering` puts a day's attempts in the
reference's order; `vector`, `in_order` and `scalar` are its three paths; `storage` and `ledger` keep what
it records.

What the reference engine does with one SimPy event per lifecycle step, this one does with due-time ordered
queues, applied in time order the moment the ledger or the policy is next consulted:

- One SimPy process runs the day: at each midnight (URGENT, as the reference's daily clock) it closes the
  day, grants and expires credits and runs the response-rate check; then it sends the whole team's
  attempts of that day in one step. The event queue holds O(1) entries, not one per InMail in flight.
- A message's lifecycle is sampled when it is sent (the behaviour sampler already does this). Reading and
  responding change nothing the rules look at during the day, so their log entries are written at once
  (when they fall before the horizon, as the reference would have processed them). What the rules do see
  is queued by due time: credits going back to the pool (decided by the refund rule when each InMail is
  sent; a heap of arrays bucketed by day) and responses counted by the response-rate rule (applied at the
  next midnight, the first moment the rule looks).
- Ties are broken exactly as SimPy breaks them in the reference: equal times go in the order the events
  were scheduled. Every attempt gets a global index A (its place in processing order); what it schedules
  gets the key 4A+1 (response), 4A+2 (credit back) and 4A+3 (the recruiter's next attempt), and items are
  applied in (time, key) order. The daily clock runs before any item due at exactly midnight. Event times
  are computed with the same floating-point expressions SimPy uses (`now + (when - now)`).
- A day is computed with numpy over all its attempts at once (candidates, costs, lifecycles of the simple
  and segmented behaviour models, counters, credit movements). When no rule can refuse a send that day,
  that is all; when one can (credits run out, a daily or first-week limit, a restricted seat, an Open
  Profile allowance, a seat's credit limit, the candidate pool), one lean pass over the attempts in order
  (`in_order.decide`) asks what `Account.try_send` asks, with the credits coming back applied in between. Days on
  which a credit batch expires, teams with email senders and other behaviour models are replayed attempt
  by attempt through the rules' own `Account.try_send` (`scalar.scalar_day`). Every path consumes the random
  streams in the reference's order (the `sending` stream is drawn in blocks, which gives the same
  numbers), so for the same seed the two engines give identical tables.
- The garbage collector is disabled during a run (restored after): the engine allocates few objects, and
  a collector scanning a large heap is what slows the reference down as teams grow.
- Per-InMail data are numpy columns (the message log and the ledger's movements), not Python objects.
"""

from __future__ import annotations

import gc
from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from ...config.scenario import Scenario
from ...rules import Calendar, PolicyState, Seat
from ...rules.ledger import Movement
from ...rules.policy import rates_are_low, trailing_rates, window_end, window_start
from ..behaviour import OUTCOMES, Sampler, SimpleSampler
from ..candidates import Population, team_channels
from ..events import urgent
from ..samplers import make_sampler
from ..segmented import SegmentedSampler
from ..staffing import build_accounts, staff
from ..state import start_fast
from ..streams import Streams
from ..types import (
    BLOCK_REASONS,
    CHANNELS,
    COSTS,
    MOVES,
    POLICY_CODES,
    MessageCounts,
    MessageLog,
    ReplicationOutput,
    check_tables_mode,
    raise_broken_invariants,
)
from .draws import Uniforms
from .ledger import FastLedger
from .ordering import KEY_NEXT, Group, plan_day
from .policy import ArrayCounts
from .scalar import scalar_day
from .storage import MAX_MESSAGES, MessageColumns, SpendRegistry, TableSink, labelled
from .vector import vector_day

OK_CODE = POLICY_CODES[PolicyState.OK]
CREDIT_CODE = COSTS.index("credit")


class FastOutreach:
    """The model of one replication, fast: see the module docstring. Same constructor, same output.

    `tables`: "full" keeps every message and credit movement (the message log and the ledgers' rows), or,
    given a `sink`, hands them to it in chunks of about `chunk_rows` rows as they are final and lets go of
    them; "summary" keeps counters only (the KPIs, and credits moved by account, kind and day)."""

    def __init__(
        self,
        scenario: Scenario,
        replication: int,
        seed: int | None = None,
        tables: str = "full",
        sink: TableSink | None = None,
        chunk_rows: int = 1 << 19,
    ) -> None:
        self.tables = check_tables_mode(tables)
        self.sink = sink if tables == "full" else None
        self.keep = tables == "full" and sink is None
        self.chunk_rows = chunk_rows if self.sink is not None else min(chunk_rows, 1 << 16)
        self.scenario = scenario
        self.replication = replication
        self.seed = scenario.seed if seed is None else seed
        self.horizon = scenario.horizon_days
        self.calendar = Calendar(scenario.start)
        self.rules = scenario.resolved_rules()
        self.streams = Streams(self.seed, replication)
        self.env = simpy.Environment()
        n_seats = sum(spec.seats for spec in scenario.accounts)
        # the response-rate rule's counts by [seat, day sent + pol_offset], for whole days at once (a state's
        # past days take the first pol_offset columns: as far back as the window judged on the first day reads)
        self.pol_offset = 0 if scenario.state is None else max(0, -window_start(self.rules, 0))
        width = self.pol_offset + self.horizon + 1
        self.pol_sent = np.zeros((max(n_seats, 1), width), dtype=np.int64)
        self.pol_resp = np.zeros((max(n_seats, 1), width), dtype=np.int64)
        self.registry = SpendRegistry(n_seats)
        self.accounts, seats_by_spec = build_accounts(
            scenario,
            self.calendar,
            lambda sid: ArrayCounts(self.pol_sent, self.pol_resp, sid, self.pol_offset),
            lambda cap, expiry: FastLedger(cap, expiry, self.registry),
        )
        self.population = Population(scenario.candidates, self.streams, self.horizon, team_channels(scenario))
        self.sampler: Sampler = make_sampler(scenario.behaviour, self.rules, self.population, self.streams)
        self.sending = Uniforms(self.streams["sending"])
        self.senders = staff(scenario, seats_by_spec)
        n, h = len(self.senders), self.horizon
        self.sent = np.zeros((n, h), dtype=np.int64)
        self.inmails_sent = np.zeros((n, h), dtype=np.int64)
        self.responses = np.zeros((n, h), dtype=np.int64)
        self.blocked = {r: np.zeros((n, h), dtype=np.int64) for r in BLOCK_REASONS}
        self.policy_state = np.zeros((n, h), dtype=np.int8)
        self.trailing_rate = np.full((n, h), np.nan)
        self.balance = {label: np.zeros(h, dtype=np.int64) for label in self.accounts}
        self.weekdays = [self.calendar.weekday(d) for d in range(h + 1)]
        self.grant_days = {label: set(a.grant_days(h)) for label, a in self.accounts.items()}
        self._setup_arrays()
        self.carried = start_fast(self)

    def _setup_arrays(self) -> None:
        rules, h = self.rules, self.horizon
        self.account_list = list(self.accounts.values())
        self.ledgers: list[FastLedger] = []
        for account in self.account_list:
            assert isinstance(account.ledger, FastLedger)
            self.ledgers.append(account.ledger)
        n_seats = sum(len(a.seats) for a in self.account_list)
        self.seat_objs: list[Seat | None] = [None] * n_seats
        self.seat_account = np.full(n_seats, -1, dtype=np.int64)
        for i, account in enumerate(self.account_list):
            for sid, seat in account.seats.items():
                self.seat_objs[sid] = seat
                self.seat_account[sid] = i
        self.pstate = np.zeros(max(n_seats, 1), dtype=np.int8)
        n = len(self.senders)
        self.seat_of = np.full(n, -1, dtype=np.int64)
        self.bulk_share = np.asarray([r.group.bulk_share for r in self.senders], dtype=float)
        self.pers_share = np.asarray([r.group.personalised_share for r in self.senders], dtype=float)
        for r in self.senders:
            if r.account is not None and r.seat is not None:
                self.seat_of[r.sender] = r.seat
        self.seated = np.flatnonzero(self.seat_of >= 0)
        self.seated_rows = self.seat_of[self.seated]
        self.groups: list[Group] = []
        self.group_of = np.zeros(n, dtype=np.int64)
        start = 0
        for g, group in enumerate(self.scenario.team):
            members = self.senders[start : start + group.count]
            self.group_of[start : start + group.count] = g
            start += group.count
            self.groups.append(Group(members))
        self.last_t = np.zeros(n)
        self.last_key = 4 * (np.arange(n, dtype=np.int64) - n) + KEY_NEXT
        self.next_attempt = 0
        self.n_msgs = 0
        self.taken = 0
        self.refunds: dict[int, list[tuple[np.ndarray, ...]]] = {}  # day -> (time, key, msg, seat, account)
        self.policy_responses: dict[int, list[tuple[Any, Any]]] = {}  # day -> (seat, sent day) for the policy
        self.outcomes = list(OUTCOMES)
        self.outcome_code = {o: i for i, o in enumerate(self.outcomes)}
        capacity = self.capacity()
        if capacity > MAX_MESSAGES:
            raise ValueError(f"the fast engine logs at most {MAX_MESSAGES:,} messages a replication (got {capacity:,})")
        self.log = MessageColumns(capacity, self.keep)
        self.registry.reserve(capacity)
        self.credit_days = [np.zeros((len(MOVES), max(h, 1)), dtype=np.int64) for _ in self.ledgers]
        self.counts_code = np.asarray([rules.counts_as_response(o) for o in self.outcomes] + [False] * 64)
        self.email_of = np.asarray([r.group.channel == "email" for r in self.senders], dtype=bool)
        self.mixed = bool(self.email_of.any())  # email senders: candidates assigned by `Population.assign`
        self.vector = type(self.sampler) in (SimpleSampler, SegmentedSampler)
        self.days_vector = 0
        self.days_scalar = 0
        self.days_in_order = 0  # days with numpy whose refusals were decided by one pass in order
        self.days_exact_order = 0  # days whose ties needed the event-queue replay to order

    def capacity(self) -> int:
        """How many messages the run can send at most: every planned attempt."""
        total = 0
        for g in self.groups:
            if not g.target:
                continue
            for day in range(self.horizon):
                if self.weekdays[day] in g.weekdays:
                    total += g.target * int((g.activation <= day).sum())
        return total

    def _day_process(self) -> Generator[simpy.Event, Any, None]:
        for day in range(self.horizon):
            if day:
                yield urgent(self.env, 1.0)
            self.midnight(day)
            plan = plan_day(self, day)
            if self.vector and vector_day(self, day, plan):
                self.days_vector += 1
            else:
                scalar_day(self, day, plan)
                self.days_scalar += 1
            self.population.release()
            self.drain(final=False)

    def drain(self, final: bool) -> None:
        """Hand the rows logged so far to the sink (or only count them) once there are enough of them."""
        if self.keep:
            return
        log = self.log
        if final or log.buffered + len(log.pending["sent_at"]) >= self.chunk_rows:
            cols = log.drain()
            if cols is not None and self.sink is not None:
                self.sink.messages(cols, {"channel": CHANNELS, "cost": COSTS, "outcome": tuple(self.outcomes)})
        h = self.horizon
        for i, label in enumerate(self.accounts):
            ledger = self.ledgers[i]
            if not final and len(ledger.columns) < self.chunk_rows:
                continue
            rows = ledger.columns.drain()
            if not len(rows["time"]):
                continue
            day = np.clip(np.floor(rows["time"]), 0, h - 1).astype(np.int64)
            index = rows["kind"].astype(np.int64) * h + day
            moved = np.bincount(index, weights=rows["amount"], minlength=len(MOVES) * h)
            self.credit_days[i][:, :h] += np.rint(moved).astype(np.int64).reshape(len(MOVES), h)
            if self.sink is not None:
                self.sink.credits(label, rows)

    def apply_policy_responses(self, day: int) -> None:
        for seats, sent_days in self.policy_responses.pop(day, ()):
            np.add.at(self.pol_resp, (seats, np.asarray(sent_days) + self.pol_offset), 1)

    def midnight(self, day: int) -> None:
        """Midnight, as the reference's daily clock: close yesterday, expire and grant, run the policy check."""
        if day:
            self.apply_policy_responses(day - 1)
        self.close_day(day)
        for label, account in self.accounts.items():
            if day in self.grant_days[label]:
                account.grant(float(day))
        rows = self.seated_rows
        if not len(rows):
            return
        sent_w, resp_w = self.window_sums(day)
        pstate = self.pstate
        # the state machine only moves for seats judged low today or not in good standing
        need = rates_are_low(self.rules, sent_w, resp_w) | (pstate[rows] != OK_CODE)
        for sid in rows[need].tolist():
            seat = self.seat_objs[sid]
            assert seat is not None
            pstate[sid] = POLICY_CODES[seat.policy.evaluate(day)]
        self.policy_state[self.seated, day] = pstate[rows]

    def window_sums(self, day: int) -> tuple[np.ndarray, np.ndarray]:
        """Each seated sender's (sent, responded) over the response-rate rule's window judged at `day`."""
        off = self.pol_offset
        lo = max(0, window_start(self.rules, day) + off)
        hi = max(lo, window_end(self.rules, day) + off)
        rows = self.seated_rows
        return self.pol_sent[rows, lo:hi].sum(axis=1), self.pol_resp[rows, lo:hi].sum(axis=1)

    def close_day(self, day: int) -> None:
        """Midnight before `day`: yesterday's day-end balance (credits that expire at this midnight are still
        held at yesterday's end, and their expiry is booked on `day`), then the expiry; none at the horizon,
        which belongs to the day after the run."""
        for label, account in self.accounts.items():
            if day:
                self.balance[label][day - 1] = account.ledger.balance
            if day < self.horizon:
                account.ledger.expire_due(float(day))
        if day and len(self.seated_rows):
            self.trailing_rate[self.seated, day - 1] = trailing_rates(*self.window_sums(day))

    def run(self) -> ReplicationOutput:
        enabled = gc.isenabled()
        gc.disable()
        try:
            env = self.env
            env.process(self._day_process())
            env.run(until=self.horizon)
            self.apply_policy_responses(self.horizon - 1)
            self.close_day(self.horizon)
            self.drain(final=True)
            messages = self._messages() if self.keep else MessageLog()
            self.messages = messages
            self.check_invariants()
            days = None
            if not self.keep:
                days = {label: d[:, : self.horizon] for label, d in zip(self.accounts, self.credit_days, strict=True)}
            return ReplicationOutput.of(self, messages, self._message_counts(), days)
        finally:
            if enabled:
                gc.enable()

    def _messages(self) -> MessageLog:
        """The message log with the reference's columns: numbers as numpy arrays, labels (channel, cost,
        outcome) as pandas Categoricals (`labelled`)."""
        labels = {"channel": CHANNELS, "cost": COSTS, "outcome": tuple(self.outcomes)}
        return MessageLog(**labelled(self.log.finish(), labels))

    def _message_counts(self) -> MessageCounts:
        codes, follow_ups = self.log.counts()
        counts = MessageCounts(follow_ups=follow_ups)
        for (cost, outcome), n in sorted(codes.items()):
            counts.add(COSTS[cost], self.outcomes[outcome], n)
        return counts

    def check_invariants(self) -> None:
        """Fail loudly, with what reproduces it, when credits leak or a limit is exceeded."""
        codes, _ = self.log.counts()
        paid = sum(n for (cost, _), n in codes.items() if cost == CREDIT_CODE)
        refunds = sum(a.ledger.totals[Movement.REFUND] for a in self.accounts.values())
        twice = [] if refunds == int(self.registry.refunded.sum()) else ["a credit was refunded more than once"]
        raise_broken_invariants(self, paid, twice)
