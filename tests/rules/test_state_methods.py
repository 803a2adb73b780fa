"""The small rules methods a forecast's state needs: a ledger opened on held batches, an InMail spent before
it opened, a policy state taken up with its start."""

from __future__ import annotations

import pytest

from sim.rules import CreditLedger, LedgerError, Movement, PolicyState, ResponseRatePolicy, resolve
from sim.rules.ledger import Batch


def test_opened_ledger_spends_its_oldest_held_batch_first_and_expires_on_age() -> None:
    ledger = CreditLedger(batch_expiry_days=90)
    ledger.open_with([Batch(-80.0, 2, 10.0), Batch(-5.0, 3, 85.0)])
    assert ledger.balance == 5 and ledger.conservation_gap() == 0
    assert ledger.spend(1.0, seat=0, inmail=0)
    assert [(b.created, b.remaining) for b in ledger.batches] == [(-80.0, 1), (-5.0, 3)]
    ledger.expire_due(10.0)  # the batch that arrived 80 days before opening is 90 days old
    assert ledger.totals[Movement.EXPIRE] == 1 and ledger.balance == 3
    ledger.check()


def test_opening_above_the_cap_or_after_a_movement_is_refused() -> None:
    with pytest.raises(LedgerError, match="above cap"):
        CreditLedger(cap=4).open_with([Batch(-1.0, 5, None)])
    ledger = CreditLedger()
    ledger.grant(0.0, 1)
    with pytest.raises(LedgerError, match="before any movement"):
        ledger.open_with([Batch(-1.0, 1, None)])


def test_carried_inmail_is_refunded_once_under_the_cap() -> None:
    ledger = CreditLedger(cap=2)
    ledger.open_with([Batch(-3.0, 2, None)])
    ledger.carry_spent(7, seat=1)
    with pytest.raises(LedgerError, match="already spent"):
        ledger.carry_spent(7, seat=1)
    assert ledger.refund(0.5, 7) == 0  # the pool is at its cap: the credit is forfeited
    assert ledger.totals[Movement.FORFEIT] == 1
    with pytest.raises(LedgerError, match="already refunded"):
        ledger.refund(0.6, 7)
    ledger.check()


@pytest.mark.parametrize(
    ("state", "length"),
    [(PolicyState.WARNING, 7), (PolicyState.GRACE, 0), (PolicyState.RESTRICTED, 14), (PolicyState.OK, 0)],
)
def test_resumed_state_lasts_from_its_start(state: PolicyState, length: int) -> None:
    rules = resolve("seed", {"policy_warning_days": 7, "policy_recheck_days": 0, "policy_restricted_days": 14})
    policy = ResponseRatePolicy(rules)
    policy.resume(state, -3)
    assert policy.state is state and policy.until == -3 + length


def test_resumed_warning_rechecks_the_window_when_it_ends() -> None:
    rules = resolve("seed", {"policy_warning_days": 7, "policy_recheck_days": 0, "policy_min_sent": 10})
    policy = ResponseRatePolicy(rules)
    policy.counts.add_sent(-1, 100)  # nothing answered: still low when the warning ends on day 4
    policy.resume(PolicyState.WARNING, -3)
    assert policy.evaluate(3) is PolicyState.WARNING
    assert policy.evaluate(4) is PolicyState.RESTRICTED
