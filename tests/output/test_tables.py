"""Tables analysts can query: every table of a results folder reads with DuckDB and polars, with the same
schema whether or not it has rows, dates as DATE, UTC timestamps beside the day offsets, and the scenario's
name, seed and start in the Parquet metadata and summary.json."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim import run
from sim.cli import main
from sim.config.scenario import load_scenario
from sim.output.writer import METADATA_KEY

from ..conftest import ROOT

TABLES = ("inmails", "seat_days", "account_days", "credits", "runs")
SMALL = ["--replications", "2", "--executor", "serial", "--quiet"]


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tables")
    scenario = str(ROOT / "scenarios/baseline.yaml")
    made = {"sending": root / "sending", "silent": root / "silent"}
    assert main(["run", scenario, "--out", str(made["sending"]), "--set", "horizon_days=15", *SMALL]) == 0
    silent = ["--set", "horizon_days=8", "--set", "team.0.daily_target=0"]
    assert main(["run", scenario, "--out", str(made["silent"]), *silent, *SMALL]) == 0
    return made


def _schema(path: Path) -> pa.Schema:
    return pq.read_schema(path).remove_metadata()


@pytest.mark.parametrize("table", TABLES)
def test_every_table_reads_with_duckdb_and_polars(folders: dict[str, Path], table: str) -> None:
    for folder in folders.values():
        path = folder / f"{table}.parquet"
        rows = duckdb.sql(f"select count(*) from read_parquet('{path}')").fetchall()[0][0]
        assert pl.read_parquet(path).height == rows == pq.read_metadata(path).num_rows


@pytest.mark.parametrize("table", TABLES)
def test_schema_does_not_depend_on_the_data(folders: dict[str, Path], table: str) -> None:
    """The bug: a run that sends nothing wrote no inmails.parquet, and empty columns were null-typed."""
    sending, silent = (_schema(folders[k] / f"{table}.parquet") for k in ("sending", "silent"))
    assert sending.equals(silent), (sending, silent)
    assert not [f.name for f in silent if pa.types.is_null(f.type)]


def test_a_run_that_sends_nothing_writes_an_empty_inmails_table(folders: dict[str, Path]) -> None:
    assert pq.read_metadata(folders["silent"] / "inmails.parquet").num_rows == 0


def test_dates_are_dates_and_times_have_utc_timestamps(folders: dict[str, Path]) -> None:
    folder = folders["sending"]
    for table in ("seat_days", "account_days", "credits"):
        assert duckdb.sql(f"select typeof(date) from '{folder / table}.parquet' limit 1").fetchall() == [("DATE",)]
    inmails = pd.read_parquet(folder / "inmails.parquet")
    start = pd.Timestamp("2026-01-05", tz="UTC")
    for at in ("sent_at", "read_at", "responded_at", "refunded_at", "followed_up_at"):
        stamp = inmails[at.replace("_at", "_time")]
        assert str(stamp.dtype) == "datetime64[us, UTC]"
        np.testing.assert_array_equal(stamp.isna(), inmails[at].isna())  # NaN days, NaT timestamps
        days = (stamp - start) / pd.Timedelta(days=1)
        np.testing.assert_allclose(days.dropna(), inmails[at].dropna(), atol=1e-9)
    got = duckdb.sql(f"select min(sent_time) >= TIMESTAMPTZ '2026-01-05 00:00:00+00' from '{folder}/inmails.parquet'")
    assert got.fetchall() == [(True,)]


def test_metadata_names_the_scenario_seed_and_start(folders: dict[str, Path]) -> None:
    for folder in folders.values():
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        assert (summary["scenario"], summary["start"]) == ("baseline", "2026-01-05")
        for table in TABLES:
            meta = json.loads(pq.read_schema(folder / f"{table}.parquet").metadata[METADATA_KEY])
            assert meta == {"scenario": "baseline", "seed": summary["seed"], "start": "2026-01-05"}


def test_results_save_writes_the_same_schemas(folders: dict[str, Path], tmp_path: Path) -> None:
    scenario = load_scenario(ROOT / "scenarios/baseline.yaml", ["horizon_days=8", "team.0.daily_target=0"])
    saved = run(scenario, replications=1, seed=5).save(tmp_path / "saved")
    for table in TABLES:
        assert _schema(saved / f"{table}.parquet").equals(_schema(folders["sending"] / f"{table}.parquet")), table


def test_one_name_per_concept_across_tables_and_kpis(folders: dict[str, Path]) -> None:
    runs = set(pq.read_schema(folders["sending"] / "runs.parquet").names)
    seat_days = set(pq.read_schema(folders["sending"] / "seat_days.parquet").names)
    account_days = set(pq.read_schema(folders["sending"] / "account_days.parquet").names)
    blocked = {c for c in seat_days if "blocked" in c}
    assert blocked and blocked <= runs  # sends_blocked_<reason>, the KPI's name
    assert {c for c in account_days if c.startswith("credits_")} <= runs
    assert "inmails_sent" in seat_days & runs and "credit_balance" in seat_days & account_days


def test_read_frame_gives_what_pandas_reads(tmp_path: Path) -> None:
    """The tables read back for the figures, with Arrow's memory let go of column by column, are the frames
    `pd.read_parquet` gives, for every table of a results folder."""
    from sim.output.writer import read_frame

    out = tmp_path / "run"
    assert main(["run", str(ROOT / "scenarios/baseline.yaml"), "--out", str(out), "--set", "horizon_days=15",
                 "--replications", "2", "--quiet", "--no-report"]) == 0  # fmt: skip
    tables = sorted(out.glob("*.parquet"))
    assert {p.stem for p in tables} >= {"inmails", "credits", "seat_days", "account_days", "runs"}
    for path in tables:
        pd.testing.assert_frame_equal(read_frame(path), pd.read_parquet(path))
