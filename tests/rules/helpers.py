"""Small builders shared by the rules tests (no expectation is ever computed by the code under test)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sim.rules import Account, Calendar, resolve

MONDAY = date(2024, 1, 1)  # 2024-01-01 is a Monday; 2024 is a leap year


def make_account(
    preset: str = "seed",
    plan: str = "premium",
    seats: int = 1,
    *,
    activation: list[int] | None = None,
    overrides: dict[str, Any] | None = None,
    start: date = MONDAY,
    contract: date | None = None,
) -> Account:
    """An account on `plan` under `preset`, its seats numbered 1..seats, all active from day 0 by default."""
    rules = resolve(preset, overrides)
    return Account(
        rules,
        plan,
        Calendar(start),
        list(range(1, seats + 1)),
        activation if activation is not None else [0] * seats,
        start=contract,
    )


class Ids:
    """Fresh InMail ids."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> int:
        self.n += 1
        return self.n
