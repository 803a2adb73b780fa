"""The architecture issue 11 asks for, checked on the source: small modules and functions, layers that
import only downward, no import circle, and rule values read only inside sim/rules."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from sim.rules.presets import PlanRules, Rules

SIM = Path(__file__).resolve().parents[1] / "sim"
LAYERS = ["rules", "config", "model", "runner", "output", "decide", "present", "cli"]
"""Bottom to top: a module may import from its own layer and the layers before it."""
TOP = {"sim", "sim.__main__", "sim.examples"}
"""The package's face (`sim.run`, `python -m sim`, the shipped examples): above every layer."""
RULE_VALUES = (set(Rules.model_fields) | set(PlanRules.model_fields)) - {"name"}
"""Every rule value of a rule set and of a plan (sim/rules/presets.py), read by name."""


def _modules() -> Iterator[tuple[str, Path, ast.Module]]:
    for path in sorted(SIM.rglob("*.py")):
        parts = path.relative_to(SIM.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path, ast.parse(path.read_text(encoding="utf-8"))


MODULES = list(_modules())


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node but those under `if TYPE_CHECKING:` (imports for annotations only, never executed)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            continue
        yield node
        yield from _runtime_nodes(node)


def _imports(name: str, path: Path, tree: ast.Module) -> set[str]:
    """The sim modules `name` imports when it runs, anywhere in it (a deferred import in a function counts)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    known = {m for m, _, _ in MODULES}
    found: set[str] = set()
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("sim")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = {a.name for a in node.names} - {"__version__"}  # the version string is not the package's API
            if not base.startswith("sim") or not names:
                continue
            submodules = {f"{base}.{n}" for n in names} & known
            found |= submodules
            if len(submodules) < len(names):  # something defined in `base` itself
                found.add(base)
    return {m for m in found if m in known and m != name}


GRAPH = {name: _imports(name, path, tree) for name, path, tree in MODULES}


@pytest.mark.parametrize("name,path", [(n, p) for n, p, _ in MODULES], ids=[n for n, _, _ in MODULES])
def test_no_module_is_over_500_lines(name: str, path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= 500, f"{name}: {lines} lines"


def test_no_function_is_over_80_lines() -> None:
    long = [
        f"{name}.{node.name}: {node.end_lineno - node.lineno + 1} lines"
        for name, _, tree in MODULES
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > 80
    ]
    assert long == [], long


def test_no_import_goes_up_a_layer() -> None:
    upward = [
        f"{name} ({LAYERS[low]}) imports {dep} ({LAYERS[high]})"
        for name, deps in GRAPH.items()
        if name not in TOP and (low := _layer(name)) is not None
        for dep in sorted(deps)
        if (high := _layer(dep)) is not None and high > low
    ]
    assert upward == [], upward


def test_no_layer_below_the_commands_imports_the_packages_face() -> None:
    face = [
        f"{name} imports {dep}"
        for name, deps in GRAPH.items()
        if name not in TOP and _layer(name) != LAYERS.index("cli")
        for dep in sorted(deps & TOP)
    ]
    assert face == [], face


def test_no_import_circle() -> None:
    """Tarjan's strongly connected components: a component of more than one module is a circle. A package's
    __init__ that re-exports its own modules is not one (the modules do not import it back)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in GRAPH:
        if v not in index:
            visit(v)
    assert circles == [], circles


def _rule_value_reads(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in RULE_VALUES and isinstance(node.ctx, ast.Load):
            yield node.lineno, f".{node.attr}"
        elif (
            isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and isinstance(node.slice, ast.Constant)
        ):
            if node.slice.value in RULE_VALUES:
                yield node.lineno, f"[{node.slice.value!r}]"
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value in RULE_VALUES
        ):
            yield node.lineno, f".get({node.args[0].value!r})"


def test_rule_values_are_read_only_inside_the_rules() -> None:
    """The engines, output, presentation and commands ask sim/rules; they do not read a rule value."""
    reads = [
        f"{path.relative_to(SIM.parent)}:{line}: {what}"
        for name, path, tree in MODULES
        if _layer(name) != 0
        for line, what in _rule_value_reads(tree)
    ]
    assert reads == [], reads


def test_every_module_sits_in_a_layer() -> None:
    folders = {p.name for p in SIM.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    assert folders == set(LAYERS)
    assert {n for n, _, _ in MODULES if _layer(n) is None} == TOP


def test_the_checks_see_what_they_look_for(tmp_path: Path) -> None:
    """The import and rule-read checks themselves, on a module written for them."""
    source = (
        "from ..present import plots\nfrom .. import __version__\nfrom ..rules import captions\n"
        "if TYPE_CHECKING:\n    from ..cli import main\n"
        "a = rules.policy_threshold\nb = rules.get('daily_limit')\nc = plan['cap_months']\nd = spec.get('seats')\n"
        "e = {}\ne['per_seat'] = 1\n"
    )
    tree = ast.parse(source)
    path = tmp_path / "bad.py"
    known = {m for m, _, _ in MODULES}
    assert {"sim.present.plots", "sim.rules.captions"} <= known
    assert _imports("sim.output.bad", path, tree) == {"sim.present.plots", "sim.rules.captions"}
    assert sorted(_rule_value_reads(tree)) == [(6, ".policy_threshold"), (7, ".get('daily_limit')"),
                                               (8, "['cap_months']")]  # fmt: skip
