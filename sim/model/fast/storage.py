"""Storage of the fast engine: growable numpy columns, the message log (kept whole or drained to a sink in
chunks), the registry of which seat spent each message's credit, and a ledger's movements as rows."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol, overload

import numpy as np

from ...rules.ledger import LedgerRow
from ..types import COSTS, MOVES


class Columns:
    """Growable typed columns kept as numpy chunks (never copied into one array), plus Python lists for rows
    added one at a time. A column given as a scalar is stored as a zero-stride view: no memory per row."""

    def __init__(self, dtypes: dict[str, Any]) -> None:
        self.dtypes = dtypes
        self.chunks: dict[str, list[np.ndarray]] = {name: [] for name in dtypes}
        self.pending: dict[str, list[Any]] = {name: [] for name in dtypes}

    def flush(self) -> None:
        if not next(iter(self.pending.values())):
            return
        for name, values in self.pending.items():
            self.chunks[name].append(np.asarray(values, dtype=self.dtypes[name]))
            values.clear()

    def extend(self, n: int, arrays: dict[str, Any]) -> None:
        self.flush()
        if not n:
            return
        for name, dtype in self.dtypes.items():
            value = arrays[name]
            if np.ndim(value):
                self.chunks[name].append(np.asarray(value, dtype=dtype))
            else:
                self.chunks[name].append(np.broadcast_to(np.asarray(value, dtype=dtype), (n,)))

    def __len__(self) -> int:
        self.flush()
        return sum(len(c) for c in next(iter(self.chunks.values())))

    def arrays(self) -> dict[str, np.ndarray]:
        self.flush()
        return {
            name: np.concatenate(chunks) if chunks else np.empty(0, dtype=self.dtypes[name])
            for name, chunks in self.chunks.items()
        }

    def drain(self) -> dict[str, np.ndarray]:
        """The rows added since the last drain, as columns; they are let go of here."""
        arrays = self.arrays()
        for chunks in self.chunks.values():
            chunks.clear()
        return arrays


LOG_DTYPES: dict[str, Any] = {
    "seat": np.int32,
    "sender": np.int32,
    "candidate": np.int32,
    "channel": np.int8,
    "cost": np.int8,
    "bulk": bool,
    "personalised": bool,
    "sent_at": np.float64,
    "read_at": np.float64,
    "outcome": np.int16,
    "responded_at": np.float64,
    "refunded_at": np.float64,
    "followed_up_at": np.float64,
}


class MessageColumns:
    """The message log as numpy columns, plus Python lists for messages logged one at a time. Kept whole
    (`keep`): preallocated columns (`capacity` bounds the messages of the run, so nothing is copied as it
    grows). Otherwise: chunks that `drain` hands out and lets go of, counted as they go."""

    def __init__(self, capacity: int, keep: bool = True) -> None:
        self.keep = keep
        self.columns = {name: np.empty(capacity if keep else 0, dtype=dtype) for name, dtype in LOG_DTYPES.items()}
        self.chunks: list[dict[str, np.ndarray]] = []
        self.pending: dict[str, list[Any]] = {name: [] for name in LOG_DTYPES}
        self.n = 0
        self.buffered = 0  # rows in `chunks`
        self._counts: dict[tuple[int, int], int] = {}  # (cost code, outcome code) -> messages (of drained rows)
        self._follow_ups = 0

    def write(self, arrays: dict[str, Any]) -> None:
        self.flush()
        n = len(arrays["sent_at"])
        if self.keep:
            for name, column in self.columns.items():
                column[self.n : self.n + n] = arrays[name]
        elif n:
            self.chunks.append(
                {name: np.array(np.broadcast_to(arrays[name], (n,)), dtype=dt) for name, dt in LOG_DTYPES.items()}
            )
            self.buffered += n
        self.n += n

    def flush(self) -> None:
        k = len(self.pending["sent_at"])
        if not k:
            return
        if self.keep:
            for name, column in self.columns.items():
                column[self.n : self.n + k] = self.pending[name]
                self.pending[name].clear()
        else:
            self.chunks.append({name: np.asarray(self.pending[name], dtype=dt) for name, dt in LOG_DTYPES.items()})
            for values in self.pending.values():
                values.clear()
            self.buffered += k
        self.n += k

    def finish(self) -> dict[str, np.ndarray]:
        self.flush()
        return {name: column[: self.n] for name, column in self.columns.items()}

    def drain(self) -> dict[str, np.ndarray] | None:
        """The messages logged since the last drain (not kept whole), counted and let go of; None: none."""
        self.flush()
        if not self.chunks:
            return None
        cols = {name: np.concatenate([c[name] for c in self.chunks]) for name in LOG_DTYPES}
        self.chunks.clear()
        self.buffered = 0
        self._count(cols)
        return cols

    def _count(self, cols: dict[str, np.ndarray]) -> None:
        k = int(cols["outcome"].max()) + 1 if len(cols["outcome"]) else 1
        combos = np.bincount(cols["cost"].astype(np.int64) * k + cols["outcome"], minlength=len(COSTS) * k)
        for i in np.flatnonzero(combos).tolist():
            key = (i // k, i % k)
            self._counts[key] = self._counts.get(key, 0) + int(combos[i])
        self._follow_ups += int(np.isfinite(cols["followed_up_at"]).sum())

    def counts(self) -> tuple[dict[tuple[int, int], int], int]:
        """Messages by (cost code, outcome code), and follow-ups; of every message (after the last drain)."""
        if self.keep:
            self._counts, self._follow_ups = {}, 0
            self._count(self.finish())
        return self._counts, self._follow_ups


class TableSink(Protocol):
    """Where an engine that keeps no log hands out its rows as they are final: chunks of messages (raw
    codes, as `LOG_DTYPES`, with `labels` for the coded columns) and of each account's credit movements
    (as `FastLedger.row_arrays`)."""

    def messages(self, columns: dict[str, np.ndarray], labels: Mapping[str, Sequence[str]]) -> None: ...

    def credits(self, account: str, columns: dict[str, np.ndarray]) -> None: ...


def labelled(columns: dict[str, np.ndarray], labels: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """Message columns with the coded ones (channel, cost, outcome) as pandas Categoricals whose categories
    are the labels present, sorted, as pandas would infer them from the reference's lists of strings."""
    import pandas as pd

    fields: dict[str, Any] = {}
    for name, values in columns.items():
        if name not in labels:
            fields[name] = values
            continue
        names = labels[name]
        present = np.flatnonzero(np.bincount(values, minlength=len(names))).tolist()
        categories = sorted(names[i] for i in present)
        recode = np.full(len(names), -1, dtype=np.int8)
        for i in present:
            recode[i] = categories.index(names[i])
        fields[name] = pd.Categorical.from_codes(recode[values], categories=pd.Index(categories))
    return fields


