"""`inmail-sim validate` on the broken-scenario corpus (tests/bad_scenarios/): every file exits 2, names the
field and the reason, and never shows a traceback; every example scenario in scenarios/ is valid.

Each corpus file starts with `# expect: <field path>` and `# reason: <words>` lines (several pairs when a
file has several problems). Every file runs in-process through `sim.cli.main`; a selection also runs through
the real console script in a subprocess, as a user would run it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli import main

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "bad_scenarios"
FILES = sorted(CORPUS.glob("*.yaml"))
EXAMPLES = sorted((ROOT / "scenarios").glob("*.yaml"))

# run through the real console script (a subprocess each): one or more of every kind of problem
SUBPROCESS_CASES = [
    "alias_bomb.yaml",
    "binary_file.yaml",
    "bad_override_key.yaml",
    "dist_missing_parameter.yaml",
    "duplicate_key_top.yaml",
    "empty_file.yaml",
    "many_problems.yaml",
    "more_recruiters_than_seats.yaml",
    "name_with_slash.yaml",
    "not_utf8.yaml",
    "plan_not_in_preset.yaml",
    "python_tag.yaml",
    "unknown_key_team.yaml",
    "wrong_type_horizon.yaml",
    "yaml_syntax_error.yaml",
]


def _expectations(path: Path) -> list[tuple[str, str]]:
    """The (field path, reason words) pairs in the file's leading comment lines."""
    expects: list[str] = []
    reasons: list[str] = []
    for raw in path.read_bytes().split(b"\n"):
        if not raw.startswith(b"#"):
            break
        line = raw.decode("ascii").strip()
        if line.startswith("# expect:"):
            expects.append(line.removeprefix("# expect:").strip())
        elif line.startswith("# reason:"):
            reasons.append(line.removeprefix("# reason:").strip())
    assert expects and len(expects) == len(reasons), f"{path.name}: needs '# expect:' and '# reason:' lines"
    return list(zip(expects, reasons, strict=True))


def _assert_reported(name: str, status: int, out: str, err: str, expected: list[tuple[str, str]]) -> None:
    assert status == 2, f"{name}: exit status {status}, expected 2\n{err}"
    assert "Traceback" not in out + err, f"{name}: a traceback was shown\n{err}"
    lines = [line.strip() for line in err.splitlines()[1:]]
    for field, reason in expected:
        named = [line for line in lines if line.startswith((f"{field}: ", f"{field} ("))]
        assert named, f"{name}: no error names {field!r}\n{err}"
        assert any(reason in line for line in named), f"{name}: no error on {field!r} says {reason!r}\n{err}"


def _console_script() -> list[str]:
    script = Path(sys.executable).with_name("inmail-sim")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "sim.cli"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_console_script(), *args], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )


def test_corpus_is_large_and_annotated() -> None:
    assert len(FILES) >= 45
    for path in FILES:
        _expectations(path)
    assert set(SUBPROCESS_CASES) <= {p.name for p in FILES}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_corpus_file_is_rejected_with_its_field(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["validate", str(path)])
    captured = capsys.readouterr()
    _assert_reported(path.name, status, captured.out, captured.err, _expectations(path))


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_corpus_file_through_the_console_script(name: str) -> None:
    path = CORPUS / name
    done = _run("validate", str(path))
    _assert_reported(name, done.returncode, done.stdout, done.stderr, _expectations(path))


def test_missing_file_through_the_console_script(tmp_path: Path) -> None:
    done = _run("validate", str(tmp_path / "no_such_scenario.yaml"))
    _assert_reported("missing file", done.returncode, done.stdout, done.stderr, [("(file)", "no such file")])


def test_a_folder_is_not_a_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["validate", str(tmp_path)])
    _assert_reported("folder", status, "", capsys.readouterr().err, [("(file)", "is a folder")])


VALID = """\
name: small
accounts:
  - plan: recruiter
    seats: 2
team:
  - count: 2
"""


