"""What every command shares: the common flags, checking a flag's value (exit 2 naming the flag), the
executor from the flags, and the line printed for an error."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..runner.executors import ExecutorError, ExecutorName, ExecutorSpec

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1
T = TypeVar("T")
if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[Any]  # the parsers of the commands; each module adds its own
else:
    Subparsers = argparse._SubParsersAction


class UsageError(Exception):
    """A flag or argument the user gave is wrong: one line naming it, exit status 2."""


def flag(check: Callable[..., T], value: Any, name: str) -> T:
    """`check(value)`, with its ValueError turned into a UsageError that names the flag `name`."""
    try:
        return check(value)
    except ValueError as err:
        reason = str(err).split(": ", 1)[-1]
        raise UsageError(f"{name}: {reason}") from None


def whole_number(text: str) -> int:
    """An argparse type: a whole number (its range is checked where it is used, naming the flag)."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number (got {text!r})") from None


def add_output_flags(p: argparse.ArgumentParser, what: str = "results folder") -> None:
    p.add_argument("--out", type=Path, help=f"the {what} (default results/<scenario name>)")
    p.add_argument(
        "--force",
        action="store_true",
        help="replace an existing folder, only one inmail-sim made that holds no file it did not write",
    )


def add_run_flags(p: argparse.ArgumentParser) -> None:
    """--seed, --set and the executor flags of the commands that simulate."""
    p.add_argument("--seed", type=whole_number, help="root of the random streams (default: the scenario's seed)")
    p.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="change one scenario field, e.g. team.0.daily_target=15 (repeatable)",
    )
    p.add_argument("--jobs", type=whole_number, help="local worker processes (default: all cores)")
    p.add_argument("--executor", choices=["serial", "processes", "dask"], help="where replications run")
    p.add_argument("--scheduler", help="address of a running Dask scheduler (implies --executor dask)")


def executor_from_args(args: argparse.Namespace) -> ExecutorSpec:
    """The executor the flags ask for, or UsageError naming the flag."""
    default: ExecutorName = "dask" if getattr(args, "scheduler", None) else "processes"
    kind: ExecutorName = getattr(args, "executor", None) or default
    if getattr(args, "scheduler", None) and kind != "dask":
        raise UsageError(f"--scheduler: needs --executor dask (got --executor {kind})")
    try:
        return ExecutorSpec(kind, getattr(args, "jobs", None), getattr(args, "scheduler", None))
    except ExecutorError as err:
        raise UsageError(f"--{err}") from None


def say(args: argparse.Namespace, text: str, verbose: bool = False) -> None:
    """A line on stdout unless --quiet; with `verbose`, only under --verbose."""
    if getattr(args, "quiet", False) or (verbose and not getattr(args, "verbose", False)):
        return
    print(text)


def warn(command: str, text: str) -> None:
    print(f"{command}: {text}", file=sys.stderr)


def progress_wanted(args: argparse.Namespace) -> bool:
    return not getattr(args, "quiet", False) and sys.stderr.isatty()
