"""`inmail-sim recommend FILE`: the plan, seats and send volume that do best within the rules, written to a
results folder; a rerun into the same folder reuses every replication already run there."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

EXIT_BAD_INPUT = 2
MARKERS = ("evaluations.jsonl", "recommendation.json")


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register `recommend` on the command line's subparsers."""
    p: argparse.ArgumentParser = sub.add_parser(
        "recommend", help="recommend the plan that does best within the limits; rerun to resume"
    )
    p.add_argument("scenario", type=Path, help="a scenario with a decide: section")
    p.add_argument("--out", type=Path, help="results folder (default results/<scenario name>_recommend)")
    p.add_argument("--seed", type=int, help="root of the random streams (default: the scenario's seed)")
    p.add_argument(
        "--set", dest="sets", action="append", default=[], metavar="KEY=VALUE", help="change one scenario field"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    p.add_argument("--force", action="store_true", help="forget the replications an earlier run kept in --out")
    p.add_argument("--jobs", type=int, help="local worker processes (default: all cores)")
    p.add_argument("--executor", choices=["serial", "processes", "dask"], help="where replications run")
    p.add_argument("--scheduler", help="address of a running Dask scheduler (implies --executor dask)")
    p.add_argument("--no-report", action="store_true", help="do not write report.html")
    return p


def _ours(folder: Path) -> bool:
    """Whether `folder` is missing, empty, or a folder this command wrote (so it may write into it)."""
    if not folder.exists():
        return True
    return folder.is_dir() and (not any(folder.iterdir()) or any((folder / m).is_file() for m in MARKERS))


def recommend_command(args: argparse.Namespace) -> int:
    """Validate, decide, write the folder, print the choice."""
    from ..config.scenario import ScenarioError, load_scenario
    from ..decide.recommend import recommend
    from ..decide.recommend_eval import CACHE_NAME
    from ..decide.recommend_output import clear_outputs
    from ..runner.guard import FolderBusyError, FolderLock
    from .common import executor_from_args

    try:
        if args.seed is not None and args.seed < 0:
            raise ScenarioError([f"--seed: must be 0 or more (got {args.seed})"])
        if args.jobs is not None and args.jobs < 1:
            raise ScenarioError([f"--jobs: must be at least 1 (got {args.jobs})"])
        scenario = load_scenario(args.scenario, args.sets)
        if scenario.decide is None:
            raise ScenarioError(["decide: missing: recommend needs a decide section (levers, objective, limits)"])
    except ScenarioError as err:
        print(str(err), file=sys.stderr)
        return EXIT_BAD_INPUT
    out = args.out or Path("results") / f"{scenario.name}_recommend"
    if not _ours(out):
        print(f"recommend: {out} exists and was not written by recommend; choose another --out", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        with FolderLock(out):
            out.mkdir(parents=True, exist_ok=True)
            clear_outputs(out)
            if args.force:
                (out / CACHE_NAME).unlink(missing_ok=True)
            rec = recommend(scenario, out, executor_from_args(args), args.seed)
            rec.save(out)
            if args.no_report:
                (out / "report.html").unlink(missing_ok=True)
    except ScenarioError as err:
        print(str(err), file=sys.stderr)
        return EXIT_BAD_INPUT
    except FolderBusyError as err:
        print(f"recommend: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not args.quiet:
        print(rec.why())
        ready = "" if rec.chosen is None else f" (run the plan: inmail-sim run {out / 'recommended.yaml'})"
        print(f"-> {out}{ready}")
    return 0
