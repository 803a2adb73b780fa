"""`inmail-sim report DIR`: rebuild the figures and report.html of a results folder (a run or a sweep)."""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import Subparsers, UsageError


def add_parser(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    rep = sub.add_parser(
        "report", parents=[common], help="rebuild the figures and report.html of a results folder (run or sweep)"
    )
    rep.add_argument("folder", type=Path, help="a results folder of `inmail-sim run` or `inmail-sim sweep`")
    rep.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from ..output.storage import shown
    from ..present.report import report_command

    folder: Path = args.folder
    if not folder.is_dir():
        raise UsageError(f"report: {shown(folder)}: {'is not a folder' if folder.exists() else 'no such folder'}")
    try:
        return report_command(folder, args.quiet)
    except (ValueError, KeyError, TypeError, AttributeError, _yaml_error()) as err:
        raise UsageError(
            f"report: {shown(folder)}: a damaged results folder ({type(err).__name__}: {_first_line(err)}); "
            "rerun the command that made it"
        ) from None


def _yaml_error() -> type[Exception]:
    import yaml

    return yaml.YAMLError


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0][:160] if text else "no detail"
