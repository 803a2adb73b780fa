"""Shared by the adversarial suite: run the CLI in-process, snapshot folders, and the checks every case
makes (exit status, one line naming the flag, field or path, no traceback, nothing written or lost)."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from sim.cli import main

from ..conftest import ROOT

BASELINE = ROOT / "scenarios" / "baseline.yaml"
TINY = ["--set", "horizon_days=3", "--set", "candidates.population=300", "--set", "replications=1"]
QUICK = [*TINY, "--executor", "serial", "--no-report", "-q"]


@dataclass
class Outcome:
    code: int
    out: str
    err: str


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> Outcome:
    """`inmail-sim ARGS` in this process: its exit status and what it printed."""
    capsys.readouterr()
    try:
        code = main([str(a) for a in args])
    except SystemExit as exit_:  # argparse's own errors
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and folder under `folder` with a digest of its bytes (folders and links marked)."""
    found: dict[str, str] = {}
    if not folder.exists():
        return found
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        if path.is_symlink():
            found[rel] = f"link:{path.readlink()}"
        elif path.is_dir():
            found[rel] = "dir"
        else:
            found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def refused(result: Outcome, *named: str, code: int = 2) -> None:
    """The command failed with `code`, one message line (plus argparse's usage line) naming each of `named`."""
    assert result.code == code, (result.code, result.err)
    assert "Traceback" not in result.err and "Traceback" not in result.out
    # argparse's usage block and a scenario's indented list of problems are not message lines
    lines = [line for line in result.err.splitlines() if line.strip() and not line[0].isspace()]
    lines = [line for line in lines if not line.startswith("usage:")]
    assert len(lines) == 1, result.err
    for text in named:
        assert text in result.err, (text, result.err)


def scenario_copy(folder: Path, name: str = "s.yaml", text: str | None = None) -> Path:
    """The baseline scenario (or `text`) written into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text if text is not None else BASELINE.read_text())
    return path


def copy_folder(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, symlinks=True)
    return target
