"""Who works where: the scenario's accounts (contracts and single-member plans) with their seats, and one
recruiter per team member on their seat; both engines build their world with these."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from ..config.scenario import Scenario
from ..rules import Account, Calendar, CreditLedger
from ..rules.contract import seats_share_one_account
from ..rules.policy import SendCounts
from .recruiter import Recruiter


def build_accounts(
    scenario: Scenario,
    calendar: Calendar,
    counts: Callable[[int], SendCounts] | None = None,
    ledger: Callable[[int | None, float | None], CreditLedger] = CreditLedger,
) -> tuple[dict[str, Account], dict[str, list[tuple[Account, int, int]]]]:
    """Accounts by label, and for each account spec name its seats as (account, seat id, activation day).

    Single-member plans give each seat its own account, labelled `name-1`, `name-2`, ... `counts(seat_id)`,
    when given, is where each seat's response-rate rule keeps its counts (the fast engine's arrays), and `ledger(cap,
    batch_expiry_days)` makes each account's credit pool.
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
        if seats_share_one_account(rules, spec.plan):
            account = Account(rules, spec.plan, calendar, ids, days, start, counts, ledger)
            accounts[spec.name] = account
            seats[spec.name] = [(account, sid, day) for sid, day in zip(ids, days, strict=True)]
        else:
            seats[spec.name] = []
            for i, (sid, day) in enumerate(zip(ids, days, strict=True)):
                label = spec.name if spec.seats == 1 else f"{spec.name}-{i + 1}"
                account = Account(rules, spec.plan, calendar, [sid], [day], start, counts, ledger)
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
