"""The package installs right outside the repository: the wheel holds the example scenarios and notebooks,
its metadata matches pyproject.toml, and an installed copy finds its examples and writes a starter folder
from any folder. The lock pins every declared dependency within its range; every dependency has a floor
that `make test-floors` installs; the README's links point at files in the repository."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement

from .conftest import ROOT

PROJECT: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
BUILD_INPUTS = ["pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE", "sim", "scenarios", "notebooks"]
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "resources")


def _declared() -> list[Requirement]:
    extras = [r for rs in PROJECT["optional-dependencies"].values() for r in rs]
    return [Requirement(r) for r in [*PROJECT["dependencies"], *extras]]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel `pip wheel . --no-deps` builds from a copy of the sources (the tree itself stays clean)."""
    source = tmp_path_factory.mktemp("source")
    for name in BUILD_INPUTS:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=IGNORED)
        else:
            shutil.copy2(path, source / name)
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--quiet", "--wheel-dir", str(out)]
    built = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    (found,) = out.glob("inmail_sim-*.whl")
    return found


def test_wheel_holds_the_examples_license_and_every_package_file(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        members = set(archive.namelist())
        for kind, pattern in (("scenarios", "*.yaml"), ("notebooks", "*.ipynb")):
            canonical = sorted((ROOT / kind).glob(pattern))
            assert canonical
            for path in canonical:
                assert archive.read(f"sim/resources/{kind}/{path.name}") == path.read_bytes(), path.name
        assert any(m.endswith(".dist-info/licenses/LICENSE") for m in members)
    package_files = {p.relative_to(ROOT).as_posix() for p in (ROOT / "sim").rglob("*") if p.is_file()}
    missing = {f for f in package_files if "__pycache__" not in f and not f.endswith(".pyc")} - members
    assert not missing, f"files of the package not in the wheel (add them to MANIFEST.in): {sorted(missing)}"


def test_wheel_metadata_matches_pyproject(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = (m for m in archive.namelist() if m.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(name).decode())
    assert metadata["License-Expression"] == PROJECT["license"] == "MIT"
    assert metadata["Requires-Python"] == PROJECT["requires-python"]
    runtime = [Requirement(r) for r in metadata.get_all("Requires-Dist") if "extra ==" not in r]
    assert sorted(map(str, runtime)) == sorted(str(Requirement(r)) for r in PROJECT["dependencies"])
    assert set(metadata.get_all("Classifier")) == set(PROJECT["classifiers"])
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")


def test_installed_wheel_finds_its_examples_from_anywhere(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    command = [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(wheel)]
    assert subprocess.run(command, capture_output=True, text=True, timeout=300).returncode == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}  # the installed copy, not the repository's sim/
    script = "import sim.examples as e; print(e.scenario_path('baseline')); print(e.notebook_path('01_quickstart'))"
    found = subprocess.run([sys.executable, "-c", script], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert found.returncode == 0, found.stderr
    for line in found.stdout.splitlines():
        assert Path(line).is_relative_to(target / "sim" / "resources") and Path(line).is_file(), line
    init = [sys.executable, "-m", "sim", "init", "starter", "--quiet"]
    made = subprocess.run(init, cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    baseline = (ROOT / "scenarios" / "baseline.yaml").read_text(encoding="utf-8")
    starter = (elsewhere / "starter" / "scenario.yaml").read_text(encoding="utf-8")
    assert starter.endswith(baseline.replace("scenarios/baseline.yaml", "scenario.yaml"))


def test_lock_pins_every_declared_dependency_within_its_range() -> None:
    pins: dict[str, list[str]] = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9._-]+)==([^\s;]+)", line)
        if match:
            pins.setdefault(match.group(1).lower().replace("_", "-"), []).append(match.group(2))
    for requirement in _declared():
        key = requirement.name.lower().replace("_", "-")
        assert key in pins, f"{requirement.name} is not in requirements.lock: run `make lock`"
        for version in pins[key]:
            assert requirement.specifier.contains(version), f"{requirement}, the lock pins {version}: run `make lock`"


def test_every_runtime_dependency_has_a_floor_that_test_floors_installs() -> None:
    spec = importlib.util.spec_from_file_location("floors", ROOT / ".ci" / "floors.py")
    assert spec and spec.loader
    floors = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(floors)
    pinned = floors.floors(["dev"])
    for requirement in map(Requirement, PROJECT["dependencies"]):
        floor = pinned.get(requirement.name.lower())
        assert floor, f"{requirement} has no `>=` floor, so make test-floors cannot test its lowest version"
        assert requirement.specifier.contains(floor)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test\n" in ci and "make test-floors" in ci and "chromium" in ci


def test_readme_links_point_at_files_in_the_repository() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = [link for link in re.findall(r"\]\(([^)#\s]+)", readme) if "://" not in link]
    assert "docs/source-text.txt" in links, "the README cites the source text by its path"
    missing = [link for link in links if not (ROOT / link).exists()]
    assert not missing, f"README links to paths not in the repository: {missing}"
