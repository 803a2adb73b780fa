"""inmail-sim: a discrete-event simulator of recruiter InMail outreach.

The notebook API: `sim.load_scenario(path_or_dict, overrides=...)`, `sim.run(scenario, replications=...,
seed=...)` returning `Results` (DataFrames, summary with CIs, figures, `save(dir)`). This facade is the one
module that may import every layer: it plugs presentation's figures into output's saving.
"""

from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("inmail-sim")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+local"

__all__ = ["Results", "Scenario", "ScenarioError", "__version__", "load_scenario", "run"]


def __getattr__(name: str) -> Any:
    """Import the API lazily, so `inmail-sim validate` does not pay for pandas and SimPy."""
    if name in ("load_scenario", "Scenario", "ScenarioError"):
        from .config import scenario

        return getattr(scenario, name)
    if name in ("run", "Results"):  # the results with figures; saved folders carry their figures
        from .present import results

        return getattr(results, name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
