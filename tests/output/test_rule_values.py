"""Presentation reads the resolved rules: no caption, title or sentence states a rule value of its own, and an
overridden value shows everywhere (report.html, figure titles and legends)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import matplotlib.text
import pytest

from sim.cli import main
from sim.config.scenario import load_scenario
from sim.output.results import Results

from ..conftest import ROOT

OVERRIDES = ["--set", "rules.overrides.refund_window_days=5", "--set", "rules.overrides.policy_threshold=0.2"]
SMALL = ["--set", "horizon_days=30", "--replications", "2", "--executor", "serial", "--quiet"]
RULE_TEXT = re.compile(r"(?<![.\d])\d+(\.\d+)?\s?%|\b\d+[- ]days?\b|\b\d[\d,]*\s+InMails\b")


@pytest.fixture(scope="module")
def overridden(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rules") / "blasting"
    assert main(["run", str(ROOT / "scenarios/blasting_team.yaml"), "--out", str(out), *OVERRIDES, *SMALL]) == 0
    return out


def _figure_texts(fig: object) -> str:
    return "\n".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))  # type: ignore[attr-defined]


def test_overridden_rule_values_show_in_the_report(overridden: Path) -> None:
    assert main(["report", str(overridden), "--quiet"]) == 0
    text = (overridden / "report.html").read_text(encoding="utf-8")
    assert "within 5 days" in text and "20%" in text
    assert "13%" not in text and "7 days" not in text.replace("re-check 7 days", "")
    assert "7-day" not in text


def test_overridden_rule_values_show_in_the_figures() -> None:
    scenario = load_scenario(ROOT / "scenarios/blasting_team.yaml",
                             ["horizon_days=30", "rules.overrides.refund_window_days=5",
                              "rules.overrides.policy_threshold=0.2"])  # fmt: skip
    from sim import run

    results: Results = run(scenario, replications=1, seed=3)
    texts = {stem: _figure_texts(fig) for stem, fig in results.figures().items()}
    assert "20% threshold" in texts["response_rate"] and "13%" not in texts["response_rate"]
    assert "5-day window" in texts["time_to_response"] and "7-day" not in texts["time_to_response"]
    assert "Trailing 14-day" in texts["response_rate"]  # the policy window, read from the same resolved rules


def test_no_rule_value_is_stated_as_text_in_presentation() -> None:
    """String literals of sim/present hold no percentage, day count or InMail count other than the 95% CI."""
    found = []
    for path in sorted((ROOT / "sim/present").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value.replace("95%", "")
                if "font-family" in text:  # the style sheet's widths
                    continue
                if RULE_TEXT.search(text):
                    found.append(f"{path.name}:{node.lineno}: {text[:80]!r}")
    assert found == []
