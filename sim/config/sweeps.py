"""A scenario's `sweep:` section as points: a grid (every combination) or an explicit list of points, each key
checked to exist and each point validated as a scenario. Running the points is `sim.runner.sweep`'s job."""

from __future__ import annotations

import copy
import itertools
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ScenarioError
from .load import load_scenario
from .overrides import parse_set, set_dotted
from .schema import Scenario, SweepSpec

MAX_POINTS = 2_000  # points in one sweep; a larger grid is refused before it is expanded


@dataclass(frozen=True)
class Point:
    """One scenario of a sweep."""

    index: int
    id: str
    values: dict[str, Any]
    scenario: Scenario

    @property
    def folder(self) -> str:
        """The point's folder under `points/`: a hive partition (`point=<id>`) that DuckDB and polars read."""
        return f"point={self.id}"


def _slug(value: Any, width: int = 40) -> str:
    return re.sub(r"[^A-Za-z0-9_.+-]+", "-", str(value)).strip("-.")[:width] or "x"


def point_id(index: int, values: dict[str, Any]) -> str:
    """An id that is safe in a folder name on every file system, holds no '=' or '/' (so the hive layout
    `points/point=<id>` stays one partition) and says what the point is."""
    parts = [f"{_slug(k.split(',')[0].split('.')[-1])}-{_slug(v)}" for k, v in values.items()]
    return _slug(f"p{index:03d}_" + "_".join(parts), 100)


def count_points(spec: SweepSpec) -> int:
    """How many points the sweep has, computed before expanding it (the product of the factors' lengths)."""
    if spec.points:
        return len(spec.points)
    return math.prod(len(v) for v in spec.factors.values()) if spec.factors else 0


def _check_size(spec: SweepSpec) -> None:
    n = count_points(spec)
    if n > MAX_POINTS:
        sizes = str(n) if spec.points else " x ".join(str(len(v)) for v in spec.factors.values())
        raise ScenarioError(
            [
                f"sweep: {sizes} = {n:,} points, more than the {MAX_POINTS:,} one sweep may have; "
                "use fewer factor values or split the sweep"
            ]
        )


def expand(spec: SweepSpec) -> list[dict[str, Any]]:
    """Every point of the sweep as {factor key: value}."""
    if spec.factors and spec.points:
        raise ScenarioError(["sweep: give either factors (a grid) or points (a list), not both"])
    if spec.points:
        _check_size(spec)
        return [dict(p) for p in spec.points]
    if not spec.factors:
        raise ScenarioError(["sweep: no factors and no points: nothing to sweep"])
    for key, values in spec.factors.items():
        if not values:
            raise ScenarioError([f"sweep.factors.{key}: needs at least one value"])
    _check_size(spec)
    keys = list(spec.factors)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(spec.factors[k] for k in keys))]


def _apply(base: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(base)
    for key, value in values.items():
        for dotted in key.split(","):
            set_dotted(data, dotted.strip(), value)
    return data


def load_sweep(
    path: str | Path, sets: list[str] | None = None, cli_factors: list[str] | None = None
) -> tuple[Scenario, SweepSpec, list[Point]]:
    """The base scenario, its sweep section (with `--factor` items added) and every point, all validated."""
    base = load_scenario(path, sets)
    section = base.sweep or SweepSpec()
    data = base.model_dump(mode="json")
    data["sweep"] = None
    factors = dict(section.factors)
    for item in cli_factors or []:
        key, sep, listed = item.partition("=")
        if not sep or not key.strip() or not listed.strip():
            raise ScenarioError([f"--factor {item!r}: expected dotted.key=v1,v2,..."])
        factors[key.strip()] = parse_set([f"v=[{listed}]"])["v"]
    spec = section.model_copy(update={"factors": factors})
    points: list[Point] = []
    errors: list[str] = []
    for i, values in enumerate(expand(spec)):
        where = "sweep.points." + str(i) if spec.points else "sweep.factors"
        try:
            for key in values:
                for dotted in key.split(","):
                    _check_key_exists(data, dotted.strip(), f"{where}.{dotted.strip()}")
            scenario = load_scenario(_apply(data, values))
        except ScenarioError as err:
            errors += [f"{where} (point {point_id(i, values)}): {e}" for e in err.errors]
            continue
        points.append(Point(i, point_id(i, values), values, scenario))
    if errors:
        raise ScenarioError(errors, str(path))
    return base, spec, points


def _check_key_exists(data: dict[str, Any], dotted: str, where: str) -> None:
    node: Any = data
    for part in dotted.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, dict) and dotted.startswith("rules.overrides."):
            return  # preset values are checked when the point's rules are resolved
        else:
            raise ScenarioError([f"{where}: no such key in the scenario ({dotted!r})"])
