"""The tables written as Arrow pieces (`ReplicationWriter.messages` and `.credits`: columns from the engine's
numpy arrays, labels dictionary-encoded from integer codes) are the files the pandas frames of the same rows
made (`inmails_frame`, `credits_frame`, written through `add_inmails` and `add_credits`): byte for byte, and
the aggregates kept for the analytics and figures are the same."""

from __future__ import annotations

import filecmp
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import sim
from sim.model.fast import FastOutreach, labelled
from sim.output.analytics import _sum_parts
from sim.output.tables import credits_frame, inmails_frame
from sim.output.writer import ReplicationWriter, TableWriter, figure_inmails

from ..conftest import ROOT


class FramesWriter(ReplicationWriter):
    """The sink as it was: a pandas frame of every chunk of rows, written through the frame path."""

    def messages(self, columns: dict[str, np.ndarray], labels: Any) -> None:
        assert self._labels is not None
        frame = inmails_frame(self.replication, self.n_messages, labelled(columns, labels), *self._labels, self.start)
        self.n_messages += len(frame)
        self.add_inmails(frame)

    def credits(self, account: str, columns: dict[str, np.ndarray]) -> None:
        if account == self._first_account:
            self.add_credits(credits_frame(self.replication, account, columns, self.start))
        else:
            self._held.setdefault(account, []).append(columns)

    def finish(self) -> None:
        for account in sorted(self._held):
            parts = self._held.pop(account)
            columns = {name: np.concatenate([np.broadcast_to(p[name], (len(p["time"]),)) for p in parts])
                       for name in parts[0]}  # fmt: skip
            self.add_credits(credits_frame(self.replication, account, columns, self.start))


class Both:
    """A sink that hands every chunk to both writers."""

    def __init__(self, *sinks: ReplicationWriter) -> None:
        self.sinks = sinks

    def messages(self, columns: dict[str, np.ndarray], labels: Any) -> None:
        for sink in self.sinks:
            sink.messages({k: v.copy() for k, v in columns.items()}, labels)

    def credits(self, account: str, columns: dict[str, np.ndarray]) -> None:
        for sink in self.sinks:
            sink.credits(account, {k: np.array(v) for k, v in columns.items()})


SCENARIOS = {
    "baseline": (str(ROOT / "scenarios/baseline.yaml"), ["horizon_days=20"]),
    "three accounts": (str(ROOT / "scenarios/sales_navigator_team.yaml"), ["horizon_days=40"]),
    "email senders": (
        {
            "name": "mixed",
            "seed": 7,
            "start": "2026-03-02",
            "horizon_days": 30,
            "accounts": [{"name": "contract", "plan": "recruiter", "seats": 2}],
            "team": [
                {"name": "inmail", "count": 2, "daily_target": 15},
                {"name": "mail", "count": 2, "daily_target": 20, "channel": "email"},
            ],
            "candidates": {"population": 1500},
        },
        [],
    ),
}


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.astype({c: str for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])})
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


@pytest.mark.parametrize("name", SCENARIOS)
def test_arrow_pieces_write_the_files_the_frames_wrote(name: str, tmp_path: Path) -> None:
    source, sets = SCENARIOS[name]
    scenario = sim.load_scenario(source, sets)
    writers = {kind: TableWriter(tmp_path / kind) for kind in ("arrow", "frames")}
    sinks = {
        "arrow": ReplicationWriter(writers["arrow"], 1, scenario, full=True),
        "frames": FramesWriter(writers["frames"], 1, scenario, full=True),
    }
    model = FastOutreach(scenario, 1, scenario.seed, tables="full", sink=Both(*sinks.values()), chunk_rows=60)
    for sink in sinks.values():
        sink.set_senders(model.senders, model.accounts)
    model.run()
    for sink in sinks.values():
        sink.finish()
    for writer in writers.values():
        writer.close()
    assert sinks["arrow"].n_messages == sinks["frames"].n_messages
    assert pq.ParquetFile(tmp_path / "arrow" / "inmails.parquet").num_row_groups > 2  # several pieces
    for table in ("inmails", "credits"):
        arrow, frames = (tmp_path / kind / f"{table}.parquet" for kind in ("arrow", "frames"))
        assert filecmp.cmp(arrow, frames, shallow=False), table
    got, want = (sink.extras() for sink in sinks.values())
    for key in ("inmail_weeks", "credit_weeks"):
        pd.testing.assert_frame_equal(_sorted(_sum_parts([got[key]])), _sorted(_sum_parts([want[key]])))
    pd.testing.assert_frame_equal(figure_inmails([got["figure_inmails"]]), figure_inmails([want["figure_inmails"]]))
    pd.testing.assert_frame_equal(got["figure_credits"], want["figure_credits"])
