"""Tables streamed to Parquet a piece at a time, and the sink of one replication's rows."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from ..config.scenario import Scenario
from .analytics import _credit_weeks, _inmail_weeks, _sum_parts, report_outcomes, seat_week_sums
from .background import BackgroundWrites
from .kpis import INMAIL_COSTS as _INMAIL_COSTS
from .pieces import credits_piece, inmails_piece, label_codes
from .tables import as_run_table, credits_frame, dates, empty_credits, empty_inmails, inmails_frame, sender_labels

METADATA_KEY = b"inmail_sim"  # Parquet schema metadata: JSON with the scenario's name, the seed and the start


def run_metadata(scenario: Scenario, seed: int | None = None) -> dict[str, Any]:
    """What a table's Parquet metadata and summary.json say about the run that made it."""
    return {
        "scenario": scenario.name,
        "seed": scenario.seed if seed is None else seed,
        "start": scenario.start.isoformat(),
    }


def to_arrow(frame: pd.DataFrame, metadata: dict[str, Any] | None = None) -> Any:
    """A table as Arrow with a schema that does not depend on the data: a column with no values (an empty
    table) is typed as it is when it has values (`date` DATE, labels strings), never null; with `metadata`
    (`run_metadata`) in the schema."""
    import json

    import pyarrow as pa

    table = pa.Table.from_pandas(frame, preserve_index=False)
    fields = []
    for f in table.schema:
        kind = f.type
        if pa.types.is_null(kind):
            kind = pa.date32() if f.name == "date" else pa.string()
        elif pa.types.is_dictionary(kind) and pa.types.is_null(kind.value_type):
            kind = pa.dictionary(kind.index_type, pa.string())
        fields.append(f.with_type(kind))
    extra = {METADATA_KEY: json.dumps(metadata).encode()} if metadata else {}
    return table.cast(pa.schema(fields, metadata={**(table.schema.metadata or {}), **extra}))


