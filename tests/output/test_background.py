"""Row groups written on a thread of their own (`BackgroundWrites`): in the order handed in, errors raised in
the caller, the thread stopped (every write done) before the process forks."""

from __future__ import annotations

import errno
import threading
import time
from typing import Any

import pytest

from sim.output import background
from sim.output.background import BackgroundWrites


class Recorder:
    """A ParquetWriter stand-in: records what it wrote, on which thread, slowly."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.written: list[Any] = []
        self.threads: set[str] = set()
        self.fail_at = fail_at

    def write_table(self, table: Any) -> None:
        time.sleep(0.002)
        if self.fail_at is not None and len(self.written) == self.fail_at:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.written.append(table)
        self.threads.add(threading.current_thread().name)


def test_writes_are_done_in_order_on_another_thread() -> None:
    writes, first, second = BackgroundWrites(), Recorder(), Recorder()
    for i in range(20):
        writes.put(first if i % 3 else second, i)
    writes.join()
    assert first.written == [i for i in range(20) if i % 3]
    assert second.written == [i for i in range(20) if not i % 3]
    assert first.threads == second.threads == {"parquet-writes"}


def test_an_error_of_a_write_is_raised_in_the_caller_and_later_writes_are_dropped() -> None:
    writes, writer = BackgroundWrites(), Recorder(fail_at=3)
    with pytest.raises(OSError, match="No space left"):
        for i in range(50):
            writes.put(writer, i)
        writes.join()
    writes.join()  # raised once
    assert writer.written == [0, 1, 2]


def test_the_thread_is_stopped_with_every_write_done_before_a_fork() -> None:
    writes, writer = BackgroundWrites(), Recorder()
    for i in range(5):
        writes.put(writer, i)
    background._before_fork()  # what os.register_at_fork runs before the process forks
    assert writer.written == [0, 1, 2, 3, 4]
    assert writes._thread is None
    writes.put(writer, 5)  # starts again
    writes.join()
    assert writer.written == [0, 1, 2, 3, 4, 5]
