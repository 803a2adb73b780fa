"""The fast engine's credit ledger: the rules' `CreditLedger` with its movements kept as numpy columns, and
bulk forms of a day's spends and refunds (all at once, or as recorded by a pass in order)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...rules.ledger import CreditLedger, LedgerError, LedgerRow, Movement, capped_walk
from ..types import MOVES
from .storage import ROW_DTYPES, Columns, LedgerRows, SpendRegistry

GRANT, SPEND, REFUND, EXPIRE, FORFEIT = (MOVES.index(m) for m in Movement)


class LedgerPass:
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



class FastLedger(CreditLedger):
    """`CreditLedger` with the same rules, its movements kept as numpy columns (`rows` makes `LedgerRow`s
    on demand), and a bulk operation for a day's spends and refunds. Without batch expiry all credits are
    alike, so arriving credits join one batch instead of one `Batch` object per refund."""

    merges_alike = True

    def __init__(self, cap: int | None, batch_expiry_days: float | None, registry: SpendRegistry) -> None:
        # not the base initialiser: its rows, per-InMail dict and set are replaced by columns and `registry`
        self._setup(cap, batch_expiry_days)
        self._registry = registry
        self.columns = Columns(ROW_DTYPES)
        self._pending = self.columns.pending

    @property
    def rows(self) -> Sequence[LedgerRow]:  # type: ignore[override]  # a read-only view, not the base's list
        """The movements in the order they happened, as `LedgerRow`s made on demand."""
        return LedgerRows(self.columns)

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
        forfeit, end = capped_walk(self.balance, refund, self.cap)
        kind = np.where(refund, REFUND, SPEND).astype(np.int8)
        times, seats, inmails = t, seat, inmail
        n_forfeit = int(forfeit.sum())
        if n_forfeit:
            reps = 1 + forfeit.astype(np.int64)
            kind = np.repeat(kind, reps)
            second = np.zeros(len(kind), dtype=bool)
            second[np.cumsum(reps)[forfeit] - 1] = True
            kind[second] = FORFEIT
            times, seats, inmails = np.repeat(t, reps), np.repeat(seat, reps), np.repeat(inmail, reps)
        self.columns.extend(len(kind), {"time": times, "kind": kind, "amount": 1, "seat": seats, "inmail": inmails})
        n_back = len(backs)
        self.totals[Movement.SPEND] += n_spend
        self.totals[Movement.REFUND] += n_back
        self.totals[Movement.FORFEIT] += n_forfeit
        # Spends only reach credits held at the start (the caller checked the balance), so the batches are:
        # those credits less the spends, oldest first, then one batch per kept refund.
        self.take_oldest(n_spend)
        self.hold_returned(t[refund & ~forfeit].tolist())
        self.balance = end
        self._clock = max(self._clock, float(t[-1]))

    def apply_pass(self, p: LedgerPass) -> None:
        """Record what the pass in order (`in_order.decide`) did: its rows, the spends from credits held
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
            reg.seat[spent] = seats[kinds == SPEND]
        if p.refunded:
            back = np.asarray(p.refunded, dtype=np.int64)
            if (reg.seat[back] < 0).any() or reg.refunded[back].any():
                raise LedgerError("a credit refunded twice or refunded without being spent")
            reg.refunded[back] = True
        self.totals[Movement.SPEND] += len(p.spent)
        self.totals[Movement.REFUND] += len(p.refunded)
        self.totals[Movement.FORFEIT] += p.forfeits
        self.take_oldest(p.spent_old)
        self.hold_returned(p.new_batches[p.spent_new :])
        self.balance = p.balance
        if sum(b.remaining for b in self.batches) != self.balance:
            raise LedgerError("a pass in order left the batches out of step with the balance")