def parquet_writer(path: Path, schema: Any) -> Any:
    """A Parquet writer that dictionary-encodes only the category columns: on times, amounts and ids the
    encoder's attempt at a dictionary is wasted work (it falls back to plain pages), about half the time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    categories = [field.name for field in schema if pa.types.is_dictionary(field.type)]
    return pq.ParquetWriter(path, schema, use_dictionary=categories or False)


class TableWriter:
    """Tables written to `<folder>/<name>.parquet` a piece at a time (one Parquet row group or more per
    piece, written in order on a thread of their own: `BackgroundWrites`), so that no table is ever whole in
    memory. A category column read back has its categories in the order they first appear in the pieces;
    `close` rewrites a file (a row group at a time) when that order is not sorted, so that the file reads
    back as the same table made whole (sorted categories)."""

    def __init__(self, folder: Path, metadata: dict[str, Any] | None = None) -> None:
        import pyarrow as pa

        # Arrow's own allocator keeps freed memory for reuse; the system's gives it back between chunks
        pa.set_memory_pool(pa.system_memory_pool())
        self.folder = folder
        self.metadata = dict(metadata or {})  # `run_metadata`, in every table's schema
        self._writers: dict[str, Any] = {}
        self._empty: dict[str, Any] = {}  # table -> an empty DataFrame or Arrow table: its columns and types
        self.categories: dict[str, dict[str, list[str]]] = {}  # table -> column -> labels in order of appearance
        self.rows: dict[str, int] = {}
        self._writes = BackgroundWrites()  # row groups are encoded and compressed on a thread of their own

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.parquet"

    def expect(self, name: str, empty: pd.DataFrame | Any) -> None:
        """Table `name` is written even if no row comes: as `empty` (its columns and types, no rows)."""
        self._empty.setdefault(name, empty)

    def write(self, name: str, piece: pd.DataFrame | Any) -> None:
        """Append a piece (a DataFrame or a pyarrow Table with the same columns) to table `name`."""
        import pyarrow as pa

        if isinstance(piece, pd.DataFrame):
            if not len(piece):
                self._empty.setdefault(name, piece)
                return
            piece = to_arrow(piece, self.metadata)
        elif self.metadata and METADATA_KEY not in (piece.schema.metadata or {}):
            import json

            meta = {**(piece.schema.metadata or {}), METADATA_KEY: json.dumps(self.metadata).encode()}
            piece = piece.replace_schema_metadata(meta)
        if not piece.num_rows:
            self._empty.setdefault(name, piece)
            return
        writer = self._writers.get(name)
        if writer is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            writer = self._writers[name] = parquet_writer(self.path(name), piece.schema)
        elif not piece.schema.equals(writer.schema, check_metadata=False):
            piece = piece.cast(writer.schema)
        seen = self.categories.setdefault(name, {})
        for column in piece.schema:
            if pa.types.is_dictionary(column.type):
                order = seen.setdefault(column.name, [])
                for chunk in piece.column(column.name).chunks:
                    order.extend(v for v in chunk.dictionary.to_pylist() if v not in order)
        self._writes.put(writer, piece)
        self.rows[name] = self.rows.get(name, 0) + piece.num_rows

    def close(self) -> None:
        self._writes.join()
        for name, writer in self._writers.items():
            writer.close()
            seen = self.categories.get(name, {})
            unsorted = {col: sorted(order) for col, order in seen.items() if order != sorted(order)}
            if unsorted:
                self._recategorise(name, unsorted)
        for name, empty in self._empty.items():
            if name not in self._writers:
                import pyarrow.parquet as pq

                self.folder.mkdir(parents=True, exist_ok=True)
                table = to_arrow(empty, self.metadata) if isinstance(empty, pd.DataFrame) else empty
                pq.write_table(table, self.path(name))
        self._writers.clear()

    def _recategorise(self, name: str, categories: dict[str, list[str]]) -> None:
        import pyarrow.parquet as pq

        path = self.path(name)
        tmp = path.with_suffix(".recategorised")
        source = pq.ParquetFile(path)
        writer = None
        try:
            for i in range(source.num_row_groups):
                frame = source.read_row_group(i).to_pandas()
                for col, labels in categories.items():
                    frame[col] = frame[col].cat.set_categories(labels)
                table = to_arrow(frame, self.metadata)
                if writer is None:
                    writer = parquet_writer(tmp, table.schema)
                writer.write_table(table.cast(writer.schema))
        finally:
            if writer is not None:
                writer.close()
        tmp.replace(path)


def _figure_inmails(inmails: pd.DataFrame) -> pd.DataFrame:
    """What the time-to-response figure needs of inmails rows, compact: the answered ones and the first row
    of each replication and channel (which replications and channels there are), with `response_delay` (the
    delay from sending, NaN when unanswered) instead of the two times."""
    key = inmails["replication"].to_numpy(dtype=np.int64) * 256 + inmails["channel"].cat.codes.to_numpy()
    first = np.zeros(len(inmails), dtype=bool)
    first[np.unique(key, return_index=True)[1]] = True
    keep = inmails["responded_at"].notna().to_numpy() | first
    sent = inmails["sent_at"].to_numpy()[keep]
    return pd.DataFrame(
        {
            "replication": inmails["replication"].to_numpy()[keep].astype(np.int32),
            "channel": inmails["channel"].to_numpy()[keep],
            "response_delay": inmails["responded_at"].to_numpy()[keep] - sent,
        }
    )


def figure_inmails(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The rows of the time-to-response figure from `_figure_inmails` parts (the same figure as the rows)."""
    frames = [p for p in parts if len(p.columns)]
    if not frames:
        return pd.DataFrame()
    frame = pd.concat(frames, ignore_index=True)
    frame["channel"] = frame["channel"].astype("category").cat.remove_unused_categories()  # codes, not strings
    return frame


def _figure_credits(credits: pd.DataFrame) -> pd.DataFrame:
    """What the refunds-per-week figure needs of credits rows: spends and refunds summed by day."""
    df = credits[credits["kind"].astype(str).isin(["spend", "refund"])]
    df = df.assign(amount=df["amount"].astype(float).abs(), kind=df["kind"].astype(str))
    return pd.DataFrame(df.groupby(["replication", "kind", "date"], sort=False, as_index=False)["amount"].sum())


