"""Bounded input: a scenario or export path that is not a regular file (a FIFO, a device, a folder) or is
far too large is refused at once, named, exit 2: never a hang, never a read until memory runs out."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from sim.config.files import NotAFileError, TooLargeError, read_bounded
from sim.config.yaml_reader import MAX_FILE_BYTES

from .helpers import BASELINE, cli, refused, snapshot


def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "s.yaml"
    os.mkfifo(path)
    return path


def _huge(tmp_path: Path) -> Path:
    path = tmp_path / "s.yaml"
    with path.open("wb") as handle:  # a sparse file: large, but cheap to make
        handle.truncate(MAX_FILE_BYTES + 10)
    return path


MAKERS = {"fifo": _fifo, "over the size limit": _huge}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_a_scenario_that_is_not_a_small_regular_file_is_refused_at_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str, kind: str
) -> None:
    (tmp_path / "in").mkdir()
    path = MAKERS[kind](tmp_path / "in")
    work = tmp_path / "work"
    work.mkdir()
    before = snapshot(work)  # (a snapshot reads each file: not the FIFO)
    start = time.monotonic()
    args = [command, path] if command == "validate" else [command, path, "--out", work / "res", "-q"]
    result = cli(capsys, *args)
    assert time.monotonic() - start < 10
    refused(result, "s.yaml")
    assert snapshot(work) == before and path.exists()


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_an_endless_device_is_refused_not_read(capsys: pytest.CaptureFixture[str]) -> None:
    refused(cli(capsys, "validate", "/dev/zero"), "/dev/zero", "not a regular file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_calibration_export_that_is_a_fifo_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    export = _fifo(tmp_path)
    refused(cli(capsys, "calibrate", export, "--scenario", BASELINE, "--out", tmp_path / "fit", "-q"), "s.yaml")


def test_read_bounded_reads_a_file_up_to_its_limit(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 100)
    assert read_bounded(path, 100) == b"x" * 100
    with pytest.raises(TooLargeError):
        read_bounded(path, 99)
    with pytest.raises(NotAFileError):
        read_bounded(tmp_path, 100)
