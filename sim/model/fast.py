"""The fast engine: the same model as `world.Outreach`, with the same results, at a cost that does not grow
with the number of InMails in flight.

What the reference engine does with one SimPy event per lifecycle step, this one does with due-time ordered
queues, applied in time order the moment the ledger or the policy is next consulted:

- One SimPy process runs the day: at each midnight (URGENT, as the reference's daily clock) it closes the
  day, grants and expires credits and runs the response-rate check; then it sends the whole team's
  attempts of that day in one step. The event queue holds O(1) entries, not one per InMail in flight.
- A message's lifecycle is sampled when it is sent (the behaviour sampler already does this). Reading and
  responding change nothing the rules look at during the day, so their log entries are written at once
  (when they fall before the horizon, as the reference would have processed them). What the rules do see
  is queued by due time: credits going back to the pool (refund checks and credit-backs, a heap of arrays
  bucketed by day) and responses counted by the response-rate rule (applied at the next midnight, the
  first moment the rule looks).
- Ties are broken exactly as SimPy breaks them in the reference: equal times go in the order the events
  were scheduled. Every attempt gets a global index A (its place in processing order); what it schedules
  gets the key 4A+1 (response), 4A+2 (refund check) and 4A+3 (the recruiter's next attempt), and items are
  applied in (time, key) order. The daily clock runs before any item due at exactly midnight. Event times
  are computed with the same floating-point expressions SimPy uses (`now + (when - now)`).
- A day is computed with numpy over all its attempts at once (candidates, costs, lifecycles of the simple
  and segmented behaviour models, counters, credit movements). When no rule can refuse a send that day,
  that is all; when one can (credits run out, a daily or first-week limit, a restricted seat, an Open
  Profile allowance, a seat's credit limit, the candidate pool), one lean pass over the attempts in order
  (`_decide`) asks what `Account.try_send` asks, with the credits coming back applied in between. Days on
  which a credit batch expires, teams with email senders and other behaviour models are replayed attempt
  by attempt through the rules' own `Account.try_send` (`_scalar_day`). Every path consumes the random
  streams in the reference's order (the `sending` stream is drawn in blocks, which gives the same
  numbers), so for the same seed the two engines give identical tables.
- The garbage collector is disabled during a run (restored after): the engine allocates few objects, and
  a collector scanning a large heap is what slows the reference down as teams grow.
- Per-InMail data are numpy columns (the message log and the ledger's movements), not Python objects.
"""

from __future__ import annotations

import gc
import heapq
import math
from collections import defaultdict, deque
from collections.abc import Generator, Iterator, Mapping, Sequence
from typing import Any, Protocol, overload

import numpy as np
import simpy

from ..config.scenario import Scenario
from ..rules import Calendar, Cost, PolicyState, RefundRule, ResponseRatePolicy, Rules, Seat
from ..rules.ledger import Batch, CreditLedger, LedgerError, LedgerRow, Movement
from .behaviour import NO_RESPONSE, Sampler, SimpleSampler, make_sampler
from .candidates import Population
from .recruiter import Recruiter
from .reference import (
    BLOCK_REASONS,
    MOVES,
    NO_CANDIDATES,
    POLICY_CODES,
    InvariantError,
    MessageCounts,
    MessageLog,
    ReplicationOutput,
    _urgent,
    build_accounts,
    check_tables_mode,
    raise_broken_invariants,
    staff,
)
from .segmented import SegmentedSampler
from .streams import Streams

_GRANT, _SPEND, _REFUND, _EXPIRE, _FORFEIT = (MOVES.index(m) for m in Movement)
CHANNELS = ("inmail", "email")
COSTS = (Cost.CREDIT.value, Cost.OPEN_PROFILE.value, Cost.CONNECTION.value, "none")
_CREDIT, _OPEN, _CONN, _NONE = range(4)
_OK = POLICY_CODES[PolicyState.OK]
_RESTRICTED = POLICY_CODES[PolicyState.RESTRICTED]
_KEY_RESPONSE, _KEY_CHECK, _KEY_NEXT = 1, 2, 3
_NO_ITEMS = (np.empty(0), np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64))


class _Columns:
    """Growable typed columns kept as numpy chunks (never copied into one array), plus Python lists for rows
    added one at a time. A column given as a scalar is stored as a zero-stride view: no memory per row."""

    def __init__(self, dtypes: dict[str, Any]) -> None:
        self.dtypes = dtypes
        self.chunks: dict[str, list[np.ndarray]] = {name: [] for name in dtypes}
        self.pending: dict[str, list[Any]] = {name: [] for name in dtypes}

    def flush(self) -> None:
        if not next(iter(self.pending.values())):
            return
        for name, values in self.pending.items():
            self.chunks[name].append(np.asarray(values, dtype=self.dtypes[name]))
            values.clear()

    def extend(self, n: int, arrays: dict[str, Any]) -> None:
        self.flush()
        if not n:
            return
        for name, dtype in self.dtypes.items():
            value = arrays[name]
            if np.ndim(value):
                self.chunks[name].append(np.asarray(value, dtype=dtype))
            else:
                self.chunks[name].append(np.broadcast_to(np.asarray(value, dtype=dtype), (n,)))

    def __len__(self) -> int:
        self.flush()
        return sum(len(c) for c in next(iter(self.chunks.values())))

    def arrays(self) -> dict[str, np.ndarray]:
        self.flush()
        return {
            name: np.concatenate(chunks) if chunks else np.empty(0, dtype=self.dtypes[name])
            for name, chunks in self.chunks.items()
        }

    def drain(self) -> dict[str, np.ndarray]:
        """The rows added since the last drain, as columns; they are let go of here."""
        arrays = self.arrays()
        for chunks in self.chunks.values():
            chunks.clear()
        return arrays


_LOG_DTYPES: dict[str, Any] = {
    "seat": np.int32,
    "sender": np.int32,
    "candidate": np.int32,
    "channel": np.int8,
    "cost": np.int8,
    "bulk": bool,
    "personalised": bool,
    "sent_at": np.float64,
    "read_at": np.float64,
    "outcome": np.int16,
    "responded_at": np.float64,
    "refunded_at": np.float64,
    "followed_up_at": np.float64,
}


