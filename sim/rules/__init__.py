"""The credit and limit rules: pure Python, no SimPy. The model asks; these answer."""

from .account import Account, BlockReason, Cost, Decision, Seat
from .calendar import Calendar
from .ledger import CreditLedger, LedgerError, LedgerRow, Movement
from .limits import SeatLimits
from .policy import PolicyState, ResponseRatePolicy
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