def first_rows(key: np.ndarray, size: int) -> np.ndarray:
    """The first row of each value of `key` (whole numbers below `size`); len(key) for a value absent."""
    first = np.full(size, len(key), dtype=np.int64)
    np.minimum.at(first, key, np.arange(len(key), dtype=np.int64))
    return first


def credit_day_sums(
    rep: int, spend: np.ndarray, refund: np.ndarray, amount: np.ndarray, days: np.ndarray, start: pd.Timestamp
) -> pd.DataFrame:
    """`_figure_credits` of credits rows as arrays (which rows are spends and which refunds, amounts, whole
    day offsets, in table order): spends and refunds summed by day, in order of first appearance."""
    chosen = spend | refund
    is_refund = refund[chosen].astype(np.int64)
    day = days[chosen]
    low = int(day.min()) if day.size else 0
    width = int(day.max()) - low + 1 if day.size else 1
    key = is_refund * width + (day - low)
    first = first_rows(key, 2 * width)
    present = np.flatnonzero(first < len(key))
    sums = np.bincount(key, weights=np.abs(amount[chosen]).astype(np.float64), minlength=2 * width)[present]
    order = np.argsort(first[present], kind="stable")
    rows = first[present][order]
    sums = sums[order]
    return pd.DataFrame(
        {
            "replication": np.full(len(rows), rep, dtype=np.int64),
            "kind": pd.array(np.where(is_refund[rows] == 1, "refund", "spend").astype(object), dtype="str"),
            "date": dates(day[rows], start),
            "amount": sums,
        }
    )


def _sum_figure_credits(parts: list[pd.DataFrame]) -> pd.DataFrame:
    frame = pd.concat(parts, ignore_index=True)
    return pd.DataFrame(frame.groupby(["replication", "kind", "date"], sort=False, as_index=False)["amount"].sum())


RELEASE_EVERY = 4
"""Chunks between two releases of freed memory (a release walks the whole heap: a few ms each)."""
_chunks = itertools.count(1)


def _release_memory(now: bool = False) -> None:
    """Give memory freed by the last chunks back to the system, every `RELEASE_EVERY` chunks (or `now`):
    otherwise a run's peak resident memory grows with the number of chunks."""
    import pyarrow as pa

    if now or next(_chunks) % RELEASE_EVERY == 0:
        pa.default_memory_pool().release_unused()


def read_frame(path: Path) -> pd.DataFrame:
    """A Parquet table as the frame `pd.read_parquet` gives, each Arrow column let go of as the frame takes it
    (half the peak of reading the table whole first), and that memory given back."""
    import pyarrow.parquet as pq

    frame: pd.DataFrame = pq.read_table(path).to_pandas(self_destruct=True, split_blocks=True)
    _release_memory(now=True)
    return frame


