"""Pieces of the inmails and credits tables as Arrow, made straight from the engine's numpy columns (integer
codes for the labels, day offsets for the times), with no pandas frame and no Python object per row.

A piece is the same Arrow table, schema metadata included, as `to_arrow` makes of the pandas frame of the
same rows (`tables.inmails_frame`, `tables.credits_frame` then `as_run_table`): label columns are
dictionary-encoded with the labels present in the piece, sorted, and the indices pandas would use (int8
for fewer than 127 labels); times are UTC timestamps in microseconds (null where the day offset is NaN);
dates are Parquet DATE; the `pandas` metadata is that of the frame, so pandas reads a file back as before.
Written piece by piece (`TableWriter.write`), the files are the ones the frames made."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa

from ..model.types import MOVES

_KIND_LABELS = [m.value for m in MOVES]
_INT8_MAX, _INT16_MAX = 127, 32767  # pandas' bounds for the width of category codes
_US_PER_DAY = 86_400_000_000
_UTC = pa.timestamp("us", tz="UTC")


def code_width(n_labels: int) -> tuple[Any, str]:
    """The Arrow index type and numpy type name pandas uses for the codes of `n_labels` categories."""
    if n_labels < _INT8_MAX:
        return pa.int8(), "int8"
    if n_labels < _INT16_MAX:
        return pa.int16(), "int16"
    return pa.int32(), "int32"


def label_codes(labels: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """The distinct labels, sorted, and each label's position among them (labels may repeat)."""
    names = sorted(set(labels))
    where = {name: i for i, name in enumerate(names)}
    return names, np.asarray([where[label] for label in labels] or [0], dtype=np.int64)


def dictionary(codes: np.ndarray, names: Sequence[str]) -> pa.DictionaryArray:
    """A label column (`codes` into the sorted distinct `names`) as pandas makes a Categorical of the labels
    present: dictionary of the labels present, sorted (large strings, as pandas' str dtype gives them);
    indices as wide as pandas' codes."""
    codes = np.asarray(codes, dtype=np.int64)
    present = np.flatnonzero(np.bincount(codes, minlength=len(names))) if codes.size else np.empty(0, np.int64)
    recode = np.full(max(len(names), 1), -1, dtype=np.int64)
    recode[present] = np.arange(len(present))
    kind, numpy_name = code_width(len(present))
    indices = pa.array(recode[codes].astype(numpy_name), type=kind)
    return pa.DictionaryArray.from_arrays(
        indices, pa.array([names[i] for i in present.tolist()], type=pa.large_string())
    )


def utc_times(days: np.ndarray, start: date | None) -> pa.Array:
    """Day offsets from midnight UTC of `start` as UTC timestamps (microseconds), null where NaN (as
    `tables.timestamps`: the offset in microseconds rounded to the nearest)."""
    origin = int(np.datetime64(start if start is not None else "1970-01-01", "us").astype(np.int64))
    micros = np.asarray(days, dtype=np.float64) * _US_PER_DAY
    ok = np.isfinite(micros)
    values = np.round(np.where(ok, micros, 0.0)).astype(np.int64) + origin
    return pa.array(values, type=_UTC, mask=None if ok.all() else ~ok)


def _floats(values: np.ndarray) -> pa.Array:
    """A float column as pandas hands it to Arrow: NaN as null."""
    return pa.array(np.asarray(values, dtype=np.float64), from_pandas=True)


def day_dates(days: np.ndarray, start: date) -> pa.Array:
    """Whole day offsets from `start` as Parquet DATE values."""
    first = int(np.datetime64(start, "D").astype(np.int64))
    return pa.array((np.asarray(days, dtype=np.int64) + first).astype(np.int32), type=pa.date32())


def _optional(values: np.ndarray) -> pa.Array:
    values = np.asarray(values, dtype=np.int64)
    missing = values < 0
    return pa.array(values, type=pa.int64(), mask=missing if missing.any() else None)