ROW_DTYPES = {"time": np.float64, "kind": np.int8, "amount": np.int64, "seat": np.int32, "inmail": np.int32}
MAX_MESSAGES = 2**31 - 1  # message ids are stored as int32


class SpendRegistry:
    """Which seat spent a credit for each message id, and whether it was refunded (shared by all ledgers)."""

    def __init__(self, n_seats: int = 2**31 - 1) -> None:
        # seat ids in the smallest type that holds them (-1: no credit spent): 2 bytes a message, mostly
        self.seat: np.ndarray = np.full(1024, -1, dtype=np.int16 if n_seats < 2**15 else np.int32)
        self.refunded = np.zeros(1024, dtype=bool)

    def reserve(self, n: int) -> None:
        if n > len(self.seat):
            size = max(n, 2 * len(self.seat))
            self.seat = np.concatenate((self.seat, np.full(size - len(self.seat), -1, dtype=self.seat.dtype)))
            self.refunded = np.concatenate((self.refunded, np.zeros(size - len(self.refunded), dtype=bool)))


class LedgerRows(Sequence[LedgerRow]):
    """A ledger's movements as `LedgerRow`s, made on demand from its columns."""

    def __init__(self, columns: Columns) -> None:
        self._columns = columns

    def __len__(self) -> int:
        return len(self._columns)

    def __iter__(self) -> Iterator[LedgerRow]:
        cols = self._columns
        cols.flush()
        for i in range(len(cols.chunks["time"])):
            times = cols.chunks["time"][i].tolist()
            kinds = cols.chunks["kind"][i].tolist()
            amounts = cols.chunks["amount"][i].tolist()
            seats = cols.chunks["seat"][i].tolist()
            inmails = cols.chunks["inmail"][i].tolist()
            for t, k, a, s, m in zip(times, kinds, amounts, seats, inmails, strict=True):
                yield LedgerRow(t, MOVES[k], a, None if s < 0 else s, None if m < 0 else m)

    @overload
    def __getitem__(self, index: int) -> LedgerRow: ...

    @overload
    def __getitem__(self, index: slice) -> list[LedgerRow]: ...

    def __getitem__(self, index: int | slice) -> LedgerRow | list[LedgerRow]:
        rows = list(self)
        return rows[index]

