"""`inmail-sim validate`, `schema` and `presets`: read-only commands about scenarios and rule presets."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .common import EXIT_BAD_INPUT, Subparsers


def add_parsers(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    val = sub.add_parser("validate", parents=[common], help="check a scenario file; exit 2 listing every problem")
    val.add_argument("scenario", type=Path, help="the scenario file (YAML)")
    val.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="change one scenario field before checking, e.g. team.0.daily_target=15 (repeatable)",
    )
    val.set_defaults(handler=validate)
    schema = sub.add_parser("schema", parents=[common], help="print the JSON Schema of scenario files")
    schema.set_defaults(handler=print_schema)
    pre = sub.add_parser("presets", parents=[common], help="print the rule presets")
    pre.add_argument("name", nargs="?", help="one preset (default: every preset, side by side)")
    pre.add_argument("--yaml", action="store_true", help="print one preset as YAML, to paste under rules.overrides")
    pre.set_defaults(handler=presets)


def validate(args: argparse.Namespace) -> int:
    from ..config.scenario import validate_file

    errors = validate_file(args.scenario, args.sets)
    if errors:
        print(f"{args.scenario}: invalid scenario", file=sys.stderr)
        for line in errors:
            print(f"  {line}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not args.quiet:
        print(f"{args.scenario}: valid")
    return 0


def print_schema(args: argparse.Namespace) -> int:
    from ..config.scenario import json_schema

    print(json.dumps(json_schema(), indent=2))
    return 0


def presets(args: argparse.Namespace) -> int:
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
