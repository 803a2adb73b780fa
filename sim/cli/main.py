"""The `inmail-sim` command line: the parser (one module per command adds its own) and the one place that
turns every failure into a one-line message and an exit status:

    0 done, 1 an internal error (or a sweep point that failed), 2 bad input or environment (a flag, a
    scenario, a path, a damaged folder, a busy folder, an unreachable scheduler), 130 interrupted (SIGINT),
    143 terminated (SIGTERM), 141 the output pipe was closed. `--debug` shows the traceback instead."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from . import compare, init, report, run, sweep, validate
from .common import EXIT_BAD_INPUT, EXIT_INTERNAL, Subparsers, UsageError

EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a command whose reader went away


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def _version() -> str:
    from .. import __version__

    return f"inmail-sim {__version__}"


def parser() -> argparse.ArgumentParser:
    """The whole command line: every command with the flags every command has (-q, -v, --debug)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-q", "--quiet", action="store_true", help="no progress or summary on the terminal")
    common.add_argument("-v", "--verbose", action="store_true", help="say more: estimates, executors, paths")
    common.add_argument("--debug", action="store_true", help="show the Python traceback of an error")
    top = _Parser(prog="inmail-sim", description="Simulate recruiter InMail outreach under credit rules.")
    top.add_argument("--version", action="version", version=_version(), help="print the version and exit")
    sub = top.add_subparsers(
        dest="command", required=True, parser_class=_Parser, metavar="COMMAND", help="what to do (COMMAND -h for more)"
    )
    run.add_parser(sub, common)
    sweep.add_parser(sub, common)
    compare.add_parser(sub, common)
    report.add_parser(sub, common)
    validate.add_parsers(sub, common)
    init.add_parser(sub, common)
    _add_decide_commands(sub)
    return top


def _add_decide_commands(sub: Subparsers) -> None:
    """`recommend` and `calibrate` register their own arguments; they get the common flags here."""
    from . import calibrate, recommend

    recommend.add_parser(sub)
    calibrate.add_parser(sub)
    sub.choices["recommend"].set_defaults(handler=recommend.recommend_command)
    sub.choices["calibrate"].set_defaults(handler=calibrate.command)
    for name in ("recommend", "calibrate"):
        p = sub.choices[name]
        have = set(p._option_string_actions)
        if "-q" not in have:
            p.add_argument("-q", "--quiet", action="store_true", help="no progress or summary on the terminal")
        if "-v" not in have:
            p.add_argument("-v", "--verbose", action="store_true", help="say more: estimates, executors, paths")
        if "--debug" not in have:
            p.add_argument("--debug", action="store_true", help="show the Python traceback of an error")


def _errors() -> tuple[type[BaseException], ...]:
    """The errors that mean bad input or environment (exit 2), not a bug."""
    from ..config.scenario import ScenarioError
    from ..output.storage import OutputFolderError
    from ..runner.executors import ExecutorError
    from ..runner.guard import FolderBusyError

    return (UsageError, ScenarioError, OutputFolderError, ExecutorError, FolderBusyError)


def _closed_pipe() -> int:
    """The reader of our output went away: say nothing more (and let Python's exit not complain)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return EXIT_BROKEN_PIPE


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    debug = bool(getattr(args, "debug", False))
    from ..runner.signals import exit_status

    try:
        status: int = args.handler(args)
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        return _closed_pipe()
    except KeyboardInterrupt as err:
        print("interrupted" if exit_status(err) == 130 else "terminated", file=sys.stderr)
        return exit_status(err)
    except Exception as err:
        if debug:
            raise
        return _report(args.command, err)


def _report(command: str, err: Exception) -> int:
    """One line on stderr for `err`; the exit status it means."""
    from ..output.storage import os_error_message

    if isinstance(err, _errors()):
        text = str(err)
        print(text if text.startswith(f"{command}:") or "\n" in text else f"{command}: {text}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if isinstance(err, OSError):
        print(f"{command}: {os_error_message(err)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if isinstance(err, MemoryError):
        print(f"{command}: out of memory; lower the scenario's size (see `inmail-sim run -v` for the estimate)",
              file=sys.stderr)  # fmt: skip
        return EXIT_INTERNAL
    print(f"{command}: internal error: {type(err).__name__}: {err} (rerun with --debug for the traceback)",
          file=sys.stderr)  # fmt: skip
    return EXIT_INTERNAL
