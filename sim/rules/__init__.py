"""The credit and limit rules: pure Python, no SimPy. The model asks; these answer.

The presets (plain data) load at once; the rule objects, which use numpy for their batch forms, load on first
use, so reading and checking a scenario (`inmail-sim validate`, `inmail-sim presets`) never imports numpy."""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .presets import (
    PRESETS,
    GrantDay,
    PlanRules,
    RefundRule,
    Rules,
    UnknownPlanError,
    UnknownPresetError,
    preset,
    resolve,
)

if TYPE_CHECKING:
    from .account import Account, BlockReason, Cost, Decision, Seat
    from .calendar import Calendar
    from .ledger import CreditLedger, LedgerError, LedgerRow, Movement
    from .limits import SeatLimits
    from .policy import PolicyState, ResponseRatePolicy

_LAZY = {
    **dict.fromkeys(("Account", "BlockReason", "Cost", "Decision", "Seat"), ".account"),
    "Calendar": ".calendar",
    **dict.fromkeys(("CreditLedger", "LedgerError", "LedgerRow", "Movement"), ".ledger"),
    "SeatLimits": ".limits",
    **dict.fromkeys(("PolicyState", "ResponseRatePolicy"), ".policy"),
}


def __getattr__(name: str) -> Any:
    """The rule objects, imported when first asked for."""
    if name in _LAZY:
        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "PRESETS",
    "Account",
    "BlockReason",
    "Calendar",
    "Cost",
    "CreditLedger",
    "Decision",
    "GrantDay",
    "LedgerError",
    "LedgerRow",
    "Movement",
    "PlanRules",
    "PolicyState",
    "RefundRule",
    "ResponseRatePolicy",
    "Rules",
    "Seat",
    "SeatLimits",
    "UnknownPlanError",
    "UnknownPresetError",
    "preset",
    "resolve",
]
