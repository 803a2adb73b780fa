"""The `inmail-sim` command line: run, validate, schema, presets."""

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
    run.add_argument("--replications", type=int)
    run.add_argument("--seed", type=int)
    run.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")
    run.add_argument("--quiet", action="store_true")
    run.add_argument("--force", action="store_true", help="replace an existing results folder")

    val = sub.add_parser("validate", help="check a scenario file; exit 2 listing every problem")
    val.add_argument("scenario", type=Path)
    val.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")

    sub.add_parser("schema", help="print the JSON Schema of scenario files")

    pre = sub.add_parser("presets", help="print the rule presets")
    pre.add_argument("name", nargs="?")
    pre.add_argument("--yaml", action="store_true", help="print one preset as YAML")
    return parser


def _cmd_validate(args: argparse.Namespace) -> int:
    from .scenario import validate_file

    errors = validate_file(args.scenario, args.sets)
    if errors:
        print(f"{args.scenario}: invalid scenario", file=sys.stderr)
        for line in errors:
            print(f"  {line}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"{args.scenario}: valid")
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    from .scenario import json_schema

    print(json.dumps(json_schema(), indent=2))
    return 0


def _cmd_presets(args: argparse.Namespace) -> int:
    from .rules.presets import UnknownPresetError
    from .rules.printing import preset_yaml, presets_table

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
    from .experiment import run_command

    return run_command(args)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler = {
        "run": _cmd_run,
        "validate": _cmd_validate,
        "schema": _cmd_schema,
        "presets": _cmd_presets,
    }[args.command]
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
