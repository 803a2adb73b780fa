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
    """What one pass in order did to one account's credits, kept as cheaply as the pass can append it: the
    movements in order (`order`: for a spend, the index of its message among the day's sends; -1 for a credit
    given back), the credits given back (`backs`, their queue items: time, key, message, spender's seat,
    account) and whether the cap let each in (`kept`). `FastLedger.apply_pass` makes the rows with numpy."""

    def __init__(self, balance: int) -> None:
        self.start = balance  # credits held at the start: spent first (oldest batches first)
        self.order: list[int] = []
        self.backs: list[tuple[float, int, int, int, int]] = []
        self.kept: list[bool] = []
        self.balance = balance


def _pass_rows(p: LedgerPass, t: np.ndarray, seat: np.ndarray, msg: np.ndarray) -> dict[str, np.ndarray]:
    """The rows of a pass in order, in the order its movements happened: spends (at their message's time, by
    its seat), credits given back (at their due time, on the spender's seat) each followed by a forfeit of the
    same credit where the cap kept none. `t`, `seat`, `msg`: the day's sends' times, seats and message ids."""
    order = np.asarray(p.order, dtype=np.int64)
    spend = order >= 0
    n = len(order)
    times, seats, inmails = np.empty(n), np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    picked = order[spend]
    times[spend], seats[spend], inmails[spend] = t[picked], seat[picked], msg[picked]
    kinds = np.where(spend, SPEND, REFUND).astype(np.int8)
    if p.backs:
        back = ~spend
        b_time, _, b_msg, b_seat, _ = zip(*p.backs, strict=True)
        times[back], seats[back], inmails[back] = b_time, b_seat, b_msg
        forfeit = np.zeros(n, dtype=bool)
        forfeit[back] = ~np.asarray(p.kept, dtype=bool)
        if forfeit.any():
            reps = 1 + forfeit.astype(np.int64)
            kinds = np.repeat(kinds, reps)
            kinds[np.cumsum(reps)[forfeit] - 1] = FORFEIT
            times, seats, inmails = np.repeat(times, reps), np.repeat(seats, reps), np.repeat(inmails, reps)
    return {"time": times, "kind": kinds, "seat": seats, "inmail": inmails}


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

    def apply_pass(self, p: LedgerPass, t: np.ndarray, seat: np.ndarray, msg: np.ndarray) -> None:
        """Record what the pass in order (`in_order.decide`) did: its rows (`_pass_rows`; `t`, `seat`, `msg`:
        the day's sends' times, seats and message ids), the spends from credits held at the start (oldest
        batches first) and from credits that came back the same day, and the batches of the credits kept."""
        rows = _pass_rows(p, t, seat, msg)
        kinds = rows["kind"]
        if len(kinds):
            self.columns.extend(len(kinds), {**rows, "amount": 1})
            self._clock = max(self._clock, float(rows["time"].max()))
        reg = self._registry
        spends = kinds == SPEND
        spent = rows["inmail"][spends]
        if len(spent):
            if (reg.seat[spent] >= 0).any():
                raise LedgerError("a credit spent twice")
            reg.seat[spent] = rows["seat"][spends]
        refunds = kinds == REFUND
        back = rows["inmail"][refunds]
        if len(back):
            if (reg.seat[back] < 0).any() or reg.refunded[back].any():
                raise LedgerError("a credit refunded twice or refunded without being spent")
            reg.refunded[back] = True
        kept = np.asarray(p.kept, dtype=bool)
        self.totals[Movement.SPEND] += len(spent)
        self.totals[Movement.REFUND] += len(back)
        self.totals[Movement.FORFEIT] += int((~kept).sum())
        spent_old = min(len(spent), p.start)  # spends reach the credits held at the start first
        self.take_oldest(spent_old)
        new_batches = rows["time"][refunds][kept]  # the credits back the cap let in, in order
        self.hold_returned(new_batches[len(spent) - spent_old :].tolist())
        self.balance = p.balance
        if sum(b.remaining for b in self.batches) != self.balance:
            raise LedgerError("a pass in order left the batches out of step with the balance")
