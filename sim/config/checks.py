"""Checks across sections of a scenario (account names unique, plans the preset defines, team groups naming an
account with enough seats). They read plain views, so they also run on raw data that failed elsewhere."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..rules import Rules, UnknownPlanError
from .errors import BAD, Loc, did_you_mean, got_note


@dataclass
class AccountView:
    """The fields of one account the checks read (or BAD)."""

    name: Any
    plan: Any
    seats: Any


@dataclass
class GroupView:
    """The fields of one team group the checks read (or BAD)."""

    account: Any
    channel: Any
    count: Any


def cross_checks(resolved: Rules | None, accounts: list[AccountView], team: list[GroupView]) -> list[tuple[Loc, str]]:
    """Checks that read several sections, under the resolved rules (None when they do not resolve). `BAD`
    stands for a value that is itself invalid (already reported): checks that need it are skipped, so a file
    with field errors still gets every check it can."""
    issues = _unique_names(accounts)
    if resolved is not None:
        issues += _plans_defined(resolved, accounts)
    return issues + _seats_enough(accounts, team)


def _unique_names(accounts: list[AccountView]) -> list[tuple[Loc, str]]:
    issues: list[tuple[Loc, str]] = []
    first_use: dict[str, int] = {}
    for i, a in enumerate(accounts):
        if a.name is BAD:
            continue
        if a.name in first_use:
            again = f"accounts.{first_use[a.name]} already has this name: give each its own{got_note(a.name)}"
            issues.append((("accounts", i, "name"), again))
        else:
            first_use[a.name] = i
    return issues


def _plans_defined(resolved: Rules, accounts: list[AccountView]) -> list[tuple[Loc, str]]:
    issues: list[tuple[Loc, str]] = []
    defined = resolved.plan_names()
    for i, a in enumerate(accounts):
        if a.plan is BAD:
            continue
        try:
            resolved.plan(a.plan)
        except UnknownPlanError:
            issues.append(
                (
                    ("accounts", i, "plan"),
                    f"plan not defined by preset {resolved.name!r}{did_you_mean(a.plan, defined)} "
                    f"(it defines: {', '.join(defined)}){got_note(a.plan)}",
                )
            )
    return issues


def _seats_enough(accounts: list[AccountView], team: list[GroupView]) -> list[tuple[Loc, str]]:
    """Every group names an existing account (email groups too: a typo is never silently ignored), and each
    account has a seat for each InMail recruiter who uses it."""
    issues: list[tuple[Loc, str]] = []
    names = [a.name for a in accounts]
    known = [n for n in names if n is not BAD]
    need: dict[int, list[int]] = {}
    for j, g in enumerate(team):
        if g.account is BAD or not names:
            continue
        if g.account is None:
            target = 0
        elif g.account in names:
            target = names.index(g.account)
        else:
            if BAD not in names:
                issues.append(
                    (
                        ("team", j, "account"),
                        f"no account has this name{did_you_mean(g.account, known)} "
                        f"(accounts: {', '.join(known)}){got_note(g.account)}",
                    )
                )
            continue
        if g.channel == "inmail":
            need.setdefault(target, []).append(j)
    for i, groups in need.items():
        seats = accounts[i].seats
        counts = {j: team[j].count for j in groups if team[j].count is not BAD}
        total = sum(counts.values())
        if seats is not BAD and total > seats:
            who = ", ".join(f"team.{j} ({n})" for j, n in counts.items())
            issues.append(
                (
                    ("accounts", i, "seats"),
                    f"{seats} seat(s) but {total} InMail recruiters use this account ({who}); each "
                    f"recruiter needs a seat: add seats or lower the team counts{got_note(seats)}",
                )
            )
    return issues
