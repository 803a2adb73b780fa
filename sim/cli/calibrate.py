"""`inmail-sim calibrate EXPORT.csv --scenario FILE`: fit the scenario's candidate behaviour to a team's own
InMail report export and write the fitted scenario, fitted.json and report.html."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

EXIT_BAD_INPUT = 2


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("calibrate", help="fit the candidate behaviour to an InMail report export, with 95% intervals")
    p.add_argument("export", type=Path, help="analytics.csv of a run, or LinkedIn's InMail report export (CSV)")
    p.add_argument("--scenario", type=Path, required=True, help="the scenario of the team that sent these InMails")
    p.add_argument("--out", type=Path, help="folder to write (default results/<scenario name>-calibrated)")
    p.add_argument("--as-of", help="date the export was taken, YYYY-MM-DD (default: end of its last period)")
    p.add_argument(
        "--window-days",
        type=float,
        help="responses count only within this many days of sending (default 30 for a LinkedIn export, "
        "the scenario's report window for an analytics.csv; 0 for none)",
    )
    p.add_argument("--checks", type=int, default=40, help="simulator runs of the posterior-predictive check (0: none)")
    p.add_argument("--seed", type=int, help="seed of the replays (default: the scenario's)")
    p.add_argument(
        "--set", dest="sets", action="append", default=[], metavar="KEY=VALUE", help="change one scenario field"
    )
    p.add_argument("--force", action="store_true", help="replace an existing calibration folder")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")


def _bad(message: str) -> int:
    print(f"calibrate: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _as_of(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--as-of: {text!r} is not a date (expected YYYY-MM-DD)") from None


def command(args: argparse.Namespace) -> int:
    from ..config.scenario import ScenarioError, load_scenario
    from ..decide.calibrate import calibrate
    from ..decide.calibrate_export import ExportError
    from ..decide.calibrate_output import write_calibration
    from ..output.storage import OutputFolderError, check_target, os_error_message

    try:
        as_of = _as_of(args.as_of)
        if args.checks < 0:
            raise ValueError(f"--checks: must be 0 or more (got {args.checks})")
        if args.window_days is not None and args.window_days < 0:
            raise ValueError(f"--window-days: must be 0 or more (got {args.window_days:g})")
        if args.seed is not None and args.seed < 0:
            raise ValueError(f"--seed: must be 0 or more (got {args.seed})")
        scenario = load_scenario(args.scenario, args.sets)
        out = args.out or Path("results") / f"{scenario.name}-calibrated"
        check_target(out, args.force, [args.export, args.scenario])  # refused before the work, not after
        cal = calibrate(args.export, scenario, as_of, args.window_days, args.checks, args.seed)
        write_calibration(cal, out, args.force, [args.scenario])
    except ScenarioError as err:
        print(str(err), file=sys.stderr)
        return EXIT_BAD_INPUT
    except ExportError as err:
        for line in err.problems:
            print(line, file=sys.stderr)
        return EXIT_BAD_INPUT
    except OutputFolderError as err:
        return _bad(str(err))
    except ValueError as err:
        return _bad(str(err))
    except OSError as err:
        return _bad(os_error_message(err))
    if not args.quiet:
        if cal.export.unknown:
            print(f"note: unknown columns not read: {', '.join(cal.export.unknown)}", file=sys.stderr)
        print(f"{scenario.name}: calibrated to {args.export} -> {out}")
        for s in cal.settings:
            mark = "" if s.identified else "  (not identified)"
            print(f"  {s.key:<42} {s.default:.4g} -> {s.value:.4g}  (95% CI {s.low:.4g} to {s.high:.4g}){mark}")
        if cal.check is not None:
            print(f"  posterior-predictive check p = {cal.check.p_value:.2f}")
    return 0
