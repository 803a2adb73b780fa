"""Sweeps: bounded before they are expanded, keys checked, and the points written as a hive dataset that
DuckDB and polars read."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from .helpers import BASELINE, cli, refused, snapshot


def _with_sweep(tmp_path: Path, sweep: object) -> Path:
    data = yaml.safe_load(BASELINE.read_text())
    data["sweep"] = sweep
    path = tmp_path / "p" / "s.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(yaml.safe_dump(data))
    return path


def _values(n: int) -> str:
    return ",".join(str(i) for i in range(1, n + 1))


@pytest.mark.parametrize(
    "factors",
    [[100, 100, 100], [2001], [50, 50], [10, 10, 10, 10]],
    ids=["100x100x100", "2001", "50x50", "10^4"],
)
def test_a_grid_too_large_is_refused_before_it_is_expanded(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, factors: list[int]
) -> None:
    keys = ["team.0.daily_target", "team.0.count", "accounts.0.seats", "candidates.population"]
    args = [a for k, n in zip(keys, factors, strict=False) for a in ("--factor", f"{k}={_values(n)}")]
    before = snapshot(tmp_path)
    start = time.perf_counter()
    result = cli(capsys, "sweep", BASELINE, *args, "--out", tmp_path / "out", "-q")
    assert time.perf_counter() - start < 20
    refused(result, "points", "2,000")
    assert snapshot(tmp_path) == before


def test_a_list_of_points_too_long_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = _with_sweep(tmp_path, {"points": [{"team.0.daily_target": i} for i in range(2001)]})
    before = snapshot(tmp_path)
    refused(cli(capsys, "sweep", path, "--out", tmp_path / "out", "-q"), "2,001", "points")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("sweep", "named"),
    [
        ({"factors": {"team.0.nosuch": [1, 2]}}, "team.0.nosuch"),
        ({"factors": {"team.0.daily_target": []}}, "team.0.daily_target"),
        ({"factors": {"team.0.daily_target": [1, -5]}}, "daily_target"),
        ({"factors": {"team.3.count": [1]}}, "team.3.count"),
        ({}, "sweep"),
        ({"factors": {"team.0.count": [1]}, "points": [{"team.0.count": 1}]}, "sweep"),
    ],
    ids=["missing key", "no values", "bad value", "index out of range", "empty", "grid and list"],
)
def test_bad_sweep_sections(capsys: pytest.CaptureFixture[str], tmp_path: Path, sweep: object, named: str) -> None:
    path = _with_sweep(tmp_path, sweep)
    before = snapshot(tmp_path)
    result = cli(capsys, "sweep", path, "--out", tmp_path / "out", "-q")
    assert result.code == 2 and "Traceback" not in result.err and named in result.err, result.err
    assert snapshot(tmp_path) == before


def test_point_folders_are_a_hive_dataset(made_sweep: tuple[Path, Path]) -> None:
    out, _ = made_sweep
    folders = sorted(p.name for p in (out / "points").iterdir())
    assert folders and all(f.startswith("point=") and f.count("=") == 1 for f in folders)
    import duckdb

    glob = str(out / "points" / "*" / "runs.parquet")
    table = duckdb.sql(
        f"SELECT point, count(*) AS n FROM read_parquet('{glob}', hive_partitioning = true) GROUP BY point"
    )
    rows = dict(table.fetchall())
    assert sorted(rows) == sorted(f.split("=", 1)[1] for f in folders)
    import polars as pl

    frame = pl.scan_parquet(glob, hive_partitioning=True).collect()
    assert sorted(frame["point"].unique().to_list()) == sorted(rows)


def test_full_tables_keep_each_points_tables(made_sweep: tuple[Path, Path]) -> None:
    out, _ = made_sweep
    for folder in (out / "points").iterdir():
        names = {p.name for p in folder.iterdir()}
        assert {"runs.parquet", "inmails.parquet", "credits.parquet", "seat_days.parquet"} <= names, names
        inmails = pd.read_parquet(folder / "inmails.parquet")
        assert set(inmails["replication"]) == {0}
    assert not list((out / "points").glob(".*"))  # no replication parts left behind


def test_rerun_resumes_and_a_changed_sweep_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, made_sweep: tuple[Path, Path]
) -> None:
    from .helpers import TINY, copy_folder

    out = copy_folder(made_sweep[0], tmp_path / "sw")
    same = cli(capsys, "sweep", made_sweep[1], "--out", out, *TINY, "--executor", "serial", "--tables", "full",
               "--no-report")  # fmt: skip
    assert same.code == 0 and "2 of 2 points already finished" in same.err, same.err
    before = snapshot(tmp_path)
    other = cli(capsys, "sweep", made_sweep[1], "--out", out, *TINY, "--executor", "serial", "--seed", "99", "-q")
    refused(other, "other results", "--force")
    assert snapshot(tmp_path) == before


def test_a_rerun_removes_points_half_written_by_a_killed_sweep(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, made_sweep: tuple[Path, Path]
) -> None:
    """A sweep killed (SIGKILL) while it wrote a point leaves `.NAME.incomplete-PID`; the next run of the
    same sweep removes it (its process is gone) and leaves the finished points."""
    from .helpers import TINY, copy_folder

    out = copy_folder(made_sweep[0], tmp_path / "sw")
    points = out / "points"
    finished = sorted(p.name for p in points.iterdir())
    dead = points / ".point=p001_gone.incomplete-999999999"
    dead.mkdir()
    (dead / "runs.parquet").write_bytes(b"half")
    again = cli(capsys, "sweep", made_sweep[1], "--out", out, *TINY, "--executor", "serial", "--tables", "full",
                "--no-report")  # fmt: skip
    assert again.code == 0, again.err
    assert sorted(p.name for p in points.iterdir()) == finished
