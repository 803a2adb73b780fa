"""The credit ledger: dated batches, spent oldest first, with caps, expiry, refunds and a movement log."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

import numpy as np
import numpy.typing as npt


class Movement(StrEnum):
    GRANT = "grant"
    SPEND = "spend"
    REFUND = "refund"
    EXPIRE = "expire"
    FORFEIT = "forfeit"


class LedgerRow(NamedTuple):
    """One movement of credits, as shown in a credits log."""

    time: float
    kind: Movement
    amount: int
    seat: int | None
    inmail: int | None


@dataclass
class Batch:
    """Credits that arrived together and share an expiry."""

    created: float
    remaining: int
    expires_at: float | None


def cap_room(cap: int | None, balance: int, amount: int) -> int:
    """How many of `amount` arriving credits a pool holding `balance` keeps under its `cap` (the rest is
    forfeited); the cap bounds the balance whenever credits arrive."""
    return amount if cap is None else max(0, min(amount, cap - balance))


def capped_walk(balance: int, arriving: npt.NDArray[np.bool_], cap: int | None) -> tuple[npt.NDArray[np.bool_], int]:
    """`cap_room` for a run of single-credit movements in order: `arriving` True where a credit comes in,
    False where one is spent (the caller made sure none finds the pool empty). Which arrivals the cap
    forfeits, and the balance after the run: a random walk reflected at the cap (Skorokhod)."""
    walk = balance + np.cumsum(np.where(arriving, 1, -1))
    if cap is None or not arriving.any():
        return np.zeros(len(arriving), dtype=bool), int(walk[-1]) if len(walk) else balance
    over = np.maximum.accumulate(np.maximum(walk - cap, 0))
    forfeit: npt.NDArray[np.bool_] = np.diff(over, prepend=0) > 0
    return forfeit, int(walk[-1] - over[-1])


class LedgerError(RuntimeError):
    """An operation the rules forbid (a double refund, a refund of an unspent credit, a broken identity)."""


class CreditLedger:
    """One pool of credits. `cap` bounds the balance whenever credits arrive (the excess is forfeited);
    `batch_expiry_days` makes each batch expire that long after it arrives."""

    merges_alike = False
    """Keep credits that never expire in one batch (they are alike): a saving for ledgers that hold many."""

    def __init__(self, cap: int | None = None, batch_expiry_days: float | None = None) -> None:
        self._setup(cap, batch_expiry_days)
        self.rows: list[LedgerRow] = []
        self._spent_by: dict[int, int] = {}
        self._refunded: set[int] = set()

    def _setup(self, cap: int | None, batch_expiry_days: float | None) -> None:
        """The pool's rules and its state; a subclass that keeps rows and spends its own way starts here."""
        self.cap = cap
        self.batch_expiry_days = batch_expiry_days
        self.batches: deque[Batch] = deque()
        self.totals: dict[Movement, int] = {m: 0 for m in Movement}
        self.balance = 0
        self.opening = 0  # credits held when the ledger opened on a state (`open_with`)
        self._clock = float("-inf")

    def open_with(self, batches: list[Batch]) -> None:
        """Start from credits already held (a forecast's state), oldest batch first: they count as the opening
        balance in the conservation identity. Only before any movement."""
        if self.totals[Movement.GRANT] or self.batches or self._clock != float("-inf"):
            raise LedgerError("a ledger opens on a state before any movement")
        self.batches.extend(batches)
        self.opening = self.balance = sum(b.remaining for b in batches)
        if self.cap is not None and self.balance > self.cap:
            raise LedgerError(f"opening balance {self.balance} above cap {self.cap}")

    def open_on(self, held: list[tuple[float, int]]) -> None:
        """`open_with` batches given as (created, credits), oldest first: each expires by the pool's rule."""
        self.open_with([self._batch(c, n) for c, n in held])

    def empty_like(self) -> CreditLedger:
        """A new, empty pool under the same rules (cap and batch expiry), to replay movements into."""
        return CreditLedger(self.cap, self.batch_expiry_days)

    def carry_spent(self, inmail: int, seat: int) -> None:
        """Note that `inmail`, sent by `seat` before the ledger opened, spent a credit: it may come back."""
        if self._spender(inmail) is not None:
            raise LedgerError(f"InMail {inmail} already spent a credit")
        self._mark_spent(inmail, seat)

    def _record(self, t: float, kind: Movement, amount: int, seat: int | None, inmail: int | None) -> None:
        self.rows.append(LedgerRow(t, kind, amount, seat, inmail))
        self.totals[kind] += amount

    def _advance(self, t: float) -> None:
        if t < self._clock:
            raise LedgerError(f"ledger time went backwards: {t} < {self._clock}")
        self._clock = t
        self.expire_due(t)

    def expire_due(self, t: float) -> int:
        """Expire every batch whose expiry is at or before `t`, recorded at its own expiry time."""
        expired = 0
        if self.batch_expiry_days is None:
            return 0
        while self.batches and self.batches[0].expires_at is not None and self.batches[0].expires_at <= t:
            batch = self.batches.popleft()
            if batch.remaining:
                assert batch.expires_at is not None
                self._record(batch.expires_at, Movement.EXPIRE, batch.remaining, None, None)
                self.balance -= batch.remaining
                expired += batch.remaining
        return expired

    def _add(self, t: float, amount: int, kind: Movement, seat: int | None, inmail: int | None) -> int:
        self._record(t, kind, amount, seat, inmail)
        room = cap_room(self.cap, self.balance, amount)
        if amount - room:
            self._record(t, Movement.FORFEIT, amount - room, seat, inmail)
        if room:
            self._hold(t, room)
            self.balance += room
        return room

    def _batch(self, t: float, n: int) -> Batch:
        """A batch of `n` credits arriving at `t`, expiring by the pool's rule."""
        expiry = self.batch_expiry_days
        return Batch(t, n, None if expiry is None else t + expiry)

    def _hold(self, t: float, n: int) -> None:
        """Batches for `n` credits arriving at `t` (the balance is the caller's)."""
        if self.batch_expiry_days is None and self.merges_alike and self.batches:
            self.batches[-1].remaining += n
        else:
            self.batches.append(self._batch(t, n))

    def hold_returned(self, times: list[float]) -> None:
        """Batches for credits that came back one at a time at `times` and were kept (the balance is the
        caller's): a bulk form of what `refund` does to the batches."""
        if times and self.batch_expiry_days is None and self.merges_alike:
            self._hold(times[0], len(times))
            return
        self.batches.extend(self._batch(when, 1) for when in times)

    def take_oldest(self, n: int) -> None:
        """Take `n` credits from the batches, oldest first (the caller checked they are held; the balance is
        the caller's): a bulk form of what `spend` does to the batches."""
        batches = self.batches
        while n:
            head = batches[0]
            if head.remaining <= n:
                n -= head.remaining
                head.remaining = 0
                batches.popleft()
            else:
                head.remaining -= n
                n = 0

    def quiet_until(self, t: float) -> bool:
        """True when no batch expires before `t`, and none made from now on could (expiry of a day or more)."""
        if self.batch_expiry_days is None:
            return True
        if self.batch_expiry_days < 1:
            return False
        head = self.batches[0].expires_at if self.batches else None
        return head is None or head >= t

    def grant(self, t: float, amount: int) -> int:
        """Add a monthly grant; returns how much the cap let in."""
        self._advance(t)
        return self._add(t, amount, Movement.GRANT, None, None)

    def spend(self, t: float, seat: int, inmail: int) -> bool:
        """Spend one credit, oldest batch first; False when none is left. A call that raises changes nothing."""
        if self._spender(inmail) is not None:
            raise LedgerError(f"InMail {inmail} already spent a credit")
        self._advance(t)
        if self.balance <= 0:
            return False
        batch = self.batches[0]
        batch.remaining -= 1
        if batch.remaining == 0:
            self.batches.popleft()
        self.balance -= 1
        self._mark_spent(inmail, seat)
        self._record(t, Movement.SPEND, 1, seat, inmail)
        return True

    def refund(self, t: float, inmail: int) -> int:
        """Give the credit of `inmail` back as a new batch subject to the cap; returns credits kept (0 or 1).
        A refund that raises (never spent, already refunded) changes nothing: no expiry, no clock advance."""
        seat = self._spender(inmail)
        if seat is None:
            raise LedgerError(f"InMail {inmail} spent no credit, so it cannot be refunded")
        if self.was_refunded(inmail):
            raise LedgerError(f"InMail {inmail} was already refunded")
        self._advance(t)
        self._mark_refunded(inmail)
        return self._add(t, 1, Movement.REFUND, seat, inmail)

    # Which InMail spent a credit, and which got it back: a subclass may keep these more compactly.

    def _spender(self, inmail: int) -> int | None:
        """The seat whose InMail `inmail` spent a credit, or None when it spent none."""
        return self._spent_by.get(inmail)

    def _mark_spent(self, inmail: int, seat: int) -> None:
        self._spent_by[inmail] = seat

    def _mark_refunded(self, inmail: int) -> None:
        self._refunded.add(inmail)

    def was_refunded(self, inmail: int) -> bool:
        return inmail in self._refunded

    def conservation_gap(self) -> int:
        """opening + granted + refunded - (spent + expired + forfeited + balance): zero when nothing leaked."""
        tot = self.totals
        inflow = self.opening + tot[Movement.GRANT] + tot[Movement.REFUND]
        outflow = tot[Movement.SPEND] + tot[Movement.EXPIRE] + tot[Movement.FORFEIT]
        return inflow - outflow - self.balance

    def check(self) -> None:
        """Raise LedgerError when the conservation identity or the batch bookkeeping is broken."""
        gap = self.conservation_gap()
        if gap:
            raise LedgerError(f"credit conservation broken by {gap}: {dict(self.totals)}, balance {self.balance}")
        held = sum(b.remaining for b in self.batches)
        if held != self.balance or self.balance < 0:
            raise LedgerError(f"batches hold {held} but balance is {self.balance}")
        if self.cap is not None and self.balance > self.cap:
            raise LedgerError(f"balance {self.balance} above cap {self.cap}")
