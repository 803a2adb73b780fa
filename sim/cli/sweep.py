"""`inmail-sim sweep`: every point of a grid (or list) written as it finishes; a rerun resumes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import (
    EXIT_BAD_INPUT,
    Subparsers,
    add_output_flags,
    add_run_flags,
    executor_from_args,
    flag,
    progress_wanted,
    say,
    warn,
    whole_number,
)


def add_parser(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    sweep = sub.add_parser("sweep", parents=[common], help="run every point of a sweep; rerun to resume")
    sweep.add_argument("scenario", type=Path, help="the scenario file with a sweep section (YAML)")
    sweep.add_argument(
        "--factor",
        dest="factors",
        action="append",
        default=[],
        metavar="KEY=V1,V2,...",
        help="sweep a dotted key over these values (repeatable; added to the file's sweep factors)",
    )
    add_output_flags(sweep)
    sweep.add_argument("--replications", type=whole_number, help="replications per point (default: the scenario's)")
    sweep.add_argument(
        "--tables",
        choices=["summary", "full"],
        default="summary",
        help="summary: each point keeps its runs and summary (default); full: also its per-InMail, credits "
        "and daily tables",
    )
    add_run_flags(sweep)
    sweep.add_argument("--no-report", action="store_true", help="do not write report.html")
    sweep.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from ..output.storage import check_place
    from ..output.sweep import run_sweep
    from ..runner.experiment import check_replications, check_seed
    from ..runner.guard import estimate
    from ..runner.signals import sigterm_as_interrupt
    from ..runner.sweep import load_sweep

    n = None if args.replications is None else flag(check_replications, args.replications, "--replications")
    seed = None if args.seed is None else flag(check_seed, args.seed, "--seed")
    executor = executor_from_args(args)
    loaded = load_sweep(args.scenario, args.sets, args.factors)
    base, spec, points = loaded
    out = Path(args.out) if args.out is not None else Path("results") / base.name
    check_place(out, protect=(args.scenario,))
    full = args.tables == "full"
    problems = sorted({msg for p in points for msg in estimate(p.scenario, n, full).problems})
    if problems and not args.force:
        warn("sweep", f"refused before starting: {'; '.join(problems)}; or use --force")
        return EXIT_BAD_INPUT
    with sigterm_as_interrupt():
        finished, failed = run_sweep(
            args.scenario,
            out,
            replications=n,
            seed=seed,
            executor=executor,
            force=args.force,
            progress=progress_wanted(args),
            tables=args.tables,
            loaded=loaded,
        )
        _figures_and_report(out, spec.labels, not args.no_report)
    say(args, f"{base.name}: {len(finished)} points finished -> {out}")
    if failed:
        print(f"sweep: {len(failed)} point(s) failed (see error.txt in each folder):", file=sys.stderr)
        for pid in failed:
            print(f"  {out / 'points' / pid}", file=sys.stderr)
        return 1
    return 0


def _figures_and_report(out: Path, labels: dict[str, str], report: bool) -> None:
    """The sweep's figures (each headline KPI against the first factor) and, unless told not to, report.html."""
    import json

    import pandas as pd

    from ..output.results import HEADLINE
    from ..present import plots

    per_point = pd.read_parquet(out / "points.parquet")
    if not per_point.empty:
        factors = [labels.get(k, k) for k in json.loads((out / "sweep.json").read_text(encoding="utf-8"))["factors"]]
        shown = per_point.rename(columns=labels)
        (out / "figures").mkdir(exist_ok=True)
        by = factors[1] if len(factors) > 1 else None
        for kpi in HEADLINE:
            if f"{kpi}_mean" in shown:
                plots.save_figure(plots.kpi_vs_factor(shown, kpi, factors[0], by=by), out / "figures" / f"{kpi}.png")
    if report:
        from ..present.report import write_report

        write_report(out, rebuild_figures=False, labels=labels)
