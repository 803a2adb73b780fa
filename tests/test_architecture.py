"""The architecture's measures (ARCHITECTURE.md), checked on the source: module and function sizes, layers
that import only downwards, no import circle, and rule values read only in sim/rules."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SIM = ROOT / "sim"
LAYERS = ("rules", "config", "model", "runner", "output", "decide", "present", "cli")
"""Each layer may import only the layers before it (sim/__init__.py and __main__.py are the package's face)."""
RULE_VALUES = (
    "refund_rule",
    "refund_window_days",
    "response_kinds",
    "policy_threshold",
    "policy_min_sent",
    "policy_window_days",
    "policy_warning_days",
    "policy_recheck_days",
    "policy_restricted_days",
    "policy_restricted_daily_allowance",
    "daily_limit",
    "first_week_limit",
    "first_week_mode",
    "seat_monthly_limit",
    "first_degree_free",
    "open_profile_free",
    "open_profile_monthly_allowance",
    "cap_months",
    "batch_expiry_days",
    "monthly_credits",
    "reminder_after_days",
    "inmail_vs_email",
)


def _modules() -> Iterator[tuple[str, Path, ast.Module]]:
    for path in sorted(SIM.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        yield ".".join(parts), path, ast.parse(path.read_text(), filename=str(path))


MODULES = list(_modules())


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def _imports(module: str, path: Path, tree: ast.Module) -> Iterator[tuple[str, int]]:
    """Every sim module `module` imports (at any depth of the file), with its line."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.startswith("sim"):
                yield target, node.lineno
                for alias in node.names:
                    yield f"{target}.{alias.name}", node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("sim"):
                    yield alias.name, node.lineno


def test_no_module_over_500_lines() -> None:
    big = [f"{p.relative_to(ROOT)}: {n}" for _, p, _ in MODULES if (n := len(p.read_text().splitlines())) > 500]
    assert not big


def test_no_function_over_80_lines() -> None:
    long_ = [
        f"{p.relative_to(ROOT)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for _, p, tree in MODULES
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > 80
    ]
    assert not long_


def test_every_layer_folder_says_what_it_is() -> None:
    for layer in LAYERS:
        init = SIM / layer / "__init__.py"
        assert init.is_file(), layer
        assert ast.get_docstring(ast.parse(init.read_text())), f"sim/{layer}/__init__.py has no docstring"


def test_no_import_goes_up_a_layer() -> None:
    upward = []
    for module, path, tree in MODULES:
        mine = _layer(module)
        if mine is None:
            continue
        for target, line in _imports(module, path, tree):
            theirs = _layer(target)
            if theirs is not None and LAYERS.index(theirs) > LAYERS.index(mine):
                upward.append(f"{path.relative_to(ROOT)}:{line} ({mine}) imports {target} ({theirs})")
    assert not sorted(set(upward))


def test_no_import_circle_among_modules() -> None:
    """Module-level imports (not those inside functions or under TYPE_CHECKING) form no cycle."""
    names = {m for m, _, _ in MODULES}
    graph: dict[str, set[str]] = {m: set() for m in names}
    for module, path, tree in MODULES:
        for node in tree.body:
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            sub = ast.Module(body=[node], type_ignores=[])
            for target, _ in _imports(module, path, sub):
                if target in names and target != module:
                    graph[module].add(target)
    state: dict[str, int] = {}
    cycles: list[str] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*stack[stack.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    # a package's __init__ re-exporting its modules is not a circle through its members
    real = [c for c in cycles if not all(c.split(" -> ")[0].startswith(p) for p in c.split(" -> ")[1:])]
    assert not real


@pytest.mark.parametrize("layer", [layer for layer in LAYERS if layer not in ("rules", "config")])
def test_rule_values_are_read_only_in_the_rules(layer: str) -> None:
    """Outside sim/rules (and the config layer that validates them) no code reads a rule value such as
    `rules.refund_window_days`: it asks a function of sim/rules."""
    reads = [
        f"{p.relative_to(ROOT)}:{node.lineno} .{node.attr}"
        for module, p, tree in MODULES
        if _layer(module) == layer
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in RULE_VALUES
    ]
    assert not reads
