"""What both engines share: the codes of a replication's tables (derived from the rules' enums), the raw
output of one replication, and the invariant check every engine runs at the end of a replication."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, get_args

import numpy as np

from ..config.scenario import TeamGroup
from ..rules import Account, BlockReason, Cost, PolicyState
from ..rules.ledger import Movement
from .recruiter import Recruiter

NO_CANDIDATES = "no_candidates"
BLOCK_REASONS: tuple[str, ...] = (*(r.value for r in BlockReason), NO_CANDIDATES)
POLICY_CODES: dict[PolicyState, int] = {s: i for i, s in enumerate(PolicyState)}
MOVES: tuple[Movement, ...] = tuple(Movement)
NO_COST = "none"  # what a message on a channel without credits (email) costs
COSTS: tuple[str, ...] = (*(c.value for c in Cost), NO_COST)
CHANNELS: tuple[str, ...] = get_args(TeamGroup.model_fields["channel"].annotation)
TABLE_MODES = ("full", "summary")
"""What an engine keeps of a replication: `full`, every message and credit movement (the per-InMail and
credits tables); `summary`, running counters only (the KPIs and the daily tables), so that memory does not
grow with the number of messages."""


class InvariantError(RuntimeError):
    """A rule the simulation must never break was broken: a bug, reported with how to reproduce it."""


def raise_broken_invariants(model: Any, paid: int, problems: list[str]) -> None:
    """Check what every engine must keep at the end of a replication (credits conserved, batches adding up to
    the balance, no seat over a limit, one credit per paid InMail) and raise InvariantError naming the
    scenario, seed and replication that reproduce a breach; `problems` are the engine's own findings."""
    problems = list(problems)
    for label, account in model.accounts.items():
        ledger = account.ledger
        gap = ledger.conservation_gap()
        if gap or ledger.balance < 0:
            problems.append(f"account {label}: credits not conserved (gap {gap})")
        held = sum(b.remaining for b in ledger.batches)
        if held != ledger.balance:
            problems.append(f"account {label}: batches hold {held} but the balance is {ledger.balance}")
        for seat in account.seats.values():
            problems.extend(f"seat {seat.id}: {breach}" for breach in seat.limits.breaches())
    spent = sum(a.ledger.totals[Movement.SPEND] for a in model.accounts.values())
    if paid != spent:
        problems.append(f"{paid} paid InMails but {spent} credits spent")
    if problems:
        where = f"scenario {model.scenario.name!r}, seed {model.seed}, replication {model.replication}"
        raise InvariantError(f"invariant broken in {where}: " + "; ".join(problems))


@dataclass
class MessageLog:
    """One row per message sent, as columns."""

    seat: list[int] = field(default_factory=list)
    sender: list[int] = field(default_factory=list)
    candidate: list[int] = field(default_factory=list)
    channel: list[str] = field(default_factory=list)
    cost: list[str] = field(default_factory=list)
    bulk: list[bool] = field(default_factory=list)
    personalised: list[bool] = field(default_factory=list)
    sent_at: list[float] = field(default_factory=list)
    read_at: list[float] = field(default_factory=list)
    outcome: list[str] = field(default_factory=list)
    responded_at: list[float] = field(default_factory=list)
    refunded_at: list[float] = field(default_factory=list)
    followed_up_at: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.sent_at)


@dataclass
class MessageCounts:
    """What the KPIs need of the message log, counted as messages are sent: messages by (cost, outcome)
    label, and follow-ups sent before the horizon."""

    by_cost_outcome: dict[tuple[str, str], int] = field(default_factory=dict)
    follow_ups: int = 0

    def add(self, cost: str, outcome: str, n: int = 1) -> None:
        key = (cost, outcome)
        total = self.by_cost_outcome.get(key, 0) + n
        if total:
            self.by_cost_outcome[key] = total
        else:
            self.by_cost_outcome.pop(key, None)

    @classmethod
    def of_log(cls, log: MessageLog) -> MessageCounts:
        """The counts of a whole message log."""
        cost = np.asarray(log.cost, dtype=object)
        outcome = np.asarray(log.outcome, dtype=object)
        counts = cls(follow_ups=int(np.isfinite(np.asarray(log.followed_up_at, dtype=float)).sum()))
        if len(cost):
            pairs, n = np.unique(np.stack([cost.astype(str), outcome.astype(str)]), axis=1, return_counts=True)
            for c, o, k in zip(pairs[0].tolist(), pairs[1].tolist(), n.tolist(), strict=True):
                counts.add(c, o, k)
        return counts


@dataclass
class ReplicationOutput:
    """Raw tables of one replication (turned into DataFrames by `sim.results`)."""

    replication: int
    messages: MessageLog
    senders: list[Recruiter]
    accounts: dict[str, Account]
    sent: np.ndarray  # [sender, day] messages sent on any channel, InMail or not
    inmails_sent: np.ndarray  # [sender, day] InMails sent (paid or free by the Open Profile rule)
    responses: np.ndarray  # [sender, day] responses to InMails received (what the `responses` KPI counts)
    blocked: dict[str, np.ndarray]  # reason -> [sender, day]
    policy_state: np.ndarray  # [sender, day] PolicyState code
    trailing_rate: np.ndarray  # [sender, day] trailing-window response rate at the day's end
    balance: dict[str, np.ndarray]  # account -> [day] balance at the day's end
    events: int
    tables: str = "full"  # TABLE_MODES: with "summary", `messages` is empty and the ledgers keep no rows
    counts: MessageCounts | None = None  # the log's counts (None: count `messages`)
    credit_days: dict[str, np.ndarray] | None = None  # account -> [kind (MOVES), day] credits moved; None: rows

    @classmethod
    def of(
        cls, model: Any, messages: MessageLog, counts: MessageCounts, credit_days: dict[str, np.ndarray] | None
    ) -> ReplicationOutput:
        """The output of an engine `model` that ran: the per-sender-day arrays and accounts both engines keep
        under the same names, with its message log, counts and (summary tables) credits moved by day."""
        return cls(
            replication=model.replication,
            messages=messages,
            senders=model.senders,
            accounts=model.accounts,
            sent=model.sent,
            inmails_sent=model.inmails_sent,
            responses=model.responses,
            blocked=model.blocked,
            policy_state=model.policy_state,
            trailing_rate=model.trailing_rate,
            balance=model.balance,
            events=next(model.env._eid),  # events scheduled so far
            tables=model.tables,
            counts=counts,
            credit_days=credit_days,
        )


def check_tables_mode(tables: str) -> str:
    """`tables` when it is one of `TABLE_MODES`, else ValueError."""
    if tables not in TABLE_MODES:
        raise ValueError(f"tables must be one of {', '.join(TABLE_MODES)} (got {tables!r})")
    return tables
