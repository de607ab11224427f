"""The architecture as rules the tests enforce: the import-linter contracts in ``.importlinter`` (layers, the
engine importing no outer layer, Streamlit only in the dashboard, the service's rooms, the dashboard glue), that
they name every engine module and every room of the service, no import cycle anywhere among the project's
modules (imports inside functions and under TYPE_CHECKING included), engine tests that load no Streamlit, and
page scripts doing no tensor math."""
from __future__ import annotations

import ast
import configparser
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import grimp
import pytest

from pruning_core import paths

CONFIG = paths.APP_DIR / ".importlinter"
FACES = {"cli", "__main__", "__init__"}  # the command-line face and the package itself: not engine modules
ROOT_PACKAGES = ("pruning_core", "ui")


def contract(name: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser()
    parser.read(CONFIG)
    return parser[f"importlinter:contract:{name}"]


def listed(value: str) -> set[str]:
    return {part.strip() for line in value.splitlines() for part in line.split("|") if part.strip()}


def test_import_contracts_are_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--config", str(CONFIG), "--no-cache"], cwd=paths.APP_DIR,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_the_engine_contract_names_every_engine_module() -> None:
    engine = {f"pruning_core.{p.stem}" for p in paths.PACKAGE_DIR.glob("*.py") if p.stem not in FACES}
    assert engine == listed(contract("engine")["source_modules"])


def test_the_service_contract_names_every_room() -> None:
    rooms = {p.name for p in (paths.PACKAGE_DIR / "service").iterdir() if (p / "__init__.py").is_file()}
    assert rooms == listed(contract("service-rooms")["layers"])


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Every group of modules that import each other in a circle (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:  # iterative: no recursion limit on a deep graph
        work = [(module, iter(sorted(graph.find_modules_directly_imported_by(module))))]
        index[module] = low[module] = len(index)
        stack.append(module)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1 or node in graph.find_modules_directly_imported_by(node):
                    found.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def graph_of(edges: Iterable[tuple[str, str]]) -> grimp.ImportGraph:
    graph = grimp.ImportGraph()
    for importer, imported in edges:
        graph.add_import(importer=importer, imported=imported)
    return graph


def test_the_cycle_finder_finds_cycles() -> None:
    assert cycles(graph_of([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("e", "d")])) == [["a", "b", "c"]]
    assert cycles(graph_of([("a", "b"), ("b", "c"), ("a", "c")])) == []


def test_no_import_cycles() -> None:
    graph = grimp.build_graph(*ROOT_PACKAGES, include_external_packages=False, cache_dir=None)
    assert len(graph.modules) > 50
    assert cycles(graph) == []


def test_engine_tests_import_no_streamlit() -> None:
    """The engine's tests (and the conftest and helpers they load) run without the dashboard's libraries."""
    code = ("import importlib, pathlib, sys; import tests.conftest; "
            "[importlib.import_module('tests.engine.' + p.stem) "
            "for p in sorted(pathlib.Path('tests/engine').glob('*.py'))]; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('streamlit', 'ui')))")
    done = subprocess.run([sys.executable, "-c", code], cwd=paths.APP_DIR, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("page", sorted((paths.APP_DIR / "views").glob("*.py")), ids=lambda p: p.name)
def test_views_do_no_tensor_math(page: Path) -> None:
    """Page scripts are UI only: they call the engine and service, never torch directly."""
    tree = ast.parse(page.read_text(encoding="utf-8"))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {name for name in names if name.split(".")[0] == "torch"}
