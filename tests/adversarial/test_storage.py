"""Output targets at the storage layer: `atomic_folder` writes a folder only when complete, marks it, and
replaces with force only a folder this tool made that holds nothing a user put there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sim.output.storage import MARKER, OutputFolderError, atomic_folder, check_target, clean_stale, is_ours


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _write(out: Path, force: bool = False, text: str = "new") -> None:
    with atomic_folder(out, force) as tmp:
        (tmp / "summary.json").write_text(text)


def test_a_new_folder_appears_complete_with_its_marker(tmp_path: Path) -> None:
    out = tmp_path / "res"
    with atomic_folder(out) as tmp:
        (tmp / "summary.json").write_text("{}")
        assert not out.exists()
    assert is_ours(out) and (out / "summary.json").read_text() == "{}"
    assert [p.name for p in tmp_path.iterdir()] == ["res"]


def test_an_error_inside_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "res"
    with pytest.raises(RuntimeError), atomic_folder(out) as tmp:
        (tmp / "summary.json").write_text("{}")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_force_replaces_a_folder_this_tool_made(tmp_path: Path) -> None:
    out = tmp_path / "res"
    _write(out, text="old")
    (out / "figures").mkdir()
    (out / "figures" / "x.png").write_bytes(b"png")  # a figure `report` redrew: the tool's own
    _write(out, force=True)
    assert (out / "summary.json").read_text() == "new"
    assert not (out / "figures").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["res"]


@pytest.mark.parametrize("force", [False, True])
def test_an_existing_folder_is_kept(tmp_path: Path, force: bool) -> None:
    out = tmp_path / "res"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    before = _snapshot(out)
    with pytest.raises(OutputFolderError, match="res") as err:
        _write(out, force)
    assert ("--force" in str(err.value)) is not force or MARKER in str(err.value)
    assert _snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["res"]


def test_force_refuses_our_folder_with_a_user_file(tmp_path: Path) -> None:
    out = tmp_path / "res"
    _write(out, text="old")
    (out / "notes.txt").write_text("mine")
    before = _snapshot(out)
    with pytest.raises(OutputFolderError, match=r"notes\.txt"):
        _write(out, force=True)
    assert _snapshot(out) == before


def test_a_user_file_added_during_the_run_stops_the_replacement(tmp_path: Path) -> None:
    out = tmp_path / "res"
    _write(out, text="old")
    with pytest.raises(OutputFolderError, match=r"notes\.txt"), atomic_folder(out, force=True) as tmp:
        (tmp / "summary.json").write_text("new")
        (out / "notes.txt").write_text("mine")
    assert (out / "summary.json").read_text() == "old" and (out / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


@pytest.mark.parametrize("target", ["", ".", "/", "~", ".."])
def test_places_never_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    path = os.path.expanduser(target) if target == "~" else target
    with pytest.raises(OutputFolderError):
        check_target(path, force=True)


def test_a_folder_holding_the_scenario_is_refused(tmp_path: Path) -> None:
    (tmp_path / "project").mkdir()
    scenario = tmp_path / "project" / "s.yaml"
    scenario.write_text("name: x\n")
    with pytest.raises(OutputFolderError, match=r"s\.yaml"):
        check_target(tmp_path / "project", force=True, protect=[scenario])


def test_a_file_a_symlink_and_a_file_parent_are_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(OutputFolderError, match="not a folder"):
        check_target(tmp_path / "file", force=True)
    with pytest.raises(OutputFolderError, match="symbolic link"):
        check_target(tmp_path / "link", force=True)
    with pytest.raises(OutputFolderError, match="is a file"):
        check_target(tmp_path / "file" / "res")


def test_a_path_too_long_is_one_message(tmp_path: Path) -> None:
    with pytest.raises(OutputFolderError, match="too long") as err:
        _write(tmp_path / ("x" * 5000) / "res")
    assert len(str(err.value)) < 300
    assert list(tmp_path.iterdir()) == []


def test_stale_temporary_folders_of_dead_processes_are_cleaned(tmp_path: Path) -> None:
    dead = tmp_path / ".res.incomplete-999999999"
    dead.mkdir()
    (dead / MARKER).write_text("{}")
    alive = tmp_path / f".res.incomplete-{os.getppid()}"
    alive.mkdir()
    (alive / MARKER).write_text("{}")
    users = tmp_path / ".mine.incomplete-999999998"  # not ours: no marker
    users.mkdir()
    assert clean_stale(tmp_path) == [dead]
    assert alive.exists() and users.exists()
