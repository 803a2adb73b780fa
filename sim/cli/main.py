"""The `inmail-sim` command line: run, sweep, compare, report, validate, schema, presets, calibrate."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="inmail-sim", description="Simulate recruiter InMail outreach under credit rules.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="run a scenario and write a results folder")
    run.add_argument("scenario", type=Path)
    run.add_argument("--out", type=Path, help="results folder (default results/<scenario name>)")
    run.add_argument("--replications", help="a number, or 'auto' to run until --precision is reached")
    run.add_argument("--precision", type=float, help="with --replications auto: CI half-width / mean (0.05)")
    run.add_argument("--kpi", default="response_rate", help="with --replications auto: the KPI to make precise")
    run.add_argument("--max-replications", type=int, default=200, help="with --replications auto: the most")
    run.add_argument(
        "--tables",
        choices=["full", "summary"],
        default="full",
        help="full: every table, per-InMail and credits rows streamed to Parquet (default); summary: KPIs and "
        "the daily tables only, in memory that does not grow with the horizon",
    )
    _common(run)
    run.add_argument("--no-report", action="store_true", help="do not write report.html")

    sweep = sub.add_parser("sweep", help="run every point of a sweep; rerun to resume")
    sweep.add_argument("scenario", type=Path)
    sweep.add_argument("--factor", dest="factors", action="append", default=[], metavar="KEY=V1,V2,...")
    sweep.add_argument("--out", type=Path, help="results folder (default results/<scenario name>)")
    sweep.add_argument("--replications", type=int)
    _common(sweep)
    sweep.add_argument("--no-report", action="store_true", help="do not write report.html")

    cmp_ = sub.add_parser("compare", help="paired differences B - A per KPI with 95%% CIs")
    cmp_.add_argument("a", type=Path, help="scenario file or results folder (a run or a sweep point)")
    cmp_.add_argument("b", type=Path, help="scenario file or results folder")
    cmp_.add_argument("--replications", type=int)
    cmp_.add_argument("--out", type=Path, help="write compare.csv and compare.png here")
    _common(cmp_)

    rep = sub.add_parser("report", help="rebuild the figures and report.html of a results folder (run or sweep)")
    rep.add_argument("folder", type=Path, help="a results folder of `inmail-sim run` or `inmail-sim sweep`")
    rep.add_argument("--quiet", action="store_true", help="do not print the report's path")

    val = sub.add_parser("validate", help="check a scenario file; exit 2 listing every problem")
    val.add_argument("scenario", type=Path)
    val.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")

    from .recommend import add_parser as add_recommend

    add_recommend(sub)

    sub.add_parser("schema", help="print the JSON Schema of scenario files")

    pre = sub.add_parser("presets", help="print the rule presets")
    pre.add_argument("name", nargs="?")
    pre.add_argument("--yaml", action="store_true", help="print one preset as YAML")

    from .calibrate import add_parser as add_calibrate

    add_calibrate(sub)
    return parser


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int)
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--quiet", action="store_true", help="no progress or summary on the terminal")
    p.add_argument("--force", action="store_true", help="replace an existing results folder")
    p.add_argument("--jobs", type=int, help="local worker processes (default: all cores)")
    p.add_argument("--executor", choices=["serial", "processes", "dask"], help="where replications run")
    p.add_argument("--scheduler", help="address of a running Dask scheduler (implies --executor dask)")


def _cmd_validate(args: argparse.Namespace) -> int:
    from ..config.scenario import validate_file

    errors = validate_file(args.scenario, args.sets)
    if errors:
        print(f"{args.scenario}: invalid scenario", file=sys.stderr)
        for line in errors:
            print(f"  {line}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"{args.scenario}: valid")
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    from ..config.scenario import json_schema

    print(json.dumps(json_schema(), indent=2))
    return 0


def _cmd_presets(args: argparse.Namespace) -> int:
    from ..rules.presets import UnknownPresetError
    from ..rules.printing import preset_yaml, presets_table

    try:
        if args.yaml or args.name:
            print(preset_yaml(args.name or "seed") if args.yaml else presets_table([args.name]))
        else:
            print(presets_table())
    except UnknownPresetError as err:
        print(f"presets: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from ..runner.experiment import run_command

    return run_command(args)


def _cmd_sweep(args: argparse.Namespace) -> int:
    from ..config.scenario import ScenarioError
    from ..runner.experiment import executor_from_args
    from ..runner.guard import FolderBusyError, estimate
    from ..runner.sweep import run_sweep

    if args.replications is not None and args.replications < 1:
        print(f"sweep: --replications must be at least 1 (got {args.replications})", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        from ..runner.sweep import load_sweep

        base, _, points = load_sweep(args.scenario, args.sets, args.factors)
        out = args.out or Path("results") / base.name
        problems = sorted({msg for p in points for msg in estimate(p.scenario, args.replications, False).problems})
        if problems and not args.force:
            print(f"sweep: refused before starting: {'; '.join(problems)}; or use --force", file=sys.stderr)
            return EXIT_BAD_INPUT
        finished, failed = run_sweep(
            args.scenario,
            out,
            args.sets,
            args.factors,
            args.replications,
            args.seed,
            executor_from_args(args),
            args.force,
            progress=not args.quiet and sys.stderr.isatty(),
            report=not args.no_report,
        )
    except ScenarioError as err:
        print(str(err), file=sys.stderr)
        return EXIT_BAD_INPUT
    except (FileExistsError, FolderBusyError) as err:
        print(f"sweep: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not args.quiet:
        print(f"{base.name}: {len(finished)} points finished -> {out}")
    if failed:
        print(f"sweep: {len(failed)} point(s) failed (see error.txt in each folder):", file=sys.stderr)
        for pid in failed:
            print(f"  {out / 'points' / pid}", file=sys.stderr)
        return 1
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from ..present.report import report_command

    return report_command(args.folder, args.quiet)


def _cmd_compare(args: argparse.Namespace) -> int:
    from ..runner.compare import compare_command

    return compare_command(args)


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from .calibrate import command

    return command(args)


def _cmd_recommend(args: argparse.Namespace) -> int:
    from .recommend import recommend_command

    return recommend_command(args)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler = {
        "run": _cmd_run,
        "sweep": _cmd_sweep,
        "compare": _cmd_compare,
        "report": _cmd_report,
        "validate": _cmd_validate,
        "schema": _cmd_schema,
        "presets": _cmd_presets,
        "calibrate": _cmd_calibrate,
        "recommend": _cmd_recommend,
    }[args.command]
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130