class _Log:
    """The message log as numpy columns, plus Python lists for messages logged one at a time. Kept whole
    (`keep`): preallocated columns (`capacity` bounds the messages of the run, so nothing is copied as it
    grows). Otherwise: chunks that `drain` hands out and lets go of, counted as they go."""

    def __init__(self, capacity: int, keep: bool = True) -> None:
        self.keep = keep
        self.columns = {name: np.empty(capacity if keep else 0, dtype=dtype) for name, dtype in _LOG_DTYPES.items()}
        self.chunks: list[dict[str, np.ndarray]] = []
        self.pending: dict[str, list[Any]] = {name: [] for name in _LOG_DTYPES}
        self.n = 0
        self.buffered = 0  # rows in `chunks`
        self._counts: dict[tuple[int, int], int] = {}  # (cost code, outcome code) -> messages (of drained rows)
        self._follow_ups = 0

    def write(self, arrays: dict[str, Any]) -> None:
        self.flush()
        n = len(arrays["sent_at"])
        if self.keep:
            for name, column in self.columns.items():
                column[self.n : self.n + n] = arrays[name]
        elif n:
            self.chunks.append(
                {name: np.array(np.broadcast_to(arrays[name], (n,)), dtype=dt) for name, dt in _LOG_DTYPES.items()}
            )
            self.buffered += n
        self.n += n

    def flush(self) -> None:
        k = len(self.pending["sent_at"])
        if not k:
            return
        if self.keep:
            for name, column in self.columns.items():
                column[self.n : self.n + k] = self.pending[name]
                self.pending[name].clear()
        else:
            self.chunks.append({name: np.asarray(self.pending[name], dtype=dt) for name, dt in _LOG_DTYPES.items()})
            for values in self.pending.values():
                values.clear()
            self.buffered += k
        self.n += k

    def finish(self) -> dict[str, np.ndarray]:
        self.flush()
        return {name: column[: self.n] for name, column in self.columns.items()}

    def drain(self) -> dict[str, np.ndarray] | None:
        """The messages logged since the last drain (not kept whole), counted and let go of; None: none."""
        self.flush()
        if not self.chunks:
            return None
        cols = {name: np.concatenate([c[name] for c in self.chunks]) for name in _LOG_DTYPES}
        self.chunks.clear()
        self.buffered = 0
        self._count(cols)
        return cols

    def _count(self, cols: dict[str, np.ndarray]) -> None:
        k = int(cols["outcome"].max()) + 1 if len(cols["outcome"]) else 1
        combos = np.bincount(cols["cost"].astype(np.int64) * k + cols["outcome"], minlength=len(COSTS) * k)
        for i in np.flatnonzero(combos).tolist():
            key = (i // k, i % k)
            self._counts[key] = self._counts.get(key, 0) + int(combos[i])
        self._follow_ups += int(np.isfinite(cols["followed_up_at"]).sum())

    def counts(self) -> tuple[dict[tuple[int, int], int], int]:
        """Messages by (cost code, outcome code), and follow-ups; of every message (after the last drain)."""
        if self.keep:
            self._counts, self._follow_ups = {}, 0
            self._count(self.finish())
        return self._counts, self._follow_ups


class TableSink(Protocol):
    """Where an engine that keeps no log hands out its rows as they are final: chunks of messages (raw
    codes, as `_LOG_DTYPES`, with `labels` for the coded columns) and of each account's credit movements
    (as `FastLedger.row_arrays`)."""

    def messages(self, columns: dict[str, np.ndarray], labels: Mapping[str, Sequence[str]]) -> None: ...

    def credits(self, account: str, columns: dict[str, np.ndarray]) -> None: ...


def labelled(columns: dict[str, np.ndarray], labels: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """Message columns with the coded ones (channel, cost, outcome) as pandas Categoricals whose categories
    are the labels present, sorted, as pandas would infer them from the reference's lists of strings."""
    import pandas as pd

    fields: dict[str, Any] = {}
    for name, values in columns.items():
        if name not in labels:
            fields[name] = values
            continue
        names = labels[name]
        present = np.flatnonzero(np.bincount(values, minlength=len(names))).tolist()
        categories = sorted(names[i] for i in present)
        recode = np.full(len(names), -1, dtype=np.int8)
        for i in present:
            recode[i] = categories.index(names[i])
        fields[name] = pd.Categorical.from_codes(recode[values], categories=pd.Index(categories))
    return fields


_ROW_DTYPES = {"time": np.float64, "kind": np.int8, "amount": np.int64, "seat": np.int32, "inmail": np.int32}
MAX_MESSAGES = 2**31 - 1  # message ids are stored as int32


class _SpendRegistry:
    """Which seat spent a credit for each message id, and whether it was refunded (shared by all ledgers)."""

    def __init__(self, n_seats: int = 2**31 - 1) -> None:
        # seat ids in the smallest type that holds them (-1: no credit spent): 2 bytes a message, mostly
        self.seat: np.ndarray = np.full(1024, -1, dtype=np.int16 if n_seats < 2**15 else np.int32)
        self.refunded = np.zeros(1024, dtype=bool)

    def reserve(self, n: int) -> None:
        if n > len(self.seat):
            size = max(n, 2 * len(self.seat))
            self.seat = np.concatenate((self.seat, np.full(size - len(self.seat), -1, dtype=self.seat.dtype)))
            self.refunded = np.concatenate((self.refunded, np.zeros(size - len(self.refunded), dtype=bool)))


class _Rows(Sequence[LedgerRow]):
    """A ledger's movements as `LedgerRow`s, made on demand from its columns."""

    def __init__(self, columns: _Columns) -> None:
        self._columns = columns

    def __len__(self) -> int:
        return len(self._columns)

    def __iter__(self) -> Iterator[LedgerRow]:
        cols = self._columns
        cols.flush()
        for i in range(len(cols.chunks["time"])):
            times = cols.chunks["time"][i].tolist()
            kinds = cols.chunks["kind"][i].tolist()
            amounts = cols.chunks["amount"][i].tolist()
            seats = cols.chunks["seat"][i].tolist()
            inmails = cols.chunks["inmail"][i].tolist()
            for t, k, a, s, m in zip(times, kinds, amounts, seats, inmails, strict=True):
                yield LedgerRow(t, MOVES[k], a, None if s < 0 else s, None if m < 0 else m)

    @overload
    def __getitem__(self, index: int) -> LedgerRow: ...

    @overload
    def __getitem__(self, index: slice) -> list[LedgerRow]: ...

    def __getitem__(self, index: int | slice) -> LedgerRow | list[LedgerRow]:
        rows = list(self)
        return rows[index]


class FastLedger(CreditLedger):
    """`CreditLedger` with the same rules, its movements kept as numpy columns (`rows` makes `LedgerRow`s
    on demand), and a bulk operation for a day's spends and refunds. Without batch expiry all credits are
    alike, so arriving credits join one batch instead of one `Batch` object per refund."""

    def __init__(self, cap: int | None, batch_expiry_days: float | None, registry: _SpendRegistry) -> None:
        # The base initialiser is not called: its per-InMail dict and set are replaced by `registry`.
        self.cap = cap
        self.batch_expiry_days = batch_expiry_days
        self.batches: deque[Batch] = deque()
        self.totals: dict[Movement, int] = {m: 0 for m in Movement}
        self.balance = 0
        self._clock = float("-inf")
        self._registry = registry
        self.columns = _Columns(_ROW_DTYPES)
        self._pending = self.columns.pending

    @property
    def rows(self) -> Sequence[LedgerRow]:  # type: ignore[override]  # a read-only view, not the base's list
        """The movements in the order they happened, as `LedgerRow`s made on demand."""
        return _Rows(self.columns)

    def row_arrays(self) -> dict[str, np.ndarray]:
        """The movements as columns: time, kind (index into `MOVES`), amount, seat and inmail (-1: none)."""
        return self.columns.arrays()

    def _record(self, t: float, kind: Movement, amount: int, seat: int | None, inmail: int | None) -> None:
        p = self._pending
        p["time"].append(t)
        p["kind"].append(MOVES.index(kind))
        p["amount"].append(amount)
        p["seat"].append(-1 if seat is None else seat)
        p["inmail"].append(-1 if inmail is None else inmail)
        self.totals[kind] += amount

    def _add(self, t: float, amount: int, kind: Movement, seat: int | None, inmail: int | None) -> int:
        self._record(t, kind, amount, seat, inmail)
        room = amount if self.cap is None else max(0, min(amount, self.cap - self.balance))
        if amount - room:
            self._record(t, Movement.FORFEIT, amount - room, seat, inmail)
        if room:
            if self.batch_expiry_days is None:
                if self.batches:
                    self.batches[-1].remaining += room
                else:
                    self.batches.append(Batch(t, room, None))
            else:
                self.batches.append(Batch(t, room, t + self.batch_expiry_days))
            self.balance += room
        return room

    def _spender(self, inmail: int) -> int | None:
        seat = self._registry.seat
        return int(seat[inmail]) if inmail < len(seat) and seat[inmail] >= 0 else None

    def _mark_spent(self, inmail: int, seat: int) -> None:
        reg = self._registry
        reg.reserve(inmail + 1)
        reg.seat[inmail] = seat

    def _mark_refunded(self, inmail: int) -> None:
        self._registry.refunded[inmail] = True

    def was_refunded(self, inmail: int) -> bool:
        reg = self._registry
        return inmail < len(reg.refunded) and bool(reg.refunded[inmail])

    def bulk(self, t: np.ndarray, refund: np.ndarray, seat: np.ndarray, inmail: np.ndarray) -> None:
        """Apply spends (`refund` False) and refunds in the given (time) order, when the caller has made
        sure no spend finds the pool empty and no batch expires before the last of them."""
        n = len(t)
        if not n:
            return
        if self.balance < int((~refund).sum()):
            raise LedgerError("bulk spends exceed the balance")
        reg = self._registry
        reg.reserve(int(inmail.max()) + 1)
        spends = inmail[~refund]
        backs = inmail[refund]
        if (reg.seat[spends] >= 0).any():
            raise LedgerError("a credit spent twice")
        reg.seat[spends] = seat[~refund]
        if (reg.seat[backs] < 0).any() or reg.refunded[backs].any():  # twice in `backs`: see check_invariants
            raise LedgerError("a credit refunded twice or refunded without being spent")
        reg.refunded[backs] = True
        n_spend = len(spends)
        step = np.where(refund, 1, -1)
        walk = self.balance + np.cumsum(step)
        if self.cap is None or not len(backs):
            forfeit = np.zeros(n, dtype=bool)
            end = int(walk[-1])
        else:
            # the pool is capped when credits arrive: a reflected walk (Skorokhod), forfeits where it reflects
            over = np.maximum.accumulate(np.maximum(walk - self.cap, 0))
            forfeit = np.diff(over, prepend=0) > 0
            end = int(walk[-1] - over[-1])
        kind = np.where(refund, _REFUND, _SPEND).astype(np.int8)
        times, seats, inmails = t, seat, inmail
        n_forfeit = int(forfeit.sum())
        if n_forfeit:
            reps = 1 + forfeit.astype(np.int64)
            kind = np.repeat(kind, reps)
            second = np.zeros(len(kind), dtype=bool)
            second[np.cumsum(reps)[forfeit] - 1] = True
            kind[second] = _FORFEIT
            times, seats, inmails = np.repeat(t, reps), np.repeat(seat, reps), np.repeat(inmail, reps)
        self.columns.extend(len(kind), {"time": times, "kind": kind, "amount": 1, "seat": seats, "inmail": inmails})
        n_back = len(backs)
        self.totals[Movement.SPEND] += n_spend
        self.totals[Movement.REFUND] += n_back
        self.totals[Movement.FORFEIT] += n_forfeit
        # Spends only reach credits held at the start (the caller checked the balance), so the batches are:
        # those credits less the spends, oldest first, then one batch per kept refund.
        self._take_oldest(n_spend)
        self._keep_returned(t[refund & ~forfeit].tolist())
        self.balance = end
        self._clock = max(self._clock, float(t[-1]))

    def _take_oldest(self, n: int) -> None:
        """Take `n` credits from the batches, oldest first (the caller checked they are held)."""
        while n:
            head = self.batches[0]
            used = min(n, head.remaining)
            head.remaining -= used
            n -= used
            if head.remaining == 0:
                self.batches.popleft()

    def _keep_returned(self, times: list[float]) -> None:
        """Batches for credits that came back at `times` and were kept: one shared batch without expiry."""
        if not times:
            return
        if self.batch_expiry_days is None:
            if self.batches:
                self.batches[-1].remaining += len(times)
            else:
                self.batches.append(Batch(times[0], len(times), None))
        else:
            for when in times:
                self.batches.append(Batch(when, 1, when + self.batch_expiry_days))

    def apply_pass(self, p: _LedgerPass) -> None:
        """Record what a pass in order did (`FastOutreach._decide`): its rows, the spends from credits held
        at the start (oldest batches first) and from credits that came back the same day, and the batches
        of the credits kept."""
        if p.times:
            kinds = np.asarray(p.kinds, dtype=np.int8)
            seats = np.asarray(p.seats, dtype=np.int32)
            self.columns.extend(
                len(kinds), {"time": p.times, "kind": kinds, "amount": 1, "seat": seats, "inmail": p.inmails}
            )
            self._clock = max(self._clock, max(p.times))
        reg = self._registry
        if p.spent:
            spent = np.asarray(p.spent, dtype=np.int64)
            if (reg.seat[spent] >= 0).any():
                raise LedgerError("a credit spent twice")
            reg.seat[spent] = seats[kinds == _SPEND]
        if p.refunded:
            back = np.asarray(p.refunded, dtype=np.int64)
            if (reg.seat[back] < 0).any() or reg.refunded[back].any():
                raise LedgerError("a credit refunded twice or refunded without being spent")
            reg.refunded[back] = True
        self.totals[Movement.SPEND] += len(p.spent)
        self.totals[Movement.REFUND] += len(p.refunded)
        self.totals[Movement.FORFEIT] += p.forfeits
        self._take_oldest(p.spent_old)
        self._keep_returned(p.new_batches[p.spent_new :])
        self.balance = p.balance
        if sum(b.remaining for b in self.batches) != self.balance:
            raise LedgerError("a pass in order left the batches out of step with the balance")

    def quiet_until(self, t: float) -> bool:
        """True when no batch expires before `t`, and none made from now on could (expiry of a day or more)."""
        if self.batch_expiry_days is None:
            return True
        if self.batch_expiry_days < 1:
            return False
        head = self.batches[0].expires_at if self.batches else None
        return head is None or head >= t


class _ArrayPolicy(ResponseRatePolicy):
    """The response-rate rule, its counts kept in the engine's [seat, day] arrays so that the engine can
    count a whole day at once; the state machine is the rule's own."""

    def __init__(self, rules: Rules, sent: np.ndarray, responded: np.ndarray, row: int) -> None:
        super().__init__(rules)
        self._sent = sent
        self._responded = responded
        self._row = row

    def record_send(self, day: int, bulk: bool) -> None:
        super().record_send(day, bulk)
        self._sent[self._row, day] += 1

    def record_response(self, sent_day: int) -> None:
        super().record_response(sent_day)
        self._responded[self._row, sent_day] += 1

    def window_counts(self, day: int) -> tuple[int, int]:
        lo = max(0, day - self.window)
        hi = max(lo, day)
        return int(self._sent[self._row, lo:hi].sum()), int(self._responded[self._row, lo:hi].sum())

    def sync(self) -> None:
        """Fill the rule's own per-day counts from the arrays (for readers of the finished run)."""
        for name, array in (("sent_by_day", self._sent), ("responded_by_day", self._responded)):
            counts: defaultdict[int, int] = defaultdict(int)
            row = array[self._row]
            for day in np.flatnonzero(row).tolist():
                counts[day] = int(row[day])
            setattr(self, name, counts)


class _Uniforms:
    """One random stream drawn in blocks: the same numbers, in the same order, as one draw at a time."""

    def __init__(self, rng: np.random.Generator, block: int = 1 << 16) -> None:
        self._rng = rng
        self._block = block
        self._buf = np.empty(0)
        self._pos = 0

    def peek(self, n: int) -> np.ndarray:
        if len(self._buf) - self._pos < n:
            self._buf = np.concatenate((self._buf[self._pos :], self._rng.random(max(self._block, n))))
            self._pos = 0
        return self._buf[self._pos : self._pos + n]

    def consume(self, n: int) -> None:
        self._pos += n

    def take2(self) -> tuple[float, float]:
        u = self.peek(2)
        self._pos += 2
        return float(u[0]), float(u[1])


class _Group:
    """The recruiters of one team group, who share a daily schedule."""

    def __init__(self, senders: list[Recruiter]) -> None:
        group = senders[0].group
        self.group = group
        self.members = np.asarray([r.sender for r in senders], dtype=np.int64)
        self.activation = np.asarray([r.activation_day for r in senders], dtype=np.int64)
        self.target = group.daily_target
        self.start, self.end = group.working_hours
        self.step = (self.end - self.start) / 24 / self.target if self.target else 0.0
        self.weekdays = {w.number for w in group.workdays}


def _split_by_day(day: np.ndarray, columns: tuple[Any, ...], into: dict[int, list[tuple[Any, ...]]]) -> None:
    """Add each row of `columns` to the bucket of its `day`."""
    if not len(day):
        return
    if day[0] == day[-1] and (day == day[0]).all():
        into.setdefault(int(day[0]), []).append(columns)
        return
    order = np.argsort(day, kind="stable")
    sorted_days = day[order]
    cuts = np.flatnonzero(sorted_days[1:] != sorted_days[:-1]) + 1
    starts = [0, *cuts.tolist()]
    ends = [*cuts.tolist(), len(order)]
    for a, b in zip(starts, ends, strict=True):
        pick = order[a:b]
        into.setdefault(int(sorted_days[a]), []).append(tuple(c[pick] for c in columns))


_REASONS = ("policy_restricted", "daily_limit", "first_week_limit", "seat_credit_limit", "no_credit", NO_CANDIDATES)
_R_POLICY, _R_DAILY, _R_FIRST_WEEK, _R_SEAT_LIMIT, _R_NO_CREDIT, _R_NO_CANDIDATES = range(1, len(_REASONS) + 1)


class _LedgerPass:
    """What one pass in order did to one account's credits."""

    def __init__(self, balance: int) -> None:
        self.old_left = balance  # credits held at the start: spent first (oldest batches first)
        self.spent_old = 0
        self.spent_new = 0  # spends of credits that came back earlier the same day
        self.times: list[float] = []  # the movements, in order
        self.kinds: list[int] = []
        self.seats: list[int] = []
        self.inmails: list[int] = []
        self.spent: list[int] = []
        self.refunded: list[int] = []
        self.new_batches: list[float] = []  # times of refunds the cap let in
        self.forfeits = 0
        self.balance = balance

    def add(self, t: float, kind: int, seat: int, inmail: int) -> None:
        self.times.append(t)
        self.kinds.append(kind)
        self.seats.append(seat)
        self.inmails.append(inmail)


class _Pass:
    """The outcome of `FastOutreach._decide`."""

    def __init__(
        self,
        ok: np.ndarray,
        reason: np.ndarray,
        cost: np.ndarray,
        drawn: int,
        ledgers: list[_LedgerPass],
        open_used: dict[int, int],
        one_to_one: dict[int, int],
        same_day: int,
    ) -> None:
        self.ok = ok  # which attempts were sent
        self.reason = reason  # why the others were not: index into _REASONS, from 1
        self.cost = cost  # cost code of each message sent
        self.drawn = drawn  # attempts that found a candidate (and drew from the sending stream)
        self.ledgers = ledgers
        self.open_used = open_used  # seats that asked for a free Open Profile InMail: their count this month
        self.one_to_one = one_to_one  # restricted seats' one-to-one InMails today
        self.same_day = same_day  # credits scheduled and given back within the day


def _segmented_lifecycles(
    sampler: SegmentedSampler,
    groups: list[_Group],
    group: np.ndarray,
    cand: np.ndarray,
    t: np.ndarray,
    personalised: np.ndarray,
    day: int,
    weekday: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """`SegmentedSampler.sample` over arrays of InMails sent on one day, with the same operations in the same
    order (so the same floating-point results)."""
    wait = np.minimum(sampler.login_wait[cand], sampler.notice_wait[cand])
    if sampler.reminder_after is not None:
        ra = sampler.reminder_after
        wait = np.where(wait > ra, np.minimum(wait, ra + sampler.reminder_wait[cand]), wait)
    read_at = t + wait
    m = sampler.mult
    p = sampler.base[cand] * sampler.fit_mult[cand]
    lengths = np.asarray([m.length(g.group.message_length) * m.weekday(weekday) for g in groups])
    p = p * lengths[group]
    p = np.where(personalised, p * m.personalised, p)
    translated = np.asarray([g.group.translated for g in groups])[group]
    p = np.where(~translated & ~sampler.reads_english[cand], p * m.untranslated, p)
    scam = np.asarray([g.group.looks_like_scam for g in groups])[group]
    p = np.where(scam, p * m.scam_like, p)
    p = np.minimum(p, sampler.spec.cap)
    when = np.where(sampler.u_response[cand] < p, read_at + sampler.reply_delay[cand], np.inf)
    after = np.asarray([np.nan if g.group.follow_up_after_days is None else g.group.follow_up_after_days
                        for g in groups])[group]  # fmt: skip
    follow_up = np.full(len(t), np.inf)
    has = ~np.isnan(after)
    if has.any():
        at = t + after
        due = has & (when > at)
        follow_up = np.where(due, at, np.inf)
        answers = due & (sampler.u_follow_up[cand] < p * m.follow_up)
        seen = np.maximum(read_at, follow_up)
        when = np.where(answers, np.minimum(when, seen + sampler.follow_up_delay[cand]), when)
    outcome = np.where(sampler.u_outcome[cand] < sampler.spec.accept_share, 1, 2)
    return read_at, when, outcome, follow_up


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
        self._sink = sink if tables == "full" else None
        self._keep = tables == "full" and sink is None
        self._chunk_rows = chunk_rows if self._sink is not None else min(chunk_rows, 1 << 16)
        self.scenario = scenario
        self.replication = replication
        self.seed = scenario.seed if seed is None else seed
        self.horizon = scenario.horizon_days
        self.calendar = Calendar(scenario.start)
        self.rules = scenario.resolved_rules()
        self.streams = Streams(self.seed, replication)
        self.env = simpy.Environment()
        self.accounts, seats_by_spec = build_accounts(scenario, self.calendar)
        self._registry = _SpendRegistry(sum(spec.seats for spec in scenario.accounts))
        for account in self.accounts.values():
            old = account.ledger
            account.ledger = FastLedger(old.cap, old.batch_expiry_days, self._registry)
        self.population = Population(scenario.candidates, self.streams)
        self.sampler: Sampler = make_sampler(scenario.behaviour, self.rules, self.population, self.streams)
        self.sending = _Uniforms(self.streams["sending"])
        self.senders = staff(scenario, seats_by_spec)
        n, h = len(self.senders), self.horizon
        self.sent = np.zeros((n, h), dtype=np.int64)
        self.inmails_sent = np.zeros((n, h), dtype=np.int64)
        self.responses = np.zeros((n, h), dtype=np.int64)
        self.blocked = {r: np.zeros((n, h), dtype=np.int64) for r in BLOCK_REASONS}
        self.policy_state = np.zeros((n, h), dtype=np.int8)
        self.trailing_rate = np.full((n, h), np.nan)
        self.balance = {label: np.zeros(h, dtype=np.int64) for label in self.accounts}
        self._weekdays = [self.calendar.weekday(d) for d in range(h + 1)]
        self._grant_days = {label: set(a.grant_days(h)) for label, a in self.accounts.items()}
        self._setup_arrays()

    def _setup_arrays(self) -> None:
        rules, h = self.rules, self.horizon
        self._account_list = list(self.accounts.values())
        self._ledgers: list[FastLedger] = []
        for account in self._account_list:
            assert isinstance(account.ledger, FastLedger)
            self._ledgers.append(account.ledger)
        n_seats = sum(len(a.seats) for a in self._account_list)
        self._seat_objs: list[Seat | None] = [None] * n_seats
        self._seat_account = np.full(n_seats, -1, dtype=np.int64)
        for i, account in enumerate(self._account_list):
            for sid, seat in account.seats.items():
                self._seat_objs[sid] = seat
                self._seat_account[sid] = i
        self._pol_sent = np.zeros((max(n_seats, 1), h + 1), dtype=np.int64)
        self._pol_resp = np.zeros((max(n_seats, 1), h + 1), dtype=np.int64)
        self._pstate = np.zeros(max(n_seats, 1), dtype=np.int8)
        self._policies: dict[int, _ArrayPolicy] = {}
        n = len(self.senders)
        self._seat_of = np.full(n, -1, dtype=np.int64)
        self._bulk_share = np.asarray([r.group.bulk_share for r in self.senders], dtype=float)
        self._pers_share = np.asarray([r.group.personalised_share for r in self.senders], dtype=float)
        for r in self.senders:
            if r.account is not None and r.seat is not None:
                policy = _ArrayPolicy(rules, self._pol_sent, self._pol_resp, r.seat)
                r.account.seats[r.seat].policy = policy
                self._policies[r.seat] = policy
                self._seat_of[r.sender] = r.seat
        self._seated = np.flatnonzero(self._seat_of >= 0)
        self._seated_rows = self._seat_of[self._seated]
        self._groups: list[_Group] = []
        self._group_of = np.zeros(n, dtype=np.int64)
        start = 0
        for g, group in enumerate(self.scenario.team):
            members = self.senders[start : start + group.count]
            self._group_of[start : start + group.count] = g
            start += group.count
            self._groups.append(_Group(members))
        self._last_t = np.zeros(n)
        self._last_key = 4 * (np.arange(n, dtype=np.int64) - n) + _KEY_NEXT
        self._next_attempt = 0
        self._n_msgs = 0
        self._taken = 0
        self._refunds: dict[int, list[tuple[np.ndarray, ...]]] = {}  # day -> (time, key, msg, seat, account)
        self._responded: dict[int, list[tuple[Any, Any]]] = {}  # day -> (seat, sent day) for the policy
        self._outcomes = [NO_RESPONSE, "accepted", "declined"]
        self._outcome_code = {o: i for i, o in enumerate(self._outcomes)}
        capacity = self._capacity()
        if capacity > MAX_MESSAGES:
            raise ValueError(f"the fast engine logs at most {MAX_MESSAGES:,} messages a replication (got {capacity:,})")
        self._log = _Log(capacity, self._keep)
        self._registry.reserve(capacity)
        self._credit_days = [np.zeros((len(MOVES), max(h, 1)), dtype=np.int64) for _ in self._ledgers]
        self._counts_code = np.asarray([rules.counts_as_response(o) for o in self._outcomes] + [False] * 64)
        self._refund_rule = rules.refund_rule
        self._window = rules.refund_window_days
        emails = any(r.group.channel == "email" for r in self.senders)
        self._vector = type(self.sampler) in (SimpleSampler, SegmentedSampler) and not emails
        self.days_vector = 0
        self.days_scalar = 0
        self.days_in_order = 0  # days with numpy whose refusals were decided by one pass in order
        self.days_exact_order = 0  # days whose ties needed the event-queue replay to order

    def _capacity(self) -> int:
        """How many messages the run can send at most: every planned attempt."""
        total = 0
        for g in self._groups:
            if not g.target:
                continue
            for day in range(self.horizon):
                if self._weekdays[day] in g.weekdays:
                    total += g.target * int((g.activation <= day).sum())
        return total

    # -- the day ----------------------------------------------------------------------------------------

    def _days(self) -> Generator[simpy.Event, Any, None]:
        for day in range(self.horizon):
            if day:
                yield _urgent(self.env, 1.0)
            self._clock(day)
            plan = self._plan(day)
            if self._vector and self._vector_day(day, plan):
                self.days_vector += 1
            else:
                self._scalar_day(day, plan)
                self.days_scalar += 1
            self._drain(final=False)

    def _drain(self, final: bool) -> None:
        """Hand the rows logged so far to the sink (or only count them) once there are enough of them."""
        if self._keep:
            return
        log = self._log
        if final or log.buffered + len(log.pending["sent_at"]) >= self._chunk_rows:
            cols = log.drain()
            if cols is not None and self._sink is not None:
                self._sink.messages(cols, {"channel": CHANNELS, "cost": COSTS, "outcome": tuple(self._outcomes)})
        h = self.horizon
        for i, label in enumerate(self.accounts):
            ledger = self._ledgers[i]
            if not final and len(ledger.columns) < self._chunk_rows:
                continue
            rows = ledger.columns.drain()
            if not len(rows["time"]):
                continue
            day = np.clip(np.floor(rows["time"]), 0, h - 1).astype(np.int64)
            index = rows["kind"].astype(np.int64) * h + day
            moved = np.bincount(index, weights=rows["amount"], minlength=len(MOVES) * h)
            self._credit_days[i][:, :h] += np.rint(moved).astype(np.int64).reshape(len(MOVES), h)
            if self._sink is not None:
                self._sink.credits(label, rows)

    def _apply_policy_responses(self, day: int) -> None:
        for seats, sent_days in self._responded.pop(day, ()):
            np.add.at(self._pol_resp, (seats, sent_days), 1)

    def _clock(self, day: int) -> None:
        """Midnight, as the reference's daily clock: close yesterday, expire and grant, run the policy check."""
        if day:
            self._apply_policy_responses(day - 1)
        self._close_day(day)
        for label, account in self.accounts.items():
            if day in self._grant_days[label]:
                account.grant(float(day))
        rows = self._seated_rows
        if not len(rows):
            return
        rules = self.rules
        sent_w, resp_w = self._window_sums(day)
        # seats that may be judged low (a superset: the rule's own `evaluate` decides), or not in good standing
        maybe_low = (sent_w >= rules.policy_min_sent) & (resp_w <= rules.policy_threshold * sent_w + 1)
        pstate = self._pstate
        need = maybe_low | (pstate[rows] != _OK)
        for seat in rows[need].tolist():
            pstate[seat] = POLICY_CODES[self._policies[seat].evaluate(day)]
        self.policy_state[self._seated, day] = pstate[rows]

    def _window_sums(self, day: int) -> tuple[np.ndarray, np.ndarray]:
        lo = max(0, day - self.rules.policy_window_days)
        rows = self._seated_rows
        return self._pol_sent[rows, lo:day].sum(axis=1), self._pol_resp[rows, lo:day].sum(axis=1)

    def _close_day(self, day: int) -> None:
        for label, account in self.accounts.items():
            account.ledger.expire_due(float(day))
            if day:
                self.balance[label][day - 1] = account.ledger.balance
        if day and len(self._seated_rows):
            sent_w, resp_w = self._window_sums(day)
            with np.errstate(invalid="ignore", divide="ignore"):
                rate = np.where(sent_w > 0, resp_w / np.maximum(sent_w, 1), np.nan)
            self.trailing_rate[self._seated, day - 1] = rate

    def _plan(self, day: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """The day's send attempts in the reference's processing order: times, senders, keys, first index."""
        weekday = self._weekdays[day]
        times: list[np.ndarray] = []
        who: list[np.ndarray] = []
        ks: list[np.ndarray] = []
        for g in self._groups:
            if not g.target or weekday not in g.weekdays:
                continue
            members = g.members[g.activation <= day]
            m = len(members)
            if not m:
                continue
            first = day + g.start / 24 + g.step / 2
            target = first + np.arange(g.target) * g.step
            prev = self._last_t[members]
            block = np.empty((m, g.target))
            block[:, 0] = prev + (target[0] - prev)
            if day >= 1:
                # within a day, now and the next target are within a factor 2: now + (target - now) == target
                block[:, 1:] = target[1:]
            else:
                for j in range(1, g.target):
                    now = block[:, j - 1]
                    block[:, j] = now + (target[j] - now)
            times.append(block.ravel())
            who.append(np.repeat(members, g.target))
            ks.append(np.tile(np.arange(g.target, dtype=np.int64), m))
        base = self._next_attempt
        if not times:
            empty = np.empty(0, dtype=np.int64)
            return np.empty(0), empty, empty, base
        t = np.concatenate(times)
        s = np.concatenate(who)
        k = np.concatenate(ks)
        n = len(t)
        key0 = self._last_key[s]
        order = np.lexsort((key0, t))
        pos = np.empty(n, dtype=np.int64)
        pos[order] = np.arange(n)
        flat = np.arange(n)
        pred = np.where(k > 0, 4 * (base + pos[np.maximum(flat - 1, 0)]) + _KEY_NEXT, key0)
        ts, keys = t[order], pred[order]
        ties = ts[1:] == ts[:-1]
        if ties.any() and (keys[1:][ties] <= keys[:-1][ties]).any():
            order, keys = self._exact_order(t, s, k, key0, base)
            self.days_exact_order += 1
            pos[order] = np.arange(n)
        last = np.flatnonzero(np.append(k[1:] == 0, True))
        self._last_t[s[last]] = t[last]
        self._last_key[s[last]] = 4 * (base + pos[last]) + _KEY_NEXT
        self._next_attempt = base + n
        return t[order], s[order], keys, base

    @staticmethod
    def _exact_order(
        t: np.ndarray, s: np.ndarray, k: np.ndarray, key0: np.ndarray, base: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """The processing order by simulating the reference's event queue over the day's attempts."""
        tl, kl = t.tolist(), k.tolist()
        heap = [(tl[i], int(key0[i]), i) for i in np.flatnonzero(k == 0).tolist()]
        heapq.heapify(heap)
        order: list[int] = []
        keys: list[int] = []
        n = len(tl)
        while heap:
            _, key, i = heapq.heappop(heap)
            a = base + len(order)
            order.append(i)
            keys.append(key)
            if i + 1 < n and kl[i + 1] == kl[i] + 1 and s[i + 1] == s[i]:
                heapq.heappush(heap, (tl[i + 1], 4 * a + _KEY_NEXT, i + 1))
        return np.asarray(order, dtype=np.int64), np.asarray(keys, dtype=np.int64)

    def _due_refunds(self, day: int, pop: bool) -> tuple[np.ndarray, ...]:
        parts = self._refunds.pop(day, None) if pop else self._refunds.get(day)
        if not parts:
            return _NO_ITEMS
        cols = tuple(np.concatenate(c) for c in zip(*parts, strict=True))
        order = np.lexsort((cols[1], cols[0]))
        return tuple(c[order] for c in cols)

    # -- a day with numpy, and one lean pass in order when a rule may refuse sends ------------------------

    def _vector_day(self, day: int, plan: tuple[np.ndarray, np.ndarray, np.ndarray, int]) -> bool:
        """The day with numpy when it can be done exactly: False, having changed nothing, when not (a batch
        expires today). When no rule can refuse a send today every attempt is sent; otherwise one pass over
        the attempts in order (`_decide`) says which are sent and why not, and moves the credits."""
        t_all, s_all, key_all, base = plan
        n_all = len(t_all)
        rules = self.rules
        pop = self.population
        end = float(day + 1)
        if not all(ledger.quiet_until(end) for ledger in self._ledgers):
            return False
        seat_all = self._seat_of[s_all]
        acct_all = self._seat_account[seat_all]
        window = pop.order[self._taken : self._taken + min(n_all, pop.size - self._taken)]
        no = np.zeros(len(window), dtype=bool)
        conn_window = pop.degree[window] == 1 if rules.first_degree_free else no
        open_window = pop.open_profile[window] & ~conn_window if rules.open_profile_free else no
        u = self.sending.peek(2 * n_all)
        bulk_all = u[0::2] < self._bulk_share[s_all]
        personalised_all = u[1::2] < self._pers_share[s_all]
        month = self.calendar.month_start(day)
        old = self._due_refunds(day, pop=False)
        loop = None
        if not self._nothing_refuses(day, seat_all, acct_all, conn_window, open_window, month):
            loop = self._decide(
                day,
                t_all,
                key_all,
                s_all,
                seat_all,
                acct_all,
                bulk_all,
                personalised_all,
                conn_window,
                open_window,
                old,
            )
        if loop is not None:
            self.days_in_order += 1
        if loop is None:
            ok = None
            drawn = n_all
            t, s, skey, seat, account = t_all, s_all, key_all, seat_all, acct_all
            attempt = base + np.arange(n_all, dtype=np.int64)
            bulk, personalised = bulk_all, personalised_all
            n = n_all
            conn, opened = conn_window, open_window
        else:
            ok = loop.ok
            drawn = loop.drawn
            t, s, skey, seat, account = t_all[ok], s_all[ok], key_all[ok], seat_all[ok], acct_all[ok]
            attempt = base + np.flatnonzero(ok)
            bulk, personalised = bulk_all[ok], personalised_all[ok]
            n = len(t)
            conn = conn_window[:n]
            opened = loop.cost == _OPEN
        cand = window[:n]
        inmail = ~conn
        credit = inmail & ~opened
        n_seats = len(self._seat_objs)
        c_inmail = np.bincount(seat[inmail], minlength=n_seats)
        c_open = np.bincount(seat[opened], minlength=n_seats)
        c_credit = c_inmail - c_open

        # The lifecycle of each message, as the reference's events would play it out before the horizon.
        horizon = float(self.horizon)
        read_at, when, outcome, follow_up = self._lifecycles(cand, t, personalised, s, day)
        te_read = t + (read_at - t)
        logged_read = np.where((read_at < horizon) & (te_read < horizon), read_at, np.nan)
        with np.errstate(invalid="ignore"):
            te_resp = t + (when - t)
        answered = (when < horizon) & (te_resp < horizon)
        counts = self._counts_code[outcome] & answered
        msg = self._n_msgs + np.arange(n, dtype=np.int64)
        if self._refund_rule is RefundRule.NO_RESPONSE:
            check = t + self._window
            te_check = t + (check - t)
            refund = credit & (check < horizon) & (te_check < horizon)
            refund &= ~(counts & (te_resp <= te_check))
            r_time = te_check[refund]
            r_key = 4 * attempt[refund] + _KEY_CHECK
        else:
            refund = credit & counts & (te_resp - t <= self._window)
            r_time = te_resp[refund]
            r_key = 4 * attempt[refund] + _KEY_RESPONSE
        refunded_at = np.full(n, np.nan)
        refunded_at[refund] = r_time
        new_items = (r_time, r_key, msg[refund], seat[refund], account[refund])
        due_today = r_time < end

        # Commit: nothing below can refuse the day any more.
        self.sending.consume(2 * drawn)
        pop.contacted[cand] = True
        self._taken += n
        pop._cursor["inmail"] = self._taken
        self._log.write(
            {
                "seat": seat,
                "sender": s,
                "candidate": cand,
                "channel": 0,
                "cost": np.where(conn, _CONN, np.where(opened, _OPEN, _CREDIT)),
                "bulk": bulk,
                "personalised": personalised,
                "sent_at": t,
                "read_at": logged_read,
                "outcome": np.where(answered, outcome, 0),
                "responded_at": np.where(answered, te_resp, np.nan),
                "refunded_at": refunded_at,
                "followed_up_at": np.where(follow_up < horizon, follow_up, np.nan),
            },
        )
        self._n_msgs += n
        n_senders = len(self.senders)
        if loop is not None:
            for code, reason in enumerate(_REASONS, start=1):
                refused = loop.reason == code
                if refused.any():
                    self.blocked[reason][:, day] += np.bincount(s_all[refused], minlength=n_senders)
        self.sent[:, day] += np.bincount(s, minlength=n_senders)
        self.inmails_sent[:, day] += np.bincount(s[inmail], minlength=n_senders)
        if answered.any():
            np.add.at(self.responses, (s[answered], te_resp[answered].astype(np.int64)), 1)
        policy_resp = counts & inmail
        if policy_resp.any():
            _split_by_day(
                te_resp[policy_resp].astype(np.int64),
                (seat[policy_resp], t[policy_resp].astype(np.int64)),
                self._responded,
            )
        self._pol_sent[:, day] += c_inmail
        for sid in np.flatnonzero(c_inmail).tolist():
            seat_obj = self._seat_objs[sid]
            assert seat_obj is not None
            c = int(c_inmail[sid])
            lim = seat_obj.limits
            if lim.day != day:
                lim.day, lim.sent_today = day, 0
            lim.sent_today += c
            if lim.sent_today > lim.max_sent_in_a_day:
                lim.max_sent_in_a_day = lim.sent_today
            if lim.in_first_week(day):
                lim.sent_first_week += c
            if c_credit[sid]:
                seat_obj.credits_this_period += int(c_credit[sid])
            if loop is None and c_open[sid]:
                if seat_obj.open_profile_month != month:
                    seat_obj.open_profile_month, seat_obj.open_profile_used = month, 0
                seat_obj.open_profile_used += int(c_open[sid])
        n_accounts = len(self._ledgers)
        free = np.bincount(account[conn | opened], minlength=n_accounts)
        sent_inmails = np.bincount(account[inmail], minlength=n_accounts)
        for i, acc in enumerate(self._account_list):
            acc.free_sent += int(free[i])
            acc.inmails_sent += int(sent_inmails[i])

        # Credits going back later join the queue of their day; today's credits move now, in (time, key) order.
        later = ~due_today
        _split_by_day(r_time[later].astype(np.int64), tuple(c[later] for c in new_items), self._refunds)
        self._refunds.pop(day, None)
        if loop is not None:
            if loop.same_day != int(due_today.sum()):
                raise InvariantError(f"day {day}: the pass in order and the batch disagree on same-day refunds")
            for sid, used in loop.open_used.items():
                seat_obj = self._seat_objs[sid]
                assert seat_obj is not None
                seat_obj.open_profile_month, seat_obj.open_profile_used = month, used
            for sid, count in loop.one_to_one.items():
                policy = self._policies[sid]
                policy._one_to_one_day, policy._one_to_one_today = day, count
            for i, ledger in enumerate(self._ledgers):
                ledger.apply_pass(loop.ledgers[i])
            return True
        n_spend = int(credit.sum())
        rt = np.concatenate((t[credit], old[0], r_time[due_today]))
        if len(rt):
            rk = np.concatenate((skey[credit], old[1], r_key[due_today]))
            rmsg = np.concatenate((msg[credit], old[2], new_items[2][due_today]))
            rseat = np.concatenate((seat[credit], old[3], new_items[3][due_today]))
            is_refund = np.ones(len(rt), dtype=bool)
            is_refund[:n_spend] = False
            order = np.lexsort((rk, rt))
            if n_accounts == 1:
                self._ledgers[0].bulk(rt[order], is_refund[order], rseat[order], rmsg[order])
            else:
                racct = np.concatenate((account[credit], old[4], new_items[4][due_today]))[order]
                for i, ledger in enumerate(self._ledgers):
                    mine = order[racct == i]
                    ledger.bulk(rt[mine], is_refund[mine], rseat[mine], rmsg[mine])
        return True

    def _lifecycles(
        self, cand: np.ndarray, t: np.ndarray, personalised: np.ndarray, sender: np.ndarray, day: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """What the sampler's `sample` says of each InMail, for a whole day at once and to the last bit:
        read time, response time (inf: none), outcome code (1 accepted, 2 declined; where a response
        comes) and follow-up time (inf: none). Mirrors `SimpleSampler.sample` and `SegmentedSampler.sample`
        (tests/test_engines.py checks both against their `sample`)."""
        sampler = self.sampler
        if isinstance(sampler, SimpleSampler):
            read_at = t + sampler.read_delay[cand]
            responds = sampler.responds_inmail[cand]
            when = np.where(responds, read_at + sampler.reply_delay[cand], np.inf)
            outcome = np.where(sampler.accepts[cand], 1, 2)
            return read_at, when, outcome, np.full(len(t), np.inf)
        assert isinstance(sampler, SegmentedSampler)
        return _segmented_lifecycles(sampler, self._groups, self._group_of[sender], cand, t, personalised, day,
                                     self._weekdays[day])  # fmt: skip

    def _nothing_refuses(
        self,
        day: int,
        seat: np.ndarray,
        account: np.ndarray,
        conn_window: np.ndarray,
        open_window: np.ndarray,
        month: int,
    ) -> bool:
        """True when every attempt of the day will be sent: a candidate for each, no restricted seat, no
        limit reached, and credits enough for every attempt (refunds only add)."""
        n = len(seat)
        if len(conn_window) < n:
            return False
        if n and (self._pstate[seat] == _RESTRICTED).any():
            return False
        rules = self.rules
        n_seats = len(self._seat_objs)
        attempts = np.bincount(seat, minlength=n_seats)
        if rules.daily_limit is not None and n and attempts.max() > rules.daily_limit:
            return False
        free_open = np.bincount(seat[open_window], minlength=n_seats) if open_window.any() else None
        for sid in np.flatnonzero(attempts).tolist():
            seat_obj = self._seat_objs[sid]
            assert seat_obj is not None
            lim = seat_obj.limits
            week = lim.first_week_limit
            if week is not None and lim.in_first_week(day) and lim.sent_first_week + attempts[sid] > week:
                return False
            allowance = rules.open_profile_monthly_allowance
            if free_open is not None and allowance is not None and free_open[sid]:
                used = seat_obj.open_profile_used if seat_obj.open_profile_month == month else 0
                if used + free_open[sid] > allowance:
                    return False
            limit = rules.seat_monthly_limit
            if limit is not None and seat_obj.credits_this_period + attempts[sid] > limit:
                return False
        spends = np.bincount(account, minlength=len(self._ledgers))
        return all(spends[i] <= ledger.balance for i, ledger in enumerate(self._ledgers))

    def _decide(
        self,
        day: int,
        t: np.ndarray,
        key: np.ndarray,
        sender: np.ndarray,
        seat: np.ndarray,
        account: np.ndarray,
        bulk: np.ndarray,
        personalised: np.ndarray,
        conn_window: np.ndarray,
        open_window: np.ndarray,
        old: tuple[np.ndarray, ...],
    ) -> _Pass:
        """One pass over the day's attempts in order, asking what `Account.try_send` asks (the rules'
        order: 1st-degree connection, policy, daily limit, first week, Open Profile allowance, seat credit
        limit, credits), with the credits due back applied before each attempt in (time, key) order. A
        refused attempt takes no candidate, so the k-th sent message goes to the k-th candidate in line."""
        rules = self.rules
        sampler = self.sampler
        n = len(t)
        tl, kl, sl, al, bl = t.tolist(), key.tolist(), seat.tolist(), account.tolist(), bulk.tolist()
        conn, opn = conn_window.tolist(), open_window.tolist()
        n_cand = len(conn)
        seat_objs = self._seat_objs
        n_seats = len(seat_objs)
        restricted = (self._pstate[:n_seats] == _RESTRICTED).tolist()
        allowance_121 = rules.policy_restricted_daily_allowance
        daily = n + 1 if rules.daily_limit is None else rules.daily_limit
        room = [n + 1] * n_seats  # first-week InMails a seat may still send (n + 1: no limit today)
        week = rules.first_week_limit
        if week is not None:
            for sid in set(sl):
                seat_obj = seat_objs[sid]
                assert seat_obj is not None
                if seat_obj.limits.in_first_week(day):
                    room[sid] = week - seat_obj.limits.sent_first_week
        month = self.calendar.month_start(day)
        op_allowance = rules.open_profile_monthly_allowance
        seat_limit = rules.seat_monthly_limit
        passes = [_LedgerPass(ledger.balance) for ledger in self._ledgers]
        balance = [ledger.balance for ledger in self._ledgers]
        caps = [ledger.cap for ledger in self._ledgers]

        def give_back(when: float, inmail: int, owner: int, a: int) -> None:
            """A credit coming back to account `a`'s pass: a new batch, or forfeited at the cap."""
            p = passes[a]
            p.add(when, _REFUND, owner, inmail)
            p.refunded.append(inmail)
            cap = caps[a]
            if cap is not None and balance[a] >= cap:
                p.add(when, _FORFEIT, owner, inmail)
                p.forfeits += 1
            else:
                balance[a] += 1
                p.new_batches.append(when)
        today = [0] * n_seats
        one_to_one = [0] * n_seats
        open_used: dict[int, int] = {}
        credits: dict[int, int] = {}
        # credits due back today: the queue from earlier days, and a heap for those scheduled today
        items = list(zip(*(c.tolist() for c in old), strict=True)) if len(old[0]) else []
        n_items = len(items)
        ptr = 0
        next_time = items[0][0] if items else math.inf
        heap: list[tuple[float, int, int, int, int]] = []
        horizon = float(self.horizon)
        end = float(day + 1)
        same_day = self._refund_rule is RefundRule.RESPONSE or self._window < 1
        simple = isinstance(sampler, SimpleSampler)
        cand = self.population.order[self._taken : self._taken + n_cand]
        if same_day and isinstance(sampler, SimpleSampler):
            read_delay = sampler.read_delay[cand].tolist()
            reply_delay = sampler.reply_delay[cand].tolist()
            responds = sampler.responds_inmail[cand].tolist()
            outcome = np.where(sampler.accepts[cand], 1, 2)
            counted = self._counts_code[outcome].tolist()
        weekday = self._weekdays[day]
        msg0 = self._n_msgs
        base = self._next_attempt - n
        ok = bytearray(n)
        reason = bytearray(n)
        costs = bytearray(n_cand)
        sent = 0
        drawn = n
        same = 0
        for i in range(n):
            ti = tl[i]
            if next_time <= ti or heap:  # credits due before this attempt go back first
                ki = kl[i]
                while True:
                    if heap and (ptr >= n_items or heap[0] < items[ptr]):
                        nxt = heap[0]
                        if nxt[0] > ti or (nxt[0] == ti and nxt[1] >= ki):
                            break
                        heapq.heappop(heap)
                    elif ptr < n_items:
                        nxt = items[ptr]
                        if nxt[0] > ti or (nxt[0] == ti and nxt[1] >= ki):
                            break
                        ptr += 1
                        next_time = items[ptr][0] if ptr < n_items else math.inf
                    else:
                        break
                    when, _, inmail, owner, a = nxt
                    give_back(when, inmail, owner, a)
            if sent == n_cand:
                if drawn == n:
                    drawn = i
                reason[i] = _R_NO_CANDIDATES
                continue
            sid = sl[i]
            if conn[sent]:
                cost = _CONN
            else:
                if restricted[sid] and (bl[i] or one_to_one[sid] >= allowance_121):
                    reason[i] = _R_POLICY
                    continue
                if today[sid] >= daily:
                    reason[i] = _R_DAILY
                    continue
                if room[sid] <= 0:
                    reason[i] = _R_FIRST_WEEK
                    continue
                cost = _CREDIT
                if opn[sent]:
                    used = open_used.get(sid)
                    if used is None:
                        seat_obj = seat_objs[sid]
                        assert seat_obj is not None
                        used = seat_obj.open_profile_used if seat_obj.open_profile_month == month else 0
                        open_used[sid] = used
                    if op_allowance is None or used < op_allowance:
                        cost = _OPEN
                if cost == _CREDIT:
                    if seat_limit is not None:
                        spent_here = credits.get(sid)
                        if spent_here is None:
                            seat_obj = seat_objs[sid]
                            assert seat_obj is not None
                            spent_here = credits[sid] = seat_obj.credits_this_period
                        if spent_here >= seat_limit:
                            reason[i] = _R_SEAT_LIMIT
                            continue
                    a = al[i]
                    if balance[a] <= 0:
                        reason[i] = _R_NO_CREDIT
                        continue
                    if seat_limit is not None:
                        credits[sid] += 1
                    balance[a] -= 1
                    p = passes[a]
                    if p.old_left:
                        p.old_left -= 1
                        p.spent_old += 1
                    else:
                        p.spent_new += 1
                    inmail = msg0 + sent
                    p.add(ti, _SPEND, sid, inmail)
                    p.spent.append(inmail)
                    if same_day:
                        if simple:
                            answers = responds[sent] and counted[sent]
                            when = ti + read_delay[sent] + reply_delay[sent] if answers else math.inf
                        else:
                            r = self.senders[int(sender[i])]
                            message = r.message(ti, weekday, bool(personalised[i]), bl[i])
                            life = sampler.sample(int(cand[sent]), message)
                            answers = life.outcome != NO_RESPONSE and rules.counts_as_response(life.outcome)
                            when = life.responded_at
                        item = self._same_day_refund(ti, base + i, inmail, sid, a, when, answers, horizon, end)
                        if item is not None:
                            heapq.heappush(heap, item)
                            same += 1
                else:
                    open_used[sid] += 1
                today[sid] += 1
                room[sid] -= 1
                if restricted[sid] and not bl[i]:
                    one_to_one[sid] += 1
            ok[i] = 1
            costs[sent] = cost
            sent += 1
        for when, _, inmail, owner, a in sorted(items[ptr:] + heap):
            give_back(when, inmail, owner, a)
        for a, p in enumerate(passes):
            p.balance = balance[a]
        return _Pass(
            np.frombuffer(ok, dtype=np.uint8).astype(bool),
            np.frombuffer(reason, dtype=np.int8).copy(),
            np.frombuffer(costs, dtype=np.int8)[:sent].copy(),
            drawn,
            passes,
            open_used,
            {sid: c for sid, c in enumerate(one_to_one) if c},
            same,
        )

    def _same_day_refund(
        self,
        t: float,
        attempt: int,
        inmail: int,
        sid: int,
        a: int,
        when: float,
        responds: bool,
        horizon: float,
        end: float,
    ) -> tuple[float, int, int, int, int] | None:
        """The credit that a message sent at `t`, answered (in a way that counts) at `when` when `responds`,
        gets back before the day ends, if any: as the day's lifecycles computed with numpy say."""
        te = t + (when - t)
        answered = responds and when < horizon and te < horizon
        if self._refund_rule is RefundRule.RESPONSE:
            if answered and te - t <= self._window and te < end:
                return (te, 4 * attempt + _KEY_RESPONSE, inmail, sid, a)
            return None
        check = t + self._window
        te_check = t + (check - t)
        if check < horizon and te_check < horizon and te_check < end and not (answered and te <= te_check):
            return (te_check, 4 * attempt + _KEY_CHECK, inmail, sid, a)
        return None

    # -- any day, one attempt at a time -------------------------------------------------------------------

    def _scalar_day(self, day: int, plan: tuple[np.ndarray, np.ndarray, np.ndarray, int]) -> None:
        t_arr, s_arr, key_arr, base = plan
        old = self._due_refunds(day, pop=True)
        items: list[tuple[float, int, int, int, int]] = list(
            zip(old[0].tolist(), old[1].tolist(), old[2].tolist(), old[3].tolist(), old[4].tolist(), strict=True)
        )
        # `items` is sorted; refunds that fall due today from today's sends join a heap
        today: list[tuple[float, int, int, int, int]] = []
        later: list[tuple[float, int, int, int, int]] = []
        ptr = 0
        n_items = len(items)
        ledgers = self._ledgers
        end = float(day + 1)
        times, senders, keys = t_arr.tolist(), s_arr.tolist(), key_arr.tolist()
        for i in range(len(times)):
            t, key = times[i], keys[i]
            while True:  # credits due before this attempt go back first, in (time, key) order
                nxt = items[ptr] if ptr < n_items else None
                from_heap = bool(today) and (nxt is None or today[0] < nxt)
                if from_heap:
                    nxt = today[0]
                if nxt is None or (nxt[0], nxt[1]) >= (t, key):
                    break
                if from_heap:
                    heapq.heappop(today)
                else:
                    ptr += 1
                ledgers[nxt[4]].refund(nxt[0], nxt[2])
            item = self._attempt(day, t, senders[i], base + i)
            if item is not None:
                if item[0] < end:
                    heapq.heappush(today, item)
                else:
                    later.append(item)
        rest = sorted(items[ptr:] + today)
        for item in rest:
            ledgers[item[4]].refund(item[0], item[2])
        if later:
            cols = tuple(np.asarray(c) for c in zip(*later, strict=True))
            _split_by_day(cols[0].astype(np.int64), cols, self._refunds)
        self._log.flush()

    def _attempt(self, day: int, t: float, s: int, attempt: int) -> tuple[float, int, int, int, int] | None:
        """One send attempt as the reference makes it; returns the credit-back it schedules, if any."""
        r = self.senders[s]
        channel = r.group.channel
        pop = self.population
        candidate = pop.peek(channel)
        if candidate is None:
            self.blocked[NO_CANDIDATES][s, day] += 1
            return None
        u0, u1 = self.sending.take2()
        bulk = u0 < r.group.bulk_share
        personalised = u1 < r.group.personalised_share
        msg = self._n_msgs
        account, seat = r.account, r.seat
        if account is None or seat is None:
            cost = "none"
        else:
            decision = account.try_send(
                t,
                seat,
                msg,
                first_degree=bool(pop.degree[candidate] == 1),
                open_profile=bool(pop.open_profile[candidate]),
                bulk=bulk,
            )
            if decision.reason is not None:
                self.blocked[decision.reason.value][s, day] += 1
                return None
            assert decision.cost is not None
            cost = decision.cost.value
            if decision.cost is not Cost.CONNECTION:
                self.inmails_sent[s, day] += 1
        pop.take(candidate)
        self._taken += 1
        self.sent[s, day] += 1
        self._n_msgs += 1
        life = self.sampler.sample(candidate, r.message(t, self._weekdays[day], personalised, bulk))
        horizon = self.horizon
        te_read = t + (life.read_at - t)
        read_at = life.read_at if life.read_at < horizon and te_read < horizon else math.nan
        outcome, responded_at = NO_RESPONSE, math.nan
        item: tuple[float, int, int, int, int] | None = None
        paid = cost == Cost.CREDIT.value
        rules = self.rules
        if life.outcome != NO_RESPONSE and life.responded_at < horizon:
            te = t + (life.responded_at - t)
            if te < horizon:
                outcome, responded_at = life.outcome, te
                self.responses[s, int(te)] += 1
                counted = account is not None and seat is not None and cost != Cost.CONNECTION.value
                if counted and seat is not None and rules.counts_as_response(outcome):
                    self._responded.setdefault(int(te), []).append(([seat], [self.calendar.day(t)]))
                    if paid and self._refund_rule is RefundRule.RESPONSE and te - t <= self._window:
                        item = (te, 4 * attempt + _KEY_RESPONSE, msg, seat, int(self._seat_account[seat]))
        if paid and account is not None and seat is not None:
            check = account.refund_check_at(t)
            if check is not None and check < horizon:
                te_check = t + (check - t)
                responded = outcome != NO_RESPONSE and rules.counts_as_response(outcome) and responded_at <= te_check
                if te_check < horizon and not responded:
                    item = (te_check, 4 * attempt + _KEY_CHECK, msg, seat, int(self._seat_account[seat]))
        code = self._outcome_code.get(outcome)
        if code is None:
            code = self._outcome_code[outcome] = len(self._outcomes)
            self._outcomes.append(outcome)
        p = self._log.pending
        p["seat"].append(-1 if seat is None else seat)
        p["sender"].append(s)
        p["candidate"].append(candidate)
        p["channel"].append(CHANNELS.index(channel))
        p["cost"].append(COSTS.index(cost))
        p["bulk"].append(bulk)
        p["personalised"].append(personalised)
        p["sent_at"].append(t)
        p["read_at"].append(read_at)
        p["outcome"].append(code)
        p["responded_at"].append(responded_at)
        p["refunded_at"].append(math.nan if item is None else item[0])
        p["followed_up_at"].append(life.follow_up_at if life.follow_up_at < horizon else math.nan)
        return item

    # -- running --------------------------------------------------------------------------------------

    def run(self) -> ReplicationOutput:
        enabled = gc.isenabled()
        gc.disable()
        try:
            env = self.env
            env.process(self._days())
            env.run(until=self.horizon)
            self._apply_policy_responses(self.horizon - 1)
            self._close_day(self.horizon)
            self._drain(final=True)
            messages = self._messages() if self._keep else MessageLog()
            for policy in self._policies.values():
                policy.sync()
            self.messages = messages
            self.check_invariants()
            return ReplicationOutput(
                replication=self.replication,
                messages=messages,
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
                counts=self._message_counts(),
                credit_days=None
                if self._keep
                else {label: self._credit_days[i][:, : self.horizon] for i, label in enumerate(self.accounts)},
            )
        finally:
            if enabled:
                gc.enable()

    def _messages(self) -> MessageLog:
        """The message log with the reference's columns: numbers as numpy arrays, labels (channel, cost,
        outcome) as pandas Categoricals (`labelled`)."""
        labels = {"channel": CHANNELS, "cost": COSTS, "outcome": tuple(self._outcomes)}
        return MessageLog(**labelled(self._log.finish(), labels))

    def _message_counts(self) -> MessageCounts:
        codes, follow_ups = self._log.counts()
        counts = MessageCounts(follow_ups=follow_ups)
        for (cost, outcome), n in sorted(codes.items()):
            counts.add(COSTS[cost], self._outcomes[outcome], n)
        return counts

    def check_invariants(self) -> None:
        """Fail loudly, with what reproduces it, when credits leak or a limit is exceeded."""
        codes, _ = self._log.counts()
        paid = sum(n for (cost, _), n in codes.items() if cost == _CREDIT)
        refunds = sum(a.ledger.totals[Movement.REFUND] for a in self.accounts.values())
        twice = [] if refunds == int(self._registry.refunded.sum()) else ["a credit was refunded more than once"]
        raise_broken_invariants(self, paid, twice)