def pandas_metadata(template: bytes, table: pa.Table) -> bytes:
    """The `pandas` schema metadata of `table` from that of an empty frame of the same columns (`template`):
    the number of categories and the width of the codes of each label column as `table` has them."""
    meta = json.loads(template)
    for column in meta["columns"]:
        if column.get("pandas_type") != "categorical":
            continue
        n = len(table.column(column["name"]).chunk(0).dictionary) if table.num_rows else 0
        column["metadata"]["num_categories"] = n
        column["numpy_type"] = code_width(n)[1]
    return json.dumps(meta).encode()


def _with_metadata(table: pa.Table, template: bytes) -> pa.Table:
    return table.replace_schema_metadata({b"pandas": pandas_metadata(template, table)})


def inmails_piece(
    rep: int,
    first_id: int,
    columns: dict[str, np.ndarray],
    labels: dict[str, tuple[list[str], np.ndarray]],
    senders: dict[str, tuple[list[str], np.ndarray]],
    start: date | None,
    template: bytes,
) -> pa.Table:
    """Rows of the inmails table from the engine's message columns (`LOG_DTYPES`): `labels` maps channel,
    cost and outcome to (sorted names, position of each code's label); `senders` maps group and account to
    (sorted names, position of each sender's label); `template` is the `pandas` metadata of an empty
    inmails frame."""
    n = len(columns["sent_at"])
    sender = np.asarray(columns["sender"], dtype=np.int64)

    def label(name: str) -> pa.DictionaryArray:
        names, position = labels[name]
        return dictionary(position[np.asarray(columns[name], dtype=np.int64)], names)

    def of_sender(name: str) -> pa.DictionaryArray:
        names, position = senders[name]
        return dictionary(position[sender], names)

    arrays: dict[str, Any] = {
        "replication": pa.array(np.full(n, rep, dtype=np.int64)),
        "id": pa.array(np.arange(first_id, first_id + n, dtype=np.int64)),
        "seat": pa.array(np.asarray(columns["seat"], dtype=np.int64)),
        "sender": pa.array(sender),
        "group": of_sender("group"),
        "account": of_sender("account"),
        "candidate": pa.array(np.asarray(columns["candidate"], dtype=np.int64)),
        "channel": label("channel"),
        "cost": label("cost"),
        "bulk": pa.array(np.asarray(columns["bulk"], dtype=bool)),
        "personalised": pa.array(np.asarray(columns["personalised"], dtype=bool)),
    }
    for at in ("sent_at", "read_at", "outcome", "responded_at", "refunded_at", "followed_up_at"):
        if at == "outcome":
            arrays[at] = label("outcome")
            continue
        days = np.asarray(columns[at], dtype=np.float64)
        arrays[at] = _floats(days)
        arrays[at.replace("_at", "_time")] = utc_times(days, start)
    return _with_metadata(pa.table(arrays), template)


def credits_piece(rep: int, account: str, columns: dict[str, np.ndarray], start: date, template: bytes) -> pa.Table:
    """Rows of the credits table of one account from its movements (as `FastLedger.row_arrays()`), in time
    order (stable), as `credits_frame` then `as_run_table` make them; `template` is the `pandas` metadata
    of an empty credits table."""
    time = np.asarray(columns["time"], dtype=np.float64)
    n = len(time)
    order: np.ndarray | None = np.argsort(time, kind="stable")
    if order is not None and (order == np.arange(n)).all():
        order = None  # already in time order (as a ledger's movements are): no copy

    def pick(values: Any, dtype: Any = np.int64) -> np.ndarray:
        column: np.ndarray = np.asarray(np.broadcast_to(values, (n,)), dtype=dtype)
        return column if order is None else column[order]

    time = pick(time, np.float64)
    kinds = pa.array(_KIND_LABELS, type=pa.large_string())
    arrays = {
        "replication": pa.array(np.full(n, rep, dtype=np.int64)),
        "account": dictionary(np.zeros(n, dtype=np.int64), [account]),
        "time": _floats(time),
        "timestamp": utc_times(time, start),
        "kind": kinds.take(pa.array(pick(columns["kind"]))),
        "amount": pa.array(pick(columns["amount"])),
        "seat": _optional(pick(columns["seat"])),
        "inmail": _optional(pick(columns["inmail"])),
        "date": day_dates(np.floor(time).astype(np.int64), start),
    }
    return _with_metadata(pa.table(arrays), template)
