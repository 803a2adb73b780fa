"""Damaged results folders given to `report` and `compare`: exit 2, one line naming the folder or file,
no traceback, and no file that was there is lost."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from .helpers import BASELINE, cli, copy_folder, refused, snapshot


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: max(1, path.stat().st_size // 3)])


DAMAGE: dict[str, Callable[[Path], None]] = {
    "runs.parquet truncated": lambda f: _truncate(f / "runs.parquet"),
    "runs.parquet empty": lambda f: (f / "runs.parquet").write_bytes(b""),
    "runs.parquet is text": lambda f: (f / "runs.parquet").write_text("not parquet"),
    "runs.parquet is a folder": lambda f: ((f / "runs.parquet").unlink(), (f / "runs.parquet").mkdir()),
    "runs.parquet missing": lambda f: (f / "runs.parquet").unlink(),
}
REPORT_DAMAGE: dict[str, Callable[[Path], None]] = {
    "summary.json corrupt": lambda f: (f / "summary.json").write_text("{not json"),
    "summary.json a list": lambda f: (f / "summary.json").write_text("[1, 2]"),
    "summary.json empty": lambda f: (f / "summary.json").write_text(""),
    "scenario.resolved.yaml corrupt": lambda f: (f / "scenario.resolved.yaml").write_text("a: [unclosed"),
    "scenario.resolved.yaml invalid": lambda f: (f / "scenario.resolved.yaml").write_text("horizon_days: -3\n"),
    "scenario.resolved.yaml missing": lambda f: (f / "scenario.resolved.yaml").unlink(),
    "inmails.parquet truncated": lambda f: _truncate(f / "inmails.parquet"),
    "seat_days.parquet truncated": lambda f: _truncate(f / "seat_days.parquet"),
    "figures is a file": lambda f: (shutil.rmtree(f / "figures"), (f / "figures").write_text("x")),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE), ids=sorted(DAMAGE))
def test_compare_of_a_damaged_folder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, made_run: Path, damage: str
) -> None:
    folder = copy_folder(made_run, tmp_path / "res")
    DAMAGE[damage](folder)
    before = snapshot(tmp_path)
    refused(cli(capsys, "compare", folder, made_run, "-q"), "runs.parquet")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("damage", sorted(DAMAGE) + sorted(REPORT_DAMAGE), ids=sorted(DAMAGE) + sorted(REPORT_DAMAGE))
def test_report_of_a_damaged_folder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, made_run: Path, damage: str
) -> None:
    folder = copy_folder(made_run, tmp_path / "res")
    {**DAMAGE, **REPORT_DAMAGE}[damage](folder)
    before = set(snapshot(folder))
    result = cli(capsys, "report", folder)
    assert "Traceback" not in result.err
    if result.code == 0:  # the report says what it could not draw and keeps what was there
        assert before <= set(snapshot(folder)), "report lost files"
        return
    refused(result, "res")
    assert before <= set(snapshot(folder)), "report lost files"


@pytest.mark.parametrize("target", ["missing", "a file", "empty folder"])
def test_report_of_no_results(capsys: pytest.CaptureFixture[str], tmp_path: Path, target: str) -> None:
    path = tmp_path / "x"
    if target == "a file":
        path.write_text("x")
    elif target == "empty folder":
        path.mkdir()
    before = snapshot(tmp_path)
    refused(cli(capsys, "report", path), "x")
    assert snapshot(tmp_path) == before


SWEEP_DAMAGE: dict[str, Callable[[Path], None]] = {
    "sweep.json corrupt": lambda f: (f / "sweep.json").write_text("{"),
    "sweep.json a string": lambda f: (f / "sweep.json").write_text('"x"'),
    "points.parquet truncated": lambda f: _truncate(f / "points.parquet"),
    "a point's summary.json corrupt": lambda f: next((f / "points").iterdir()).joinpath("summary.json").write_text("{"),
}


@pytest.mark.parametrize("damage", sorted(SWEEP_DAMAGE), ids=sorted(SWEEP_DAMAGE))
def test_report_of_a_damaged_sweep(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, made_sweep: tuple[Path, Path], damage: str
) -> None:
    folder = copy_folder(made_sweep[0], tmp_path / "sw")
    SWEEP_DAMAGE[damage](folder)
    before = set(snapshot(folder))
    result = cli(capsys, "report", folder)
    assert "Traceback" not in result.err
    if result.code != 0:
        refused(result, "sw")
    assert before <= set(snapshot(folder))


def test_resuming_a_sweep_with_a_corrupt_sweep_json_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, made_sweep: tuple[Path, Path]
) -> None:
    folder = copy_folder(made_sweep[0], tmp_path / "sw")
    (folder / "sweep.json").write_text("{")
    before = snapshot(tmp_path)
    result = cli(capsys, "sweep", made_sweep[1], "--out", folder, "--executor", "serial", "-q")
    refused(result, "other results", "--force")
    assert snapshot(tmp_path) == before


def test_compare_of_a_folder_and_a_missing_scenario(capsys: pytest.CaptureFixture[str], made_run: Path) -> None:
    refused(cli(capsys, "compare", made_run, "nosuch.yaml", "-q"), "nosuch.yaml")


def test_compare_of_a_scenario_and_an_empty_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    refused(cli(capsys, "compare", tmp_path / "empty", BASELINE, "-q"), "empty", "runs.parquet")
