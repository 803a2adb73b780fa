"""The README stays true: its scenario example loads, its gallery images exist and are small."""

from __future__ import annotations

import re
from pathlib import Path

from sim.runner.sweep import load_sweep

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_commands() -> None:
    first = README.split("```")[1]
    assert [line.split()[:2] for line in first.strip().splitlines()] == [["make", "run"], ["make", "test"]]


def test_scenario_example_is_a_valid_sweep(tmp_path: Path) -> None:
    match = re.search(r"## The scenario format, by example.*?```yaml\n(.*?)```", README, re.DOTALL)
    assert match, "the README shows a scenario in a yaml block"
    path = tmp_path / "example.yaml"
    path.write_text(match.group(1), encoding="utf-8")
    base, _, points = load_sweep(path)
    assert len(points) == 12
    assert base.resolved_rules().daily_limit == 500


def test_gallery_images_exist_and_are_small() -> None:
    images = re.findall(r"\]\((docs/[^)]+\.png)\)", README)
    assert len(images) >= 8
    for image in images:
        path = ROOT / image
        assert path.is_file(), image
        assert path.read_bytes().startswith(b"\x89PNG") and path.stat().st_size < 100_000, image
