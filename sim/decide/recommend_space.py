"""The candidates of a decision: the levers of the `decide:` block resolved to dotted scenario keys, and each
combination of their values as a validated scenario."""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
from dataclasses import dataclass
from typing import Any

from ..config.decide import SHORTHANDS, Lever
from ..config.scenario import Scenario, ScenarioError, load_scenario, set_dotted


@dataclass(frozen=True)
class LeverKeys:
    """A lever as the label shown in tables, the dotted keys it sets, and its values."""

    label: str
    keys: tuple[str, ...]
    choices: tuple[Any, ...]

    @property
    def ordered(self) -> bool:
        """Whether the values are numbers (a search may then move between neighbours)."""
        return all(isinstance(v, int | float) and not isinstance(v, bool) for v in self.choices)


@dataclass(frozen=True)
class Candidate:
    """One plan: the lever values and the scenario they make; `key` names its simulation (not its prices)."""

    values: tuple[tuple[str, Any], ...]
    scenario: Scenario
    key: str

    def label(self) -> str:
        return ", ".join(f"{k}={_show(v)}" for k, v in self.values)


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "+".join(str(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def _exists(data: Any, dotted: str) -> bool:
    node = data
    for part in dotted.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return dotted.startswith("rules.overrides.")
    return True


def resolve_levers(base: Scenario) -> list[LeverKeys]:
    """Every lever of `base.decide` with its dotted keys; ScenarioError naming `decide.levers.N` otherwise."""
    assert base.decide is not None
    data = base.model_dump(mode="json")
    groups = [g.name for g in base.team]
    out: list[LeverKeys] = []
    errors: list[str] = []
    for i, lever in enumerate(base.decide.levers):
        where = f"decide.levers.{i}"
        try:
            keys = _keys(lever, groups, where)
        except ScenarioError as err:
            errors += err.errors
            continue
        for key in keys:
            if not _exists(data, key):
                errors.append(f"{where}.key: no such key in the scenario ({key!r})")
        label = lever.key if lever.group is None else f"{lever.key}[{lever.group}]"
        out.append(LeverKeys(label, keys, tuple(lever.choices())))
    labels = [lk.label for lk in out]
    errors += [
        f"decide.levers: {label!r} is given twice" for label in sorted({x for x in labels if labels.count(x) > 1})
    ]
    if errors:
        raise ScenarioError(errors)
    return out


def _keys(lever: Lever, groups: list[str], where: str) -> tuple[str, ...]:
    if lever.key in SHORTHANDS:
        if lever.group is not None and lever.group not in groups:
            raise ScenarioError([f"{where}.group: no team group has this name (groups: {', '.join(groups)})"])
        g = 0 if lever.group is None else groups.index(lever.group)
        return tuple(SHORTHANDS[lever.key].format(g=g).split(","))
    if lever.group is not None:
        raise ScenarioError([f"{where}.group: only a shorthand ({', '.join(SHORTHANDS)}) takes a group"])
    if "." not in lever.key and "," not in lever.key:
        raise ScenarioError(
            [f"{where}.key: not a shorthand ({', '.join(SHORTHANDS)}) nor a dotted key (got {lever.key!r})"]
        )
    return tuple(k.strip() for k in lever.key.split(","))


class Space:
    """Every combination of the levers' values over a base scenario (its `decide:` block left out)."""

    def __init__(self, base: Scenario) -> None:
        self.base = base
        self.levers = resolve_levers(base)
        data = base.model_dump(mode="json")
        data["decide"] = None
        self._data = data

    @property
    def size(self) -> int:
        n = 1
        for lever in self.levers:
            n *= len(lever.choices)
        return n

    def grid(self) -> list[dict[str, Any]]:
        labels = [lv.label for lv in self.levers]
        combos = itertools.product(*(lv.choices for lv in self.levers))
        return [dict(zip(labels, combo, strict=True)) for combo in combos]

    def candidate(self, values: dict[str, Any]) -> Candidate:
        """The candidate of these lever values; ScenarioError naming the lever values when it is invalid."""
        data = copy.deepcopy(self._data)
        for lever in self.levers:
            for key in lever.keys:
                set_dotted(data, key, values[lever.label])
        shown = ", ".join(f"{k}={_show(v)}" for k, v in values.items())
        try:
            scenario = load_scenario(data)
        except ScenarioError as err:
            raise ScenarioError([f"decide.levers ({shown}): {e}" for e in err.errors]) from None
        return Candidate(tuple(values.items()), scenario, simulation_key(scenario))

    def candidates(self) -> list[Candidate]:
        """Every candidate of the grid; every invalid combination is reported at once."""
        out: list[Candidate] = []
        errors: list[str] = []
        for values in self.grid():
            try:
                out.append(self.candidate(values))
            except ScenarioError as err:
                errors += err.errors
        if errors:
            raise ScenarioError(errors)
        return out


def simulation_key(scenario: Scenario) -> str:
    """A digest of what the simulation of `scenario` depends on (not its prices, not the decision)."""
    from .. import __version__

    data = scenario.model_dump(mode="json")
    for name in ("costs", "decide", "name", "description", "replications", "seed", "sweep"):
        data.pop(name, None)
    text = json.dumps([__version__, data], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
