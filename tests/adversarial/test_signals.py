"""Signals and pipes: SIGTERM is handled like SIGINT (exit 143 / 130), pool workers are stopped before the
temporary folder goes, no child process outlives the command, and a closed pipe ends quietly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .helpers import BASELINE

LONG = ["--set", "horizon_days=60", "--set", "candidates.population=20000", "--replications", "60", "-q"]


def _children(pid: int) -> set[int]:
    """Every descendant of `pid` still alive (from /proc)."""
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        parent = frontier.pop()
        try:
            kids = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        new = {int(k) for k in kids} - found
        found |= new
        frontier |= new
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _start(tmp_path: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.Popen(
        [sys.executable, "-m", "sim", *args], stderr=subprocess.PIPE, stdout=subprocess.PIPE, cwd=tmp_path, env=env
    )


def _wait_for_workers(proc: subprocess.Popen[bytes], count: int, limit: float = 60) -> set[int]:
    deadline = time.time() + limit
    while time.time() < deadline and proc.poll() is None:
        kids = _children(proc.pid)
        if len(kids) >= count:
            time.sleep(1.0)  # the workers are simulating
            return _children(proc.pid)
        time.sleep(0.05)
    pytest.fail("the command started no workers")


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc")
@pytest.mark.parametrize(("sig", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["TERM", "INT"])
def test_a_signal_to_a_pool_run_stops_every_worker(tmp_path: Path, sig: int, status: int) -> None:
    proc = _start(tmp_path, "run", str(BASELINE), "--out", "res", "--jobs", "2", *LONG)
    workers = _wait_for_workers(proc, 2)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == status, err
    assert b"Traceback" not in err
    assert not any(_alive(pid) for pid in workers), "a worker outlived the command"
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "a temporary folder or lock stayed"


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc")
def test_sigterm_to_a_pool_sweep_keeps_finished_points_only(tmp_path: Path) -> None:
    proc = _start(
        tmp_path, "sweep", str(BASELINE), "--factor", "team.0.daily_target=5,6,7,8,9,10", "--out", "sw", "--jobs",
        "2", "--set", "horizon_days=40", "--set", "candidates.population=20000", "--replications", "4", "-q",
    )  # fmt: skip
    workers = _wait_for_workers(proc, 2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode in (0, 143), err
    assert b"Traceback" not in err
    assert not any(_alive(pid) for pid in workers)
    points = tmp_path / "sw" / "points"
    leftovers = [p.name for p in points.iterdir() if p.name.startswith(".")] if points.exists() else []
    assert leftovers == []
    for folder in points.iterdir() if points.exists() else []:
        assert (folder / "summary.json").is_file() and (folder / "runs.parquet").is_file()


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    for command in ("presets", "schema"):
        proc = subprocess.Popen([sys.executable, "-m", "sim", command], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env)  # fmt: skip
        assert proc.stdout is not None
        proc.stdout.readline()
        proc.stdout.close()
        err = proc.stderr.read() if proc.stderr else b""
        proc.wait(timeout=30)
        assert err == b"", err
        assert proc.returncode in (0, 141)


def test_an_unreachable_scheduler_is_refused_within_seconds(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed")
    from .helpers import TINY, cli, refused

    quick = [*TINY, "--no-report", "-q"]
    start = time.perf_counter()
    result = cli(capsys, "run", BASELINE, "--out", tmp_path / "res", *quick, "--scheduler", "tcp://127.0.0.1:9")
    assert time.perf_counter() - start < 20
    refused(result, "--scheduler", "127.0.0.1:9")
    assert list(tmp_path.iterdir()) == []
    refused(cli(capsys, "run", BASELINE, "--out", tmp_path / "res", *quick, "--scheduler", "::::"), "--scheduler")
    assert list(tmp_path.iterdir()) == []
