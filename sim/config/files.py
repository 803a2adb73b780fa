"""Reading a file the user names, bounded: only a regular file (never a FIFO, a device or /proc's endless
files), and never more than a limit plus one byte, so a wrong path fails at once instead of blocking or
filling memory."""

from __future__ import annotations

import os
import stat
from pathlib import Path


class NotAFileError(OSError):
    """The path names something other than a regular file (a folder, a FIFO, a device)."""


class TooLargeError(OSError):
    """The file holds more than the limit."""


def read_bounded(path: str | Path, limit: int) -> bytes:
    """The bytes of the regular file at `path`; NotAFileError for anything else, TooLargeError beyond `limit`
    bytes (only `limit` + 1 are ever read). Other failures raise the OSError that says why."""
    nonblock = getattr(os, "O_NONBLOCK", 0)  # POSIX: a FIFO opens at once instead of waiting for a writer
    fd = os.open(path, os.O_RDONLY | nonblock)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
            raise NotAFileError(f"{path} is {kind}")
        if nonblock:
            os.set_blocking(fd, True)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > limit:
        raise TooLargeError(f"{path} holds more than {limit:,} bytes")
    return b"".join(chunks)
