"""Parquet row groups written on a thread of their own, so that encoding and compressing a piece of a table
(Arrow's C++ code, which lets go of the GIL) overlaps with the simulation and the making of the next piece.

Pieces are written in the order they were handed in, by one thread, with at most `DEPTH` of them waiting
(memory stays bounded). An error of the thread is raised in the caller at its next `put` or `join`. Before
the process forks (a pool of worker processes), the queue is emptied and the thread stopped, so that the
child never inherits a lock the thread held; the thread starts again with the next piece."""

from __future__ import annotations

import os
import queue
import threading
import weakref
from typing import Any

DEPTH = 2  # pieces waiting to be written at most


class BackgroundWrites:
    """A queue of (ParquetWriter, Arrow table) writes done in order on a thread of their own."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[Any, Any] | None] = queue.Queue(maxsize=DEPTH)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None  # the first error of a write, until raised in the caller
        self._failed = False  # a write failed: the rest are dropped (the table is incomplete anyway)
        _LIVE.add(self)

    def put(self, writer: Any, table: Any) -> None:
        """Write `table` with `writer` (its `write_table`) after the writes handed in before."""
        self._raise()
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="parquet-writes", daemon=True)
            self._thread.start()
        self._queue.put((writer, table))

    def join(self) -> None:
        """Wait until every write handed in is done and stop the thread; raise the first error of a write."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        self._raise()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if not self._failed:
                try:
                    item[0].write_table(item[1])
                except BaseException as err:  # raised in the caller's thread
                    self._error, self._failed = err, True
            del item

    def _raise(self) -> None:
        if self._error is not None:
            err, self._error = self._error, None
            raise err


_LIVE: weakref.WeakSet[BackgroundWrites] = weakref.WeakSet()


def _before_fork() -> None:
    for writes in list(_LIVE):
        if writes._thread is not None:
            writes._queue.put(None)
            writes._thread.join()
            writes._thread = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork)
