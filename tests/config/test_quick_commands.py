"""`inmail-sim validate` and `inmail-sim presets` answer at once: they never import the numeric and plotting
stack (pandas, numpy, scipy, SimPy, matplotlib, pyarrow), which is what makes a command slow to start."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("pandas", "numpy", "scipy", "simpy", "matplotlib", "pyarrow")

# Runs a command of the CLI in this interpreter, then prints which heavy modules it imported.
PROBE = """
import contextlib, io, json, sys
from sim.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    try:
        code = main(sys.argv[1:])
    except SystemExit as exit_:
        code = exit_.code
print(json.dumps({"code": code, "heavy": sorted(m for m in HEAVY if m in sys.modules)}))
""".replace("HEAVY", repr(HEAVY))


def _probe(*args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=60,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize(
    "args",
    [
        ("validate", "scenarios/baseline.yaml"),
        ("validate", "scenarios/team_size_sweep.yaml"),  # a sweep: every point checked
        ("validate", "tests/bad_scenarios/unknown_key_top.yaml"),
        ("presets",),
        ("presets", "linkedin-current", "--yaml"),
    ],
)
def test_command_imports_no_numeric_or_plotting_stack(args: tuple[str, ...]) -> None:
    result = _probe(*args)
    assert result["code"] in (0, 2)
    assert result["heavy"] == [], f"inmail-sim {' '.join(args)} imported {result['heavy']}"
