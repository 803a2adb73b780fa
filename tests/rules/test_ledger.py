"""The credit ledger on its own: batches, oldest first, caps, expiry, refunds, rows and the identity."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.rules import CreditLedger, LedgerError, LedgerRow, Movement
from sim.rules.ledger import Batch, cap_room, capped_walk


def totals(ledger: CreditLedger) -> tuple[int, int, int, int, int]:
    """(granted, refunded, spent, expired, forfeited)."""
    t = ledger.totals
    return (t[Movement.GRANT], t[Movement.REFUND], t[Movement.SPEND], t[Movement.EXPIRE], t[Movement.FORFEIT])


def test_credits_spent_oldest_batch_first() -> None:
    ledger = CreditLedger(batch_expiry_days=90)
    ledger.grant(0, 2)
    ledger.grant(30, 3)
    assert ledger.spend(40, seat=1, inmail=1)
    assert ledger.spend(41, seat=1, inmail=2)
    # both credits came from the day-0 batch, which is now gone; the day-30 batch is whole
    assert [(b.created, b.remaining) for b in ledger.batches] == [(30, 3)]
    ledger.expire_due(90)
    assert ledger.totals[Movement.EXPIRE] == 0
    ledger.grant(120, 1)  # the day-30 batch expired at 120, before this grant
    assert ledger.totals[Movement.EXPIRE] == 3
    assert ledger.balance == 1
    ledger.check()


def test_spend_partly_uses_the_oldest_batch() -> None:
    ledger = CreditLedger()
    ledger.grant(0, 2)
    ledger.grant(1, 2)
    assert ledger.spend(2, seat=1, inmail=1)
    assert [(b.created, b.remaining) for b in ledger.batches] == [(0, 1), (1, 2)]
    assert ledger.balance == 3


def test_spend_with_nothing_left_fails_and_records_nothing() -> None:
    ledger = CreditLedger()
    ledger.grant(0, 1)
    assert ledger.spend(1, seat=1, inmail=1)
    assert not ledger.spend(2, seat=1, inmail=2)
    assert ledger.balance == 0
    assert totals(ledger) == (1, 0, 1, 0, 0)
    assert len(ledger.rows) == 2


def test_empty_ledger_spend_fails() -> None:
    ledger = CreditLedger()
    assert not ledger.spend(0, seat=1, inmail=1)
    ledger.check()


def test_same_inmail_cannot_spend_twice() -> None:
    ledger = CreditLedger()
    ledger.grant(0, 5)
    ledger.spend(1, seat=1, inmail=7)
    with pytest.raises(LedgerError, match="already spent"):
        ledger.spend(2, seat=1, inmail=7)
    assert ledger.balance == 4


def test_cap_forfeits_the_excess_of_a_grant() -> None:
    ledger = CreditLedger(cap=15)
    assert [ledger.grant(t, 5) for t in (0, 31, 60, 91)] == [5, 5, 5, 0]
    assert ledger.balance == 15
    assert totals(ledger) == (20, 0, 0, 0, 5)
    assert ledger.rows[-2:] == [
        LedgerRow(91, Movement.GRANT, 5, None, None),
        LedgerRow(91, Movement.FORFEIT, 5, None, None),
    ]
    ledger.check()


def test_cap_lets_in_part_of_a_grant() -> None:
    ledger = CreditLedger(cap=15)
    ledger.grant(0, 5)
    ledger.grant(31, 5)
    ledger.spend(40, seat=1, inmail=1)
    ledger.spend(41, seat=1, inmail=2)
    ledger.grant(60, 5)  # 8 + 5 = 13, all in
    assert ledger.grant(91, 5) == 2  # 13 + 2 = 15, 3 forfeited
    assert ledger.balance == 15
    assert totals(ledger) == (20, 0, 2, 0, 3)
    ledger.check()


def test_batch_expires_exactly_at_its_expiry() -> None:
    ledger = CreditLedger(batch_expiry_days=90)
    ledger.grant(0, 5)
    ledger.spend(10, seat=1, inmail=1)
    assert ledger.expire_due(89.999) == 0
    assert ledger.balance == 4
    assert ledger.expire_due(90) == 4
    assert ledger.balance == 0
    assert ledger.rows[-1] == LedgerRow(90, Movement.EXPIRE, 4, None, None)
    ledger.check()


def test_expiry_is_recorded_at_its_own_time_when_noticed_later() -> None:
    ledger = CreditLedger(batch_expiry_days=90)
    ledger.grant(0, 5)
    ledger.grant(31, 5)
    assert not ledger.spend(200, seat=1, inmail=1)  # both batches expired before day 200
    assert [r for r in ledger.rows if r.kind is Movement.EXPIRE] == [
        LedgerRow(90, Movement.EXPIRE, 5, None, None),
        LedgerRow(121, Movement.EXPIRE, 5, None, None),
    ]
    assert totals(ledger) == (10, 0, 0, 10, 0)


def test_fully_spent_batch_does_not_expire() -> None:
    ledger = CreditLedger(batch_expiry_days=90)
    ledger.grant(0, 1)
    ledger.spend(1, seat=1, inmail=1)
    ledger.grant(100, 1)
    assert ledger.totals[Movement.EXPIRE] == 0
    assert ledger.balance == 1


def test_no_expiry_without_expiry_days() -> None:
    ledger = CreditLedger()
    ledger.grant(0, 5)
    assert ledger.expire_due(10_000) == 0
    assert ledger.balance == 5


def test_refund_returns_as_new_batch() -> None:
    ledger = CreditLedger(batch_expiry_days=90)
    ledger.grant(0, 2)
    ledger.spend(1, seat=3, inmail=11)
    assert ledger.refund(8, inmail=11) == 1
    assert [(b.created, b.remaining, b.expires_at) for b in ledger.batches] == [(0, 1, 90), (8, 1, 98)]
    assert ledger.rows[-1] == LedgerRow(8, Movement.REFUND, 1, 3, 11)
    assert ledger.was_refunded(11)
    assert totals(ledger) == (2, 1, 1, 0, 0)
    ledger.check()


def test_refund_returns_as_new_batch_subject_to_cap_and_excess_forfeited() -> None:
    ledger = CreditLedger(cap=5)
    ledger.grant(0, 5)
    ledger.spend(1, seat=2, inmail=1)  # balance 4
    assert ledger.grant(2, 5) == 1  # back to 5, 4 forfeited
    assert ledger.refund(8, inmail=1) == 0  # the pool is full: the refunded credit is forfeited
    assert ledger.balance == 5
    assert totals(ledger) == (10, 1, 1, 0, 5)
    assert ledger.rows[-2:] == [LedgerRow(8, Movement.REFUND, 1, 2, 1), LedgerRow(8, Movement.FORFEIT, 1, 2, 1)]
    assert ledger.was_refunded(1)
    ledger.check()


def test_refund_twice_is_an_error() -> None:
    ledger = CreditLedger()
    ledger.grant(0, 5)
    ledger.spend(1, seat=1, inmail=1)
    ledger.refund(8, inmail=1)
    rows, balance = list(ledger.rows), ledger.balance
    with pytest.raises(LedgerError, match="already refunded"):
        ledger.refund(9, inmail=1)
    assert ledger.rows == rows
    assert ledger.balance == balance == 5
    assert ledger.totals[Movement.REFUND] == 1


def test_refund_of_a_credit_never_spent_is_an_error() -> None:
    ledger = CreditLedger()
    ledger.grant(0, 5)
    with pytest.raises(LedgerError, match="spent no credit"):
        ledger.refund(1, inmail=99)
    assert ledger.balance == 5
    assert ledger.totals[Movement.REFUND] == 0


def test_failed_refund_does_not_move_the_ledger_clock() -> None:
    ledger = CreditLedger(batch_expiry_days=90)
    ledger.grant(0, 5)
    ledger.spend(1, seat=1, inmail=1)
    ledger.refund(8, inmail=1)
    rows = list(ledger.rows)
    with pytest.raises(LedgerError):
        ledger.refund(100, inmail=1)  # rejected: nothing may change, not even expiry or the clock
    with pytest.raises(LedgerError):
        ledger.refund(100, inmail=2)
    assert ledger.rows == rows
    assert ledger.balance == 5
    ledger.grant(50, 1)  # still allowed: the rejected calls did not advance time
    assert ledger.balance == 6


def test_failed_double_spend_does_not_move_the_ledger_clock() -> None:
    ledger = CreditLedger(batch_expiry_days=90)
    ledger.grant(0, 5)
    ledger.spend(1, seat=1, inmail=1)
    rows = list(ledger.rows)
    with pytest.raises(LedgerError):
        ledger.spend(100, seat=1, inmail=1)
    assert ledger.rows == rows
    assert ledger.balance == 4
    assert ledger.spend(50, seat=1, inmail=2)


def test_ledger_time_going_backwards_is_an_error() -> None:
    ledger = CreditLedger()
    ledger.grant(10, 5)
    with pytest.raises(LedgerError, match="backwards"):
        ledger.grant(9.5, 5)
    with pytest.raises(LedgerError, match="backwards"):
        ledger.spend(9.5, seat=1, inmail=1)
    ledger.spend(10, seat=1, inmail=1)  # the same instant is fine
    with pytest.raises(LedgerError, match="backwards"):
        ledger.refund(9.5, inmail=1)
    assert ledger.balance == 4


def test_every_movement_is_a_row() -> None:
    ledger = CreditLedger(cap=3, batch_expiry_days=10)
    ledger.grant(0, 4)
    ledger.spend(1, seat=5, inmail=1)
    ledger.refund(2, inmail=1)
    ledger.spend(3, seat=6, inmail=2)
    ledger.grant(20, 1)
    assert ledger.rows == [
        LedgerRow(0, Movement.GRANT, 4, None, None),
        LedgerRow(0, Movement.FORFEIT, 1, None, None),
        LedgerRow(1, Movement.SPEND, 1, 5, 1),
        LedgerRow(2, Movement.REFUND, 1, 5, 1),
        LedgerRow(3, Movement.SPEND, 1, 6, 2),
        LedgerRow(10, Movement.EXPIRE, 1, None, None),
        LedgerRow(12, Movement.EXPIRE, 1, None, None),
        LedgerRow(20, Movement.GRANT, 1, None, None),
    ]
    assert totals(ledger) == (5, 1, 2, 2, 1)
    assert ledger.balance == 1
    ledger.check()


def test_conservation_identity_holds_and_check_passes() -> None:
    ledger = CreditLedger(cap=15, batch_expiry_days=30)
    ledger.grant(0, 10)
    ledger.spend(1, seat=1, inmail=1)
    ledger.spend(2, seat=1, inmail=2)
    ledger.refund(9, inmail=1)
    ledger.grant(31, 10)
    granted, refunded, spent, expired, forfeited = totals(ledger)
    # 0: +10; spend 2 -> 8; refund -> 9 (as a day-9 batch); day 30 the day-0 batch expires with 8 -> 1;
    # day 31 +10 -> 11 under the cap of 15
    assert (granted, refunded, spent, expired, forfeited, ledger.balance) == (20, 1, 2, 8, 0, 11)
    assert granted + refunded == spent + expired + forfeited + ledger.balance
    assert ledger.conservation_gap() == 0
    ledger.check()


def test_check_detects_a_leak() -> None:
    ledger = CreditLedger()
    ledger.grant(0, 5)
    ledger.balance += 1
    assert ledger.conservation_gap() == -1
    with pytest.raises(LedgerError, match="conservation broken by -1"):
        ledger.check()


def test_check_detects_batches_out_of_step_with_the_balance() -> None:
    ledger = CreditLedger()
    ledger.grant(0, 5)
    ledger.batches[0].remaining = 4
    with pytest.raises(LedgerError, match="batches hold 4 but balance is 5"):
        ledger.check()


def test_check_detects_a_negative_balance() -> None:
    ledger = CreditLedger()
    ledger.batches.append(Batch(0, -1, None))
    ledger.balance = -1
    ledger.totals[Movement.SPEND] = 1  # identity and batches agree; the negative balance alone fails
    assert ledger.conservation_gap() == 0
    with pytest.raises(LedgerError):
        ledger.check()


def test_check_detects_a_balance_above_the_cap() -> None:
    ledger = CreditLedger(cap=10)
    ledger.grant(0, 10)
    ledger.cap = 9
    with pytest.raises(LedgerError, match="above cap 9"):
        ledger.check()


# --- batch forms: what the cap lets back -------------------------------------------------------------------------


def test_cap_room_keeps_what_fits_under_the_cap() -> None:
    assert cap_room(None, 10, 3) == 3
    assert cap_room(12, 10, 3) == 2
    assert cap_room(12, 12, 1) == 0
    assert cap_room(12, 14, 1) == 0  # a balance above the cap (a lowered cap) lets nothing in


@settings(max_examples=150, deadline=None)
@given(
    start=st.integers(0, 20),
    cap=st.one_of(st.none(), st.integers(0, 25)),
    moves=st.lists(st.booleans(), min_size=1, max_size=60),
)
def test_capped_walk_agrees_with_cap_room_one_move_at_a_time(start: int, cap: int | None, moves: list[bool]) -> None:
    """The batch form (a walk reflected at the cap) forfeits exactly what the scalar form does move by move."""
    if cap is not None:
        start = min(start, cap)
    arriving, forfeits, balance = [], [], start
    for arrive in moves:
        if not arrive and balance == 0:
            continue  # the caller never spends from an empty pool
        arriving.append(arrive)
        kept = cap_room(cap, balance, 1) if arrive else 0
        forfeits.append(arrive and not kept)
        balance = balance + kept if arrive else balance - 1
    if not arriving:
        return
    forfeit, end = capped_walk(start, np.asarray(arriving, dtype=bool), cap)
    assert forfeit.tolist() == forfeits
    assert end == balance


def test_ledger_forfeits_what_cap_room_does_not_keep() -> None:
    ledger = CreditLedger(cap=10)
    ledger.grant(0.0, 8)
    assert ledger.grant(1.0, 5) == cap_room(10, 8, 5) == 2
    assert ledger.totals[Movement.FORFEIT] == 3
