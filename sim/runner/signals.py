"""SIGTERM handled like SIGINT: it raises `Terminated` (a KeyboardInterrupt) in the main thread, so the
same clean-up runs (workers stopped and joined, temporary folders removed) and the command exits 143."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM


class Terminated(KeyboardInterrupt):
    """The process was sent SIGTERM."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not interrupt the clean-up
    raise Terminated()


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises `Terminated` (only in the main thread; elsewhere nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def exit_status(err: KeyboardInterrupt) -> int:
    """The exit status of a command stopped by `err`: 143 for SIGTERM, 130 for SIGINT."""
    return EXIT_TERMINATED if isinstance(err, Terminated) else EXIT_INTERRUPTED
