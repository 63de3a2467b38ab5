"""The house's rules, checked on the code itself: layers, no cycles, small modules, light imports."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("copilot", "simulator", "evaluation", "finetune", "bench")
UPPER = ("simulator", "evaluation", "finetune", "bench")


def _imports(path: Path) -> list[tuple[str, int]]:
    """Every module a file imports, with its line, wherever the import statement stands."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.module, node.lineno))
    return found


def test_copilot_imports_nothing_above_it():
    """The ground floor: only the command line `python -m copilot` may build a real simulator."""
    allowed = {("copilot/__main__.py", "simulator.core")}
    upward = [
        (str(path.relative_to(ROOT)), module, line)
        for path in sorted((ROOT / "copilot").rglob("*.py"))
        for module, line in _imports(path)
        if module.split(".")[0] in UPPER and (str(path.relative_to(ROOT)), module) not in allowed
    ]
    assert upward == []


def test_no_cycle_between_modules():
    sys.path.insert(0, str(ROOT))
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    modules = sorted(graph.modules)
    # Tarjan's strongly connected components over "A imports B"
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in graph.find_modules_directly_imported_by(module):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in modules:
        if module not in index:
            visit(module)
    # a package's __init__ that hands its modules' names on is not a cycle of modules
    real = [c for c in cycles if not any(graph.find_children(m) for m in c)]
    assert real == []


def test_modules_are_small_and_finetune_has_rooms():
    sizes = {
        str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines())
        for package in PACKAGES
        for p in (ROOT / package).rglob("*.py")
    }
    assert {path: n for path, n in sizes.items() if n > 450} == {}
    top = sorted(p.name for p in (ROOT / "finetune").glob("*.py"))
    assert len(top) <= 6, top


@pytest.mark.skipif(shutil.which("lint-imports") is None, reason="import-linter not installed")
def test_import_linter_contracts_are_kept():
    out = subprocess.run(["lint-imports"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout[-2000:]
    assert "0 broken" in out.stdout


def test_importing_copilot_loads_no_heavy_library():
    code = (
        "import sys, copilot; "
        "print(sorted(m for m in ('torch', 'transformers', 'openai', 'pygame', 'simulator') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
