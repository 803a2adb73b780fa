"""Output targets: `--out` places that must never be written, folders the user owns, paths the system
refuses. Each case: exit 2, one line naming the path, nothing written, nothing that existed lost."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from .helpers import BASELINE, QUICK, cli, copy_folder, refused, scenario_copy, snapshot


def _run(capsys: pytest.CaptureFixture[str], scenario: Path, out: str | Path, *extra: str):  # type: ignore[no-untyped-def]
    return cli(capsys, "run", scenario, "--out", out, *QUICK, *extra)


@pytest.mark.parametrize("force", [False, True])
@pytest.mark.parametrize("target", ["", ".", "./", "..", "/", "~"])
def test_places_never_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str, force: bool
) -> None:
    work = tmp_path / "work"
    scenario = scenario_copy(work)
    (work / "notes.txt").write_text("mine")
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(work))
    before = snapshot(tmp_path)
    out = str(work) if target == "~" else target
    result = _run(capsys, scenario, out, *(["--force"] if force else []))
    refused(result, "--out" if target == "" else "")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("force", [False, True])
def test_a_folder_holding_the_scenario_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, force: bool
) -> None:
    scenario = scenario_copy(tmp_path / "project")
    before = snapshot(tmp_path)
    refused(_run(capsys, scenario, tmp_path / "project", *(["--force"] if force else [])), "project")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("force", [False, True])
def test_a_users_folder_is_kept(capsys: pytest.CaptureFixture[str], tmp_path: Path, force: bool) -> None:
    out = tmp_path / "res"
    out.mkdir()
    (out / "mine.txt").write_text("notes")
    before = snapshot(tmp_path)
    result = _run(capsys, BASELINE, out, *(["--force"] if force else []))
    refused(result, str(out), ".inmail-sim" if force else "--force")
    assert snapshot(tmp_path) == before


def test_force_refuses_a_made_folder_holding_a_user_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, made_run: Path
) -> None:
    out = copy_folder(made_run, tmp_path / "res")
    (out / "mine.txt").write_text("notes")
    (out / "figures" / "keep.pdf").write_text("mine too")
    before = snapshot(tmp_path)
    refused(_run(capsys, BASELINE, out, "--force"), "keep.pdf", "and 1 more")
    assert snapshot(tmp_path) == before


def test_force_replaces_a_folder_it_made(capsys: pytest.CaptureFixture[str], tmp_path: Path, made_run: Path) -> None:
    out = copy_folder(made_run, tmp_path / "res")
    (out / "report.html").write_text("an old report")  # rewritten by `report`: the tool's own
    result = _run(capsys, BASELINE, out, "--force", "--seed", "7")
    assert result.code == 0, result.err
    assert not (out / "report.html").exists()  # --no-report: the old one went with the old folder
    assert "seed: 7" in (out / "scenario.resolved.yaml").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


def test_an_existing_folder_without_force(capsys: pytest.CaptureFixture[str], tmp_path: Path, made_run: Path) -> None:
    out = copy_folder(made_run, tmp_path / "res")
    before = snapshot(tmp_path)
    refused(_run(capsys, BASELINE, out), "already exists", "--force")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("force", [False, True])
def test_an_existing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path, force: bool) -> None:
    (tmp_path / "res").write_text("a file")
    before = snapshot(tmp_path)
    refused(_run(capsys, BASELINE, tmp_path / "res", *(["--force"] if force else [])), "not a folder")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("force", [False, True])
def test_a_symbolic_link(capsys: pytest.CaptureFixture[str], tmp_path: Path, made_run: Path, force: bool) -> None:
    real = copy_folder(made_run, tmp_path / "real")
    (tmp_path / "link").symlink_to(real)
    before = snapshot(tmp_path)
    refused(_run(capsys, BASELINE, tmp_path / "link", *(["--force"] if force else [])), "symbolic link")
    assert snapshot(tmp_path) == before


def test_a_dangling_symbolic_link(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "link").symlink_to(tmp_path / "nowhere")
    before = snapshot(tmp_path)
    refused(_run(capsys, BASELINE, tmp_path / "link", "--force"), "symbolic link")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("depth", [1, 3])
def test_a_parent_that_is_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path, depth: int) -> None:
    (tmp_path / "file").write_text("x")
    out = tmp_path / "file" / "/".join(["d"] * depth)
    before = snapshot(tmp_path)
    refused(_run(capsys, BASELINE, out), "is a file")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("length", [300, 5000])
def test_a_path_too_long(capsys: pytest.CaptureFixture[str], tmp_path: Path, length: int) -> None:
    out = tmp_path / ("x" * length) / "res"
    before = snapshot(tmp_path)
    result = _run(capsys, BASELINE, out)
    refused(result, "too long")
    assert len(result.err) < 400
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("out", ["/proc/inmail-sim-test", "/proc/self/nosuch/res", "/sys/inmail-sim-test"])
def test_system_folders(capsys: pytest.CaptureFixture[str], out: str) -> None:
    if Path(out).parts[1] not in os.listdir("/"):
        pytest.skip("no such file system here")
    result = _run(capsys, BASELINE, out)
    refused(result, Path(out).parent.name or "/")
    assert not Path(out).exists()


def test_a_full_disk_mid_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sim.output import results

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "res" / "summary.json"))

    monkeypatch.setattr(results.Results, "save_summary", full)
    result = _run(capsys, BASELINE, tmp_path / "res")
    refused(result, "no space left", "summary.json")
    assert list(tmp_path.iterdir()) == []


def test_a_read_only_folder_mid_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sim.output import results

    def read_only(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "res" / "figures"))

    monkeypatch.setattr(results.Results, "save_figures", read_only)
    refused(_run(capsys, BASELINE, tmp_path / "res"), "permission denied", "figures")
    assert list(tmp_path.iterdir()) == []


def test_an_internal_error_exits_1_with_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sim.output import results

    def bug(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("deliberate")

    monkeypatch.setattr(results.Results, "save_summary", bug)
    refused(_run(capsys, BASELINE, tmp_path / "res"), "internal error", "--debug", code=1)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ZeroDivisionError):
        _run(capsys, BASELINE, tmp_path / "res", "--debug")
    assert list(tmp_path.iterdir()) == []


def test_stale_temporary_folders_of_dead_runs_are_cleaned(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    stale = tmp_path / ".res.incomplete-999999999"
    stale.mkdir()
    (stale / ".inmail-sim").write_text("{}")
    users = tmp_path / ".res.incomplete-999999998"  # no marker: not ours, kept
    users.mkdir()
    result = _run(capsys, BASELINE, tmp_path / "res")
    assert result.code == 0, result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == [".res.incomplete-999999998", "res"]


def test_compare_out_refuses_a_users_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "compare.csv").write_text("the user's own table")
    before = snapshot(tmp_path)
    result = cli(capsys, "compare", BASELINE, BASELINE, "--out", tmp_path / "c", "--force", "-q")
    refused(result, ".inmail-sim")
    assert snapshot(tmp_path) == before


def test_compare_out_refuses_the_folder_of_its_scenarios(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    a = scenario_copy(tmp_path / "p", "a.yaml")
    before = snapshot(tmp_path)
    refused(cli(capsys, "compare", a, a, "--out", tmp_path / "p", "-q"), "a.yaml")
    assert snapshot(tmp_path) == before


def test_sweep_out_refuses_the_folder_of_its_scenario(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = scenario_copy(tmp_path / "p", "s.yaml")
    before = snapshot(tmp_path)
    refused(cli(capsys, "sweep", path, "--factor", "team.0.daily_target=1,2", "--out", tmp_path / "p", "-q"), "s.yaml")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("force", [False, True])
def test_sweep_into_a_users_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path, force: bool) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("notes")
    before = snapshot(tmp_path)
    result = cli(
        capsys, "sweep", BASELINE, "--factor", "team.0.daily_target=1,2", "--out", out, "-q",
        "--executor", "serial", *(["--force"] if force else []),
    )  # fmt: skip
    refused(result, str(out))
    assert snapshot(tmp_path) == before