@pytest.fixture()
def valid_file(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(VALID, encoding="utf-8")
    return path


def test_set_of_an_unknown_key_through_the_console_script(valid_file: Path) -> None:
    done = _run("validate", str(valid_file), "--set", "team.0.daly_target=40", "--set", "horizon=30")
    _assert_reported(
        "--set unknown key",
        done.returncode,
        done.stdout,
        done.stderr,
        [("team.0.daly_target", "did you mean 'daily_target'?"), ("horizon", "did you mean 'horizon_days'?")],
    )
    assert "[--set team.0.daly_target=40]" in done.stderr


def test_set_of_an_out_of_range_index_through_the_console_script(valid_file: Path) -> None:
    done = _run("validate", str(valid_file), "--set", "team.3.count=1")
    _assert_reported("--set index", done.returncode, done.stdout, done.stderr, [("team.3.count", "there is no item 3")])


@pytest.mark.parametrize(
    ("item", "field", "reason"),
    [
        ("team.0.count=many", "team.0.count", "expected a whole number (got 'many')"),
        ("team.count=3", "team.count", "team is a list: name an item by its number from 0, e.g. team.0.count"),
        ("name.first=x", "name.first", "name is a single value"),
        ("accounts.0.plan=premium_business", "accounts.0.plan", "not defined by preset 'seed'"),
        ("rules.overrides.daly_limit=5", "rules.overrides.daly_limit", "did you mean 'daily_limit'?"),
        ("behaviour.read_delay={dist: lognormal}", "behaviour.read_delay.sigma", "needs median_days and sigma"),
        ("start=[1, 2", "start", "YAML syntax error"),
        ("noequals", "--set 'noequals'", "expected dotted.key=value"),
    ],
)
def test_set_errors_in_process(
    valid_file: Path, capsys: pytest.CaptureFixture[str], item: str, field: str, reason: str
) -> None:
    status = main(["validate", str(valid_file), "--set", item])
    _assert_reported(item, status, "", capsys.readouterr().err, [(field, reason)])


def test_valid_sets_are_accepted(valid_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sets = ["team.0.count=1", "horizon_days=30", "start=2026-03-02", "team.0.workdays=[mon, wed]"]
    assert main(["validate", str(valid_file), *[a for s in sets for a in ("--set", s)]]) == 0
    assert "valid" in capsys.readouterr().out


def test_valid_file_through_the_console_script(valid_file: Path) -> None:
    done = _run("validate", str(valid_file))
    assert done.returncode == 0, done.stderr
    assert "valid" in done.stdout


@pytest.mark.parametrize("path", EXAMPLES or [None], ids=lambda p: p.name if p else "none")
def test_every_example_scenario_is_valid(path: Path | None, capsys: pytest.CaptureFixture[str]) -> None:
    if path is None:
        pytest.skip("no scenarios/*.yaml yet")
    status = main(["validate", str(path)])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "Traceback" not in captured.out + captured.err


def test_schema_command_prints_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    props = schema["properties"]
    for section in ("name", "seed", "start", "horizon_days", "replications", "rules", "accounts", "team"):
        assert section in props
    for section in ("candidates", "behaviour"):
        assert section in props
    assert props["horizon_days"]["default"] == 90
    assert props["horizon_days"]["description"]
    assert props["team"]["default"][0]["daily_target"] == 30
    assert schema["additionalProperties"] is False


def test_schema_through_the_console_script() -> None:
    done = _run("schema")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["title"] == "inmail-sim scenario"


@pytest.mark.parametrize("path", FILES[::8], ids=lambda p: p.name)
def test_run_refuses_broken_scenarios_and_writes_nothing(
    path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results"
    status = main(["run", str(path), "--out", str(out), "--quiet"])
    captured = capsys.readouterr()
    assert status == 2, captured.err
    assert "Traceback" not in captured.out + captured.err
    assert not out.exists()
