"""What a plan gives an account (DESIGN 1.1): whether its seats share one pool, the pool's monthly grant and
its cap, and the labels of the accounts a scenario's account entry becomes. `Account` and the config's
checks of a forecast state both ask here."""

from __future__ import annotations

from .presets import Rules


def seats_share_one_account(rules: Rules, plan: str) -> bool:
    """Whether the seats of a `plan` contract are one account, its credits granted per seat into one pool they
    share (a recruiter contract), rather than each seat its own member's account with its own pool."""
    return rules.plan(plan).per_seat


def grant_per_seat(rules: Rules, plan: str) -> int:
    """Credits a month each seat of the plan brings (a single member's whole grant)."""
    return rules.plan(plan).monthly_credits


def monthly_grant(rules: Rules, plan: str, seats: int) -> int:
    """Credits granted to one pool each month: per seat for a shared pool, once for a single member."""
    return grant_per_seat(rules, plan) * (seats if seats_share_one_account(rules, plan) else 1)


def pool_cap(rules: Rules, plan: str, seats: int) -> int | None:
    """The most credits one pool may hold (its cap months of monthly grant); None: no cap."""
    months = rules.plan(plan).cap_months
    return None if months is None else round(months * monthly_grant(rules, plan, seats))


def batch_expiry(rules: Rules, plan: str) -> float | None:
    """Days after which a batch of the plan's credits expires (None: never)."""
    return rules.plan(plan).batch_expiry_days


def account_labels(rules: Rules, plan: str, name: str, seats: int) -> list[str]:
    """The accounts an entry of `seats` seats becomes: itself for a shared pool or one seat, else one account
    per member, `name-1`, `name-2`, ..."""
    if seats_share_one_account(rules, plan) or seats == 1:
        return [name]
    return [f"{name}-{i + 1}" for i in range(seats)]


def pool_size(rules: Rules, plan: str, seats: int) -> int:
    """Seats in each pool of an entry of `seats` seats."""
    return seats if seats_share_one_account(rules, plan) else 1


def has_expired(rules: Rules, plan: str, created: float, day: float = 0.0) -> bool:
    """Whether credits of the plan that arrived at `created` have expired by `day` (the ledger's rule: a
    batch expires when its expiry time is reached)."""
    expiry = batch_expiry(rules, plan)
    return expiry is not None and created + expiry <= day
