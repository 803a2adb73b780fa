"""The folder lock: an flock (filelock), so a crashed holder never blocks and two processes never both
hold it."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.runner.guard import FolderBusyError, FolderLock

from .helpers import BASELINE, QUICK, cli, refused


def _contend(folder: str, log: str, tries: int) -> None:
    for _ in range(tries):
        try:
            with FolderLock(Path(folder)), open(log, "a") as out:
                out.write("in\n")
                out.flush()
                time.sleep(0.001)
                out.write("out\n")
        except FolderBusyError:
            time.sleep(0.0005)


def test_two_holders_in_one_process_are_refused(tmp_path: Path) -> None:
    with FolderLock(tmp_path / "res"), pytest.raises(FolderBusyError, match="another inmail-sim process"):
        FolderLock(tmp_path / "res").__enter__()


def test_contending_processes_never_both_hold_it(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_contend, args=(str(tmp_path / "res"), str(log), 60)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    lines = log.read_text().split()
    assert lines and all(lines[i] == "in" and lines[i + 1] == "out" for i in range(0, len(lines), 2))


def test_a_lock_file_left_by_a_killed_process_does_not_hold(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from sim.runner.guard import FolderLock;"
         f"lock = FolderLock(Path({str(tmp_path / 'res')!r})).__enter__(); print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
    with pytest.raises(FolderBusyError):
        FolderLock(tmp_path / "res").__enter__()
    holder.kill()
    holder.wait()
    with FolderLock(tmp_path / "res"):
        pass


def test_run_into_a_folder_another_process_writes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with FolderLock(tmp_path / "res"):
        result = cli(capsys, "run", BASELINE, "--out", tmp_path / "res", *QUICK)
    refused(result, "another inmail-sim process", "res")
    assert not (tmp_path / "res").exists()


def test_sweep_into_a_folder_another_process_writes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with FolderLock(tmp_path / "out"):
        result = cli(capsys, "sweep", BASELINE, "--factor", "team.0.daily_target=1,2", "--out", tmp_path / "out",
                     "--executor", "serial", "-q")  # fmt: skip
    refused(result, "another inmail-sim process")
    assert not (tmp_path / "out").exists()
