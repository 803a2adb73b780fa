"""`inmail-sim compare A B`: paired differences B - A per KPI, from scenario files or results folders."""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import Subparsers, UsageError, add_run_flags, executor_from_args, flag, say, warn, whole_number


def add_parser(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    cmp_ = sub.add_parser("compare", parents=[common], help="paired differences B - A per KPI with 95%% CIs")
    cmp_.add_argument("a", type=Path, help="scenario file or results folder (a run or a sweep point)")
    cmp_.add_argument("b", type=Path, help="scenario file or results folder")
    cmp_.add_argument("--replications", type=whole_number, help="replications of scenario files (default: A's)")
    cmp_.add_argument("--out", type=Path, help="write compare.csv and compare.png into this new folder")
    cmp_.add_argument(
        "--force", action="store_true", help="replace an existing --out folder that an earlier compare made"
    )
    add_run_flags(cmp_)
    cmp_.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..output.compare import compare
    from ..output.storage import atomic_folder, check_target
    from ..runner.experiment import check_replications, check_seed
    from ..runner.signals import sigterm_as_interrupt

    if args.replications is not None:
        flag(check_replications, args.replications, "--replications")
    if args.seed is not None:
        flag(check_seed, args.seed, "--seed")
    executor = executor_from_args(args)
    if args.a.is_dir() and args.b.is_dir():
        given = [
            name
            for name, v in (("--set", args.sets), ("--replications", args.replications), ("--seed", args.seed))
            if v
        ]
        if given:
            raise UsageError(
                f"{', '.join(given)}: not used when comparing two results folders (they hold finished runs); "
                "compare scenario files to run them with other settings"
            )
    if args.out is not None:
        check_target(args.out, args.force, protect=(args.a, args.b))
    with sigterm_as_interrupt():
        result = compare(args.a, args.b, args.sets, args.replications, args.seed, executor)
        for line in result.warnings:
            warn("compare: warning", line)
        table = result.table
        if args.out is not None:
            from ..present import plots

            with atomic_folder(args.out, args.force, kind="compare", protect=(args.a, args.b)) as tmp:
                table.to_csv(tmp / "compare.csv", index=False, float_format="%.6g")
                plots.save_figure(plots.paired_differences(table), tmp / "compare.png")
    if not args.quiet:
        say(args, f"B - A, paired over {int(table['n'].max()) if len(table) else 0} replications (95% CI)")
        with pd.option_context(
            "display.width", 160, "display.max_columns", 20, "display.float_format", "{:.4g}".format
        ):
            print(table.to_string(index=False))
    return 0
