"""The example scenarios and notebooks that ship with inmail-sim, found from any working directory.

An installed wheel holds them under `sim/resources/` (copied there at build time, see setup.py); a source
tree or an editable install reads the repository's own `scenarios/` and `notebooks/`.
    sim.load_scenario(scenario_path("baseline"))
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SCENARIOS = "scenarios"
NOTEBOOKS = "notebooks"
_SUFFIX = {SCENARIOS: ".yaml", NOTEBOOKS: ".ipynb"}


def folder(kind: str) -> Path:
    """The folder holding the shipped `scenarios` or `notebooks`."""
    if kind not in _SUFFIX:
        raise ValueError(f"kind must be {SCENARIOS!r} or {NOTEBOOKS!r}, not {kind!r}")
    shipped = resources.files("sim") / "resources" / kind
    if isinstance(shipped, Path) and shipped.is_dir():
        return shipped
    source = Path(__file__).resolve().parent.parent / kind
    if source.is_dir():
        return source
    raise FileNotFoundError(f"the example {kind} are not installed with this copy of inmail-sim (looked in {shipped})")


def names(kind: str = SCENARIOS) -> list[str]:
    """The shipped examples of one kind, by name without the suffix ("baseline", "team_size_sweep", ...)."""
    return sorted(p.stem for p in folder(kind).glob(f"*{_SUFFIX[kind]}"))


def _path(kind: str, name: str) -> Path:
    stem = name.removesuffix(_SUFFIX[kind])
    if stem not in names(kind):
        raise FileNotFoundError(f"no example {kind[:-1]} named {name!r}; the examples: {', '.join(names(kind))}")
    return folder(kind) / f"{stem}{_SUFFIX[kind]}"


def scenario_path(name: str = "baseline") -> Path:
    """The path of a shipped example scenario, e.g. scenario_path("baseline") (".yaml" optional)."""
    return _path(SCENARIOS, name)


def notebook_path(name: str) -> Path:
    """The path of a shipped notebook, e.g. notebook_path("01_quickstart") (".ipynb" optional)."""
    return _path(NOTEBOOKS, name)
