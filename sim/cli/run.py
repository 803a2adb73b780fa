"""`inmail-sim run`: validate, check every flag, simulate into a temporary folder, rename it into place."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .common import (
    EXIT_BAD_INPUT,
    Subparsers,
    UsageError,
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
    run = sub.add_parser("run", parents=[common], help="run a scenario and write a results folder")
    run.add_argument("scenario", type=Path, help="the scenario file (YAML)")
    add_output_flags(run)
    run.add_argument("--replications", help="a number, or 'auto' to run until --precision is reached")
    run.add_argument("--precision", type=float, help="with --replications auto: CI half-width / mean (0.05)")
    run.add_argument("--kpi", default="response_rate", help="with --replications auto: the KPI to make precise")
    run.add_argument(
        "--max-replications", type=whole_number, default=200, help="with --replications auto: the most to run"
    )
    run.add_argument(
        "--tables",
        choices=["full", "summary"],
        default="full",
        help="full: every table, per-InMail and credits rows streamed to Parquet (default); summary: KPIs and "
        "the daily tables only, in memory that does not grow with the horizon",
    )
    add_run_flags(run)
    run.add_argument("--no-report", action="store_true", help="do not write report.html")
    run.add_argument(
        "--state-from", type=Path, metavar="RESULTS_DIR", help="start from that run's end state (a forecast)"
    )
    run.add_argument("--at", type=whole_number, metavar="DAY", help="with --state-from: its state at this day")
    run.set_defaults(handler=handle)


def _replications(value: str | None) -> int | str | None:
    from ..runner.experiment import check_replications

    if value is None or value == "auto":
        return value
    try:
        n = int(value)
    except ValueError:
        raise UsageError(f"--replications: expected a whole number or 'auto' (got {value!r})") from None
    return flag(check_replications, n, "--replications")


def handle(args: argparse.Namespace) -> int:
    from ..config.scenario import load_scenario
    from ..output.experiment import check_kpi, run_to_folder
    from ..output.results import headline_text
    from ..output.storage import check_target
    from ..present.results import write_figures
    from ..runner.experiment import check_precision, check_replications, check_seed
    from ..runner.guard import FolderLock, estimate
    from ..runner.signals import sigterm_as_interrupt

    scenario = load_scenario(args.scenario, args.sets)
    if args.state_from is not None:
        from ..output.state import StateFromError, forecast_scenario

        try:
            scenario = forecast_scenario(scenario, args.state_from, args.at)
        except StateFromError as err:
            raise UsageError(str(err)) from None
    elif args.at is not None:
        raise UsageError("--at: only with --state-from")
    replications = _replications(args.replications)
    seed = None if args.seed is None else flag(check_seed, args.seed, "--seed")
    if replications == "auto" or args.precision is not None:
        if replications != "auto":
            raise UsageError("--precision: only with --replications auto")
        flag(check_kpi, args.kpi, "--kpi")
        flag(check_precision, 0.05 if args.precision is None else args.precision, "--precision")
        flag(check_replications, args.max_replications, "--max-replications")
    executor = executor_from_args(args)
    if scenario.sweep is not None and not args.quiet:
        warn("note", f"{args.scenario} has a sweep section; `run` runs its base scenario, `inmail-sim sweep` "
             "runs every point")  # fmt: skip
    largest = args.max_replications if replications == "auto" else replications
    est = estimate(scenario, largest if isinstance(largest, int) else None)
    say(args, f"estimate: {est.messages:,} messages, {est.attempts:,} send attempts, about "
        f"{est.memory_bytes / 2**20:,.0f} MiB and {est.seconds:,.0f} s", verbose=True)  # fmt: skip
    if est.problems and not args.force:
        warn("run", f"refused before starting: {'; '.join(est.problems)}; or use --force to run anyway")
        return EXIT_BAD_INPUT
    out = Path(args.out) if args.out is not None else Path("results") / scenario.name
    check_target(out, args.force, protect=(args.scenario,))  # before the lock: a refusal writes nothing
    report = None if args.no_report else _report_hook()
    forecast: list[str] = []
    if scenario.state is not None:
        report = _forecast_hook(scenario, report, forecast)
    with sigterm_as_interrupt(), FolderLock(out):
        results = run_to_folder(
            scenario,
            out,
            replications,
            seed,
            executor,
            args.tables,
            args.force,
            precision=0.05 if args.precision is None else args.precision,
            kpi=args.kpi,
            max_replications=args.max_replications,
            progress=progress_wanted(args),
            protect=(args.scenario,),
            before_commit=report,
            figures=write_figures,
        )
    n = len(results.runs)
    how = (
        f" (auto: {args.kpi} CI within {100 * (args.precision or 0.05):g}% of its mean)"
        if replications == "auto"
        else ""
    )
    say(args, f"{scenario.name}: {n} replication{'s' if n != 1 else ''}{how}, seed {results.seed} -> {out}")
    say(args, headline_text(results.summary()))
    for line in forecast:
        say(args, line)
    return 0


def _forecast_hook(scenario: Any, then: Callable[[Path], None] | None, lines: list[str]) -> Callable[[Path], None]:
    """Write forecast.json before the folder is committed (then the report); keep its terminal lines."""
    from ..output.forecast import write_forecast

    def write(folder: Path) -> None:
        lines.extend(write_forecast(scenario, folder))
        if then is not None:
            then(folder)

    return write


def _report_hook() -> Callable[[Path], None]:
    from ..present.report import write_report

    def write(folder: Path) -> None:
        write_report(folder, rebuild_figures=False)  # the figures just drawn

    return write
