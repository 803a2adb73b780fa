"""Every notebook runs top to bottom in a fresh kernel with small settings, and its last cell checks the
result it produced. The kernel is this interpreter (the project's venv), whatever kernels the machine has."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat
import pytest

from .conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"
KERNEL = "inmail-sim-test"

# small settings replacing each notebook's `parameters` cell
SMALL: dict[str, str] = {
    "01_quickstart": "REPLICATIONS = 2\nHORIZON_DAYS = 20\nNEW_DAILY_TARGET = 25\n",
    "02_team_size": (
        "REPLICATIONS = 2\nHORIZON_DAYS = 20\nTEAM_SIZES = [1, 3]\nDAILY_TARGETS = [5, 40]\n"
        "POPULATION = 20000\nRESPONSE_PROBABILITY = 0.22\n"
    ),
    "03_refund_rules": "REPLICATIONS = 3\nHORIZON_DAYS = 20\nBLAST_RESPONSE = 0.08\nPERSONAL_RESPONSE = 0.30\n",
    "04_recommend": (
        "HORIZON_DAYS = 30\nDAILY_TARGETS = [1, 3, 8]\nFIRST_REPLICATIONS = 8\nMAX_REPLICATIONS = 60\n"
        "DRY_LIMIT = 0.20\n"
    ),
}


def _parameters_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and "parameters" in code[0].metadata.get("tags", []), "the first code cell is tagged 'parameters'"
    return code[0]


def test_every_notebook_has_a_small_setting() -> None:
    found = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
    assert found == sorted(SMALL)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_notebook_is_committed_clean(name: str) -> None:
    """nbformat 4, valid, no outputs or execution counts, a parameters cell, a checking last cell."""
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, "commit notebooks without outputs"
    params = _parameters_cell(nb)
    assert set(_names(params.source)) == set(_names(SMALL[name])), "the test overrides every parameter"
    last = nb.cells[-1]
    assert last.cell_type == "code" and "assert " in last.source


def _names(source: str) -> list[str]:
    return [line.split("=")[0].strip() for line in source.splitlines() if "=" in line and not line.startswith("#")]


@pytest.fixture(scope="module")
def kernel_dirs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """A kernelspec that starts this interpreter (the venv's), in a folder of its own."""
    pytest.importorskip("ipykernel", reason="ipykernel is a dev extra: pip install -e '.[dev]'")
    root = tmp_path_factory.mktemp("kernels")
    spec = root / KERNEL
    spec.mkdir()
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "inmail-sim (test)",
                "language": "python",
                "env": {"MPLBACKEND": "module://matplotlib_inline.backend_inline"},
            }
        )
    )
    return [str(root)]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SMALL))
def test_notebook_runs(name: str, kernel_dirs: list[str], tmp_path: Path) -> None:
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    _parameters_cell(nb).source = SMALL[name]
    km = KernelManager(kernel_name=KERNEL, kernel_spec_manager=KernelSpecManager(kernel_dirs=kernel_dirs))
    elsewhere, scratch = tmp_path / "elsewhere", tmp_path / "tmp"
    elsewhere.mkdir()
    scratch.mkdir()
    client = NotebookClient(
        nb,
        km=km,
        kernel_name=KERNEL,
        timeout=300,
        resources={"metadata": {"path": str(elsewhere)}},  # a folder that is not the repository's
    )
    try:
        client.execute(env={**os.environ, "TMPDIR": str(scratch)})
    except CellExecutionError as err:  # the failing cell's source and traceback, not the kernel's noise
        pytest.fail(f"{name}.ipynb failed:\n{err}", pytrace=False)
    assert km.kernel_spec is not None and km.kernel_spec.argv[0] == sys.executable
    last = nb.cells[-1]
    assert any("checks passed" in o.get("text", "") for o in last.outputs), "the last cell ran its checks"
    images = sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert images >= 2, "the notebook shows its figures"
    assert not list(scratch.iterdir()), "the notebook's temporary folders are gone once its kernel stopped"
