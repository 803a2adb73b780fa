"""`inmail-sim validate`: every problem of a scenario file, its `sweep:` section included."""

from __future__ import annotations

from pathlib import Path

from .errors import ScenarioError
from .load import load
from .sweeps import load_sweep
from .yaml_reader import read_document


def validate_file(path: str | Path, sets: list[str] | None = None) -> list[str]:
    """Every problem of the scenario at `path` (with `--set` items applied); empty when it is valid.

    A `sweep:` section is checked too: its keys must exist and every point must be a valid scenario."""
    try:
        doc = read_document(path)
        has_sweep = doc.data.get("sweep") is not None
        load(doc.data, doc.lines, doc.problems, str(path), sets)
        if has_sweep:
            load_sweep(path, sets)
    except ScenarioError as err:
        return err.errors
    except Exception as err:  # never a traceback from `validate`: say what broke instead
        return [f"(file): could not check this scenario ({type(err).__name__}: {err}); please report it"]
    return []
