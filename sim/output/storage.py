"""Results folders written safely: into a temporary sibling renamed into place only when complete, with a
marker saying this tool made it, so `--force` never replaces a folder that holds anything a user owns.

A folder made here carries `.inmail-sim` (JSON: the tool, its version, what kind of folder, the files it
wrote). `--force` replaces an existing folder only when it carries the marker and every file in it is one
the tool wrote (or one the tool rewrites, such as report.html and figures/*.png). A target is refused
outright when it is the current folder or one of its parents, `/`, the home folder, or holds a file the
command reads (the scenario file). Temporary folders of processes that died (`.NAME.incomplete-PID`) are
removed the next time a folder is written beside them.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

MARKER = ".inmail-sim"
# Files the tool rewrites in a folder after it made it (`inmail-sim report`), beside those it recorded.
REWRITTEN = re.compile(r"^(report\.html|analytics\.csv|figures(/[^/]+\.png)?|figures)$")
_INCOMPLETE = re.compile(r"^\.(?P<name>.+)\.(incomplete|replaced)-(?P<pid>\d+)$")
_SHOWN_PATH = 120  # characters of a path shown in a message


class OutputFolderError(ValueError):
    """A results folder that cannot or must not be written (bad input or environment: exit status 2)."""


def shown(path: str | Path) -> str:
    """A path as a message shows it: whole when short, its start and end when very long."""
    text = str(path)
    return text if len(text) <= _SHOWN_PATH else f"{text[:60]}...{text[-40:]} ({len(text)} characters)"


def _os_reason(err: OSError) -> str:
    if err.errno == errno.ENAMETOOLONG:
        return "the path is too long for the file system"
    if err.errno == errno.ENOSPC:
        return "no space left on the device"
    if err.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if err.errno == errno.EROFS:
        return "the file system is read-only"
    if err.errno in (errno.ENOTDIR, errno.EEXIST) or isinstance(err, NotADirectoryError):
        return "a part of the path is a file, not a folder"
    return err.strerror or type(err).__name__


def os_error_message(err: OSError, what: str = "") -> str:
    """One line for an I/O failure: the path and the reason, no traceback."""
    where = err.filename if err.filename is not None else what
    prefix = f"{shown(where)}: " if where else ""
    return f"{prefix}{_os_reason(err)}"


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_ours(folder: Path) -> bool:
    """Whether `folder` carries the marker of a folder this tool made."""
    return (folder / MARKER).is_file() and not (folder / MARKER).is_symlink()


def _recorded_files(folder: Path) -> set[str]:
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    files = data.get("files") if isinstance(data, dict) else None
    return {str(f) for f in files} if isinstance(files, list) else set()


def _files_in(folder: Path) -> list[str]:
    """Every file and folder under `folder`, as paths relative to it with '/' separators."""
    found = []
    for root, dirs, files in os.walk(folder):
        rel = Path(root).relative_to(folder)
        for name in dirs + files:
            found.append((rel / name).as_posix())
    return sorted(found)


def foreign_files(folder: Path) -> list[str]:
    """The files in a folder this tool made that it did not write."""
    recorded = _recorded_files(folder)
    parents = {str(Path(f).parent.as_posix()) for f in recorded}
    return [
        f
        for f in _files_in(folder)
        if f != MARKER
        and f not in recorded
        and f + "/" not in recorded
        and f not in parents
        and not REWRITTEN.match(f)
        and not _under_recorded_folder(f, recorded)
    ]


def _under_recorded_folder(rel: str, recorded: set[str]) -> bool:
    parts = rel.split("/")
    return any("/".join(parts[:i]) + "/" in recorded for i in range(1, len(parts)))


def write_marker(folder: Path, kind: str, files: Iterable[str] | None = None) -> None:
    """Mark `folder` as made by this tool, recording the files in it (all of them unless `files` is given).

    A recorded name ending in '/' stands for everything under that folder (a sweep's points)."""
    from .. import __version__

    listed = sorted(set(files) if files is not None else set(_files_in(folder)) - {MARKER})
    payload = {"tool": "inmail-sim", "version": __version__, "kind": kind, "files": listed}
    (folder / MARKER).write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")


def record_files(folder: Path, names: Iterable[str]) -> None:
    """Add files a later command wrote into a folder this tool made to its marker."""
    if not is_ours(folder):
        return
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    kind = data.get("kind", "results") if isinstance(data, dict) else "results"
    write_marker(folder, str(kind), _recorded_files(folder) | set(names))


def _protected_places() -> list[tuple[Path, str]]:
    places = [(Path.cwd().resolve(), "the current folder")]
    with contextlib.suppress(RuntimeError, KeyError):
        places.append((Path.home().resolve(), "the home folder"))
    places.append((Path("/").resolve(), "the root folder"))
    return places


def check_target(path: str | Path, force: bool = False, protect: Iterable[str | Path] = ()) -> Path:
    """Refuse (OutputFolderError naming the path and the reason) a results folder that must not be written:
    an existing one without `force`; with `force`, one this tool did not make or that holds files it did not
    write; always the current folder or a parent of it, `/`, the home folder, a folder holding a file in
    `protect` (the scenario file), a symbolic link, a path whose parent is a file. Returns the path."""
    if str(path).strip() == "":
        raise OutputFolderError("--out: an empty path is not a results folder")
    out = Path(path)
    try:
        _check_target(out, force, protect)
    except OSError as err:
        raise OutputFolderError(f"--out {shown(out)}: {_os_reason(err)}") from None
    return out


def check_place(path: str | Path, protect: Iterable[str | Path] = ()) -> Path:
    """Refuse (OutputFolderError) a folder no command may ever write or replace, whether or not it exists:
    the current folder or a parent of it, `/`, the home folder, one holding a file in `protect`, a symbolic
    link, a path under a file. Returns the path."""
    if str(path).strip() == "":
        raise OutputFolderError("--out: an empty path is not a results folder")
    out = Path(path)
    try:
        _check_place(out, protect)
    except OSError as err:
        raise OutputFolderError(f"--out {shown(out)}: {_os_reason(err)}") from None
    return out


def _check_target(out: Path, force: bool, protect: Iterable[str | Path]) -> None:
    _check_place(out, protect)
    if out.exists() or os.path.lexists(out):
        _check_existing(out, force)


def _check_place(out: Path, protect: Iterable[str | Path]) -> None:
    resolved = out.resolve()
    for place, what in _protected_places():
        if resolved == place or resolved in place.parents:
            raise OutputFolderError(f"{shown(out)}: is {what} (or holds it); give --out a folder of its own")
    for item in protect:
        item_path = Path(item).resolve()
        if resolved == item_path or resolved in item_path.parents:
            raise OutputFolderError(f"{shown(out)}: holds {shown(item)}, which this command reads; give another --out")
    if out.is_symlink():
        raise OutputFolderError(f"{shown(out)}: is a symbolic link; give the folder it points to, or another --out")
    for parent in out.parents:
        if parent.exists() and not parent.is_dir():
            raise OutputFolderError(f"{shown(out)}: {shown(parent)} is a file, not a folder")
    if out.exists() and not out.is_dir():
        raise OutputFolderError(f"{shown(out)}: exists and is not a folder; give another --out")


def _check_existing(out: Path, force: bool) -> None:
    if not out.is_dir():
        raise OutputFolderError(f"{shown(out)}: exists and is not a folder; give another --out")
    if not force:
        raise OutputFolderError(f"{shown(out)}: already exists; use --force to replace it or --out for another folder")
    if not is_ours(out):
        raise OutputFolderError(
            f"{shown(out)}: --force replaces only a folder inmail-sim made (it has no {MARKER} marker); "
            "remove it yourself or give another --out"
        )
    foreign = foreign_files(out)
    if foreign:
        more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
        raise OutputFolderError(
            f"{shown(out)}: --force refused: it holds {foreign[0]}{more}, which inmail-sim did not write; "
            "move it away or give another --out"
        )


def clean_stale(parent: Path, marked_only: bool = True) -> list[Path]:
    """Remove the temporary folders that processes which no longer run left in `parent`: only folders that
    carry the marker, so nothing a user made is touched, unless `parent` itself is a folder this tool made
    (`marked_only` False: a sweep's points/). Returns what was removed."""
    removed: list[Path] = []
    try:
        entries = list(parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _INCOMPLETE.match(entry.name)
        if not match or _pid_alive(int(match["pid"])) or entry.is_symlink() or not entry.is_dir():
            continue
        if not marked_only or is_ours(entry):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def temporary_sibling(out: Path, what: str = "incomplete") -> Path:
    """The temporary folder beside `out` that this process writes `out` into."""
    return out.parent / f".{out.name}.{what}-{os.getpid()}"


def _make_parent(out: Path) -> None:
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputFolderError(f"--out {shown(out)}: cannot create its parent folder: {_os_reason(err)}") from None


def _commit(tmp: Path, out: Path, force: bool) -> None:
    """Rename the finished `tmp` to `out`, replacing (with `force`) a folder this tool made."""
    if out.exists() or os.path.lexists(out):
        _check_existing(out, force)  # again: a user may have put a file in it while the run went on
        old = temporary_sibling(out, "replaced")
        out.rename(old)
        try:
            tmp.rename(out)
        except OSError:
            old.rename(out)
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(out)


@contextlib.contextmanager
def atomic_folder(
    path: str | Path, force: bool = False, kind: str = "results", protect: Iterable[str | Path] = ()
) -> Iterator[Path]:
    """Yield a temporary folder to write a results folder into; when the block ends without an error it is
    marked and renamed to `path` (replacing, with `force`, a folder this tool made), otherwise removed.

    Raises OutputFolderError before anything is written when `path` must not be written (`check_target`)."""
    out = check_target(path, force, protect)
    _make_parent(out)
    clean_stale(out.parent)
    tmp = temporary_sibling(out)
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir()
        write_marker(tmp, kind, [])
    except OSError as err:
        shutil.rmtree(tmp, ignore_errors=True)
        raise OutputFolderError(f"--out {shown(out)}: cannot write beside it: {_os_reason(err)}") from None
    try:
        yield tmp
        write_marker(tmp, kind)
        _commit(tmp, out, force)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
