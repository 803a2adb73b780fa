"""The layers of sim/ import only downwards: rules -> config -> model -> runner -> output -> decide -> present ->
cli (the README's Architecture section). A lower layer that needs something of a higher one defines what it
needs and is handed it (as output's saving is handed presentation's figure writer). Only the package's face
(`sim/__init__.py`) and its entry point sit above every layer."""

from __future__ import annotations

import ast
from pathlib import Path

from .conftest import ROOT

LAYERS = ["rules", "config", "model", "runner", "output", "decide", "present", "cli"]


def _imported(path: Path, package: list[str]) -> list[tuple[int, str]]:
    """Every module `path` imports (absolute dotted names), with its line."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names = [module] if node.module else [f"{module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        out.extend((node.lineno, name) for name in names)
    return out


def _upward(root: Path) -> list[str]:
    found = []
    for path in sorted((root / "sim").rglob("*.py")):
        parts = path.relative_to(root / "sim").parts
        if len(parts) < 2:  # the face and the entry point sit above every layer
            continue
        layer = parts[0]
        for line, name in _imported(path, ["sim", *parts[:-1]]):
            bits = name.split(".")
            if bits[0] != "sim":
                continue
            where = f"{path.relative_to(root)}:{line}"
            if len(bits) > 1 and bits[1] in LAYERS and LAYERS.index(bits[1]) > LAYERS.index(layer):
                found.append(f"{where}: {layer} imports {name}")
    return found


def test_every_module_sits_in_a_layer() -> None:
    folders = {p.name for p in (ROOT / "sim").iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    assert folders == set(LAYERS)


def test_no_layer_imports_a_higher_one() -> None:
    assert _upward(ROOT) == []


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    (tmp_path / "sim" / "output").mkdir(parents=True)
    (tmp_path / "sim" / "output" / "bad.py").write_text(
        "from ..present import plots\nfrom sim.cli import main\nfrom .. import __version__\nfrom ..rules import x\n"
    )
    assert _upward(tmp_path) == [
        "sim/output/bad.py:1: output imports sim.present",
        "sim/output/bad.py:2: output imports sim.cli",
    ]