class ReplicationWriter:
    """The sink of one replication's rows (`sim.model.fast.TableSink`): inmails and credits rows go to a
    `TableWriter` as they come; what the analytics and figures need of them is kept, summed."""

    def __init__(
        self,
        writer: TableWriter,
        replication: int,
        scenario: Scenario,
        *,
        full: bool = False,
        seed: int | None = None,
    ) -> None:
        """`full`: the run writes every table, so inmails and credits are written even when no row comes;
        `seed`: the run's seed, for the tables' metadata (default the scenario's)."""
        if not writer.metadata:
            writer.metadata = run_metadata(scenario, seed)
        if full:
            writer.expect("inmails", empty_inmails(replication, pd.Timestamp(scenario.start)))
            writer.expect("credits", as_run_table(empty_credits(replication, pd.Timestamp(scenario.start))))
        self.writer = writer
        self.replication = replication
        self.start = pd.Timestamp(scenario.start)
        self.scenario = scenario
        self.rules = scenario.resolved_rules()
        self._first_account = ""
        self._held: dict[str, list[dict[str, np.ndarray]]] = {}
        self._labels: tuple[np.ndarray, np.ndarray] | None = None
        self._senders: dict[str, tuple[list[str], np.ndarray]] = {}
        self._templates: dict[str, bytes] = {}
        self.n_messages = 0
        self.inmail_weeks: list[pd.DataFrame] = []
        self.credit_weeks: list[pd.DataFrame] = []
        self.figure_inmails: list[pd.DataFrame] = []
        self.figure_credits: list[pd.DataFrame] = []

    def set_senders(self, senders: list[Any], accounts: dict[str, Any]) -> None:
        """Who sends: the group and account labels of the message rows to come."""
        self._labels = sender_labels(senders, accounts)
        self._first_account = min(accounts) if accounts else ""
        group_of, account_of = self._labels
        self._senders = {"group": label_codes(group_of.tolist()), "account": label_codes(account_of.tolist())}

    def messages(self, columns: dict[str, np.ndarray], labels: Any) -> None:
        """A chunk of message rows (the engine's columns, `labels` of the coded ones): written as an Arrow
        piece of the inmails table, and what the analytics and figures need of it kept, summed."""
        assert self._labels is not None
        n = len(columns["sent_at"])
        if not n:
            return
        coded = {name: label_codes(list(labels[name])) for name in ("channel", "cost", "outcome")}
        template = self._template("inmails", lambda: self._inmails_frame(columns, labels, 1))
        piece = inmails_piece(
            self.replication, self.n_messages, columns, coded, self._senders, self.scenario.start, template
        )
        self.n_messages += n
        cost = np.asarray(columns["cost"], dtype=np.int64)
        inmail = np.isin(cost, [i for i, c in enumerate(labels["cost"]) if c in _INMAIL_COSTS])
        if inmail.any():
            sent_at = np.asarray(columns["sent_at"], dtype=np.float64)[inmail]
            answered = report_outcomes(
                self.rules,
                np.asarray(columns["outcome"], dtype=np.int64)[inmail],
                list(labels["outcome"]),
                sent_at,
                np.asarray(columns["responded_at"], dtype=np.float64)[inmail],
            )
            sender = np.asarray(columns["sender"], dtype=np.int64)[inmail]
            names, position = self._senders["account"]
            self._add_inmail_weeks(
                seat_week_sums(
                    position[sender],
                    names,
                    np.asarray(columns["seat"])[inmail],
                    np.floor(sent_at).astype(np.int64),
                    self.scenario.start,
                    {"sent": None, **answered},
                )
            )
        self.figure_inmails.append(self._response_delays(columns, coded["channel"]))
        self.writer.write("inmails", piece)
        _release_memory()

    def _inmails_frame(self, columns: dict[str, np.ndarray], labels: Any, rows: int) -> pd.DataFrame:
        from ..model.fast import labelled

        assert self._labels is not None
        fields = labelled({name: values[:rows] for name, values in columns.items()}, labels)
        return as_run_table(inmails_frame(self.replication, 0, fields, *self._labels, self.start))

    def _template(self, table: str, frame: Any) -> bytes:
        """The `pandas` metadata of `table`'s pieces, from the frame (`frame()`) of a row of it."""
        if table not in self._templates:
            self._templates[table] = to_arrow(frame()).schema.metadata[b"pandas"]
        return self._templates[table]

    def _response_delays(self, columns: dict[str, np.ndarray], channel: tuple[list[str], np.ndarray]) -> pd.DataFrame:
        """`_figure_inmails` of a chunk of message columns: the answered rows and the first of each channel."""
        names, position = channel
        code = position[np.asarray(columns["channel"], dtype=np.int64)]
        responded = np.asarray(columns["responded_at"], dtype=np.float64)
        keep = ~np.isnan(responded)
        first = first_rows(code, len(names))
        keep[first[first < len(code)]] = True
        return pd.DataFrame(
            {
                "replication": np.full(int(keep.sum()), self.replication, dtype=np.int32),
                "channel": pd.Categorical.from_codes(code[keep], categories=pd.Index(names)),
                "response_delay": responded[keep] - np.asarray(columns["sent_at"], dtype=np.float64)[keep],
            }
        )

    def _add_inmail_weeks(self, weeks: pd.DataFrame) -> None:
        self.inmail_weeks.append(weeks)
        if len(self.inmail_weeks) > 16:
            self.inmail_weeks = [_sum_parts(self.inmail_weeks)]

    def _add_credit_weeks(self, weeks: pd.DataFrame) -> None:
        self.credit_weeks.append(weeks)
        if len(self.credit_weeks) > 16:
            self.credit_weeks = [_sum_parts(self.credit_weeks)]

    def _add_figure_credits(self, sums: pd.DataFrame) -> None:
        self.figure_credits.append(sums)
        if len(self.figure_credits) > 16:
            self.figure_credits = [_sum_figure_credits(self.figure_credits)]

    def add_inmails(self, frame: pd.DataFrame) -> None:
        frame = as_run_table(frame)
        if frame["cost"].isin(_INMAIL_COSTS).any():
            self.inmail_weeks.append(_inmail_weeks(frame, self.scenario.start, self.rules))
            if len(self.inmail_weeks) > 16:
                self.inmail_weeks = [_sum_parts(self.inmail_weeks)]
        self.figure_inmails.append(_figure_inmails(frame))
        self.writer.write("inmails", frame)
        _release_memory()

    def credits(self, account: str, columns: dict[str, np.ndarray]) -> None:
        if account == self._first_account:  # the first account's rows come first in the table: write them now
            self._credits_piece(account, columns)
        else:
            self._held.setdefault(account, []).append(columns)

    def _credits_piece(self, account: str, columns: dict[str, np.ndarray]) -> None:
        """An account's movements (as `FastLedger.row_arrays()`) written as an Arrow piece of the credits
        table, and what the analytics and figures need of them kept, summed."""
        n = len(columns["time"])
        if not n:
            return
        template = self._template(
            "credits",
            lambda: as_run_table(
                credits_frame(
                    self.replication, account, {k: np.broadcast_to(v, (n,))[:1] for k, v in columns.items()}, self.start
                )
            ),
        )
        piece = credits_piece(self.replication, account, columns, self.scenario.start, template)
        seat = np.asarray(piece.column("seat").fill_null(-1), dtype=np.int64)
        time = np.asarray(piece.column("time"), dtype=np.float64)
        spend = pc.equal(piece.column("kind"), "spend").to_numpy()
        refund = pc.equal(piece.column("kind"), "refund").to_numpy()
        amount = np.asarray(piece.column("amount"), dtype=np.int64)
        moved = seat >= 0
        days = np.floor(time).astype(np.int64)
        if moved.any():
            self._add_credit_weeks(
                seat_week_sums(
                    np.zeros(int(moved.sum()), dtype=np.int64),
                    [account],
                    seat[moved],
                    days[moved],
                    self.scenario.start,
                    {
                        "credits_spent": np.where(spend[moved], amount[moved], 0),
                        "credits_refunded": np.where(refund[moved], amount[moved], 0),
                    },
                )
            )
        self._add_figure_credits(credit_day_sums(self.replication, spend, refund, amount, days, self.start))
        self.writer.write("credits", piece)
        _release_memory()

    def add_credits(self, frame: pd.DataFrame) -> None:
        frame = as_run_table(frame)
        if frame["seat"].notna().any():
            self.credit_weeks.append(_credit_weeks(frame, self.scenario.start))
            if len(self.credit_weeks) > 16:
                self.credit_weeks = [_sum_parts(self.credit_weeks)]
        self.figure_credits.append(_figure_credits(frame))
        if len(self.figure_credits) > 16:
            self.figure_credits = [_sum_figure_credits(self.figure_credits)]
        self.writer.write("credits", frame)
        _release_memory()

    def finish(self) -> None:
        """Write the credits of the other accounts, in label order."""
        for account in sorted(self._held):
            parts = self._held.pop(account)
            columns = {
                name: np.concatenate([np.broadcast_to(p[name], (len(p["time"]),)) for p in parts]) for name in parts[0]
            }
            self._credits_piece(account, columns)

    def extras(self) -> dict[str, pd.DataFrame]:
        """What the analytics and figures need of this replication's rows (small)."""

        def cat(frames: list[pd.DataFrame]) -> pd.DataFrame:
            return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

        return {
            "inmail_weeks": _sum_parts(self.inmail_weeks) if self.inmail_weeks else pd.DataFrame(),
            "credit_weeks": _sum_parts(self.credit_weeks) if self.credit_weeks else pd.DataFrame(),
            "figure_inmails": cat(self.figure_inmails),
            "figure_credits": cat(self.figure_credits),
        }
