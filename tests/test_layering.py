"""The architecture as a rule the tests enforce: the engine at the top of ``pruning_core`` imports none of the
outer layers (``service``, ``research``, ``plots``) and never Streamlit; ``plots`` imports neither ``service``
nor ``research``; only ``research`` may import ``plots``; ``service`` may run ``research`` (a quick experiment
is a job) but not the other way round; page scripts and the engine never import each
other's faces. ``cli.py`` is the command-line face, so like the dashboard it may use every layer.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from pruning_core import paths

PACKAGE = paths.PACKAGE_DIR
OUTER = ("service", "research", "plots")
FACES = {"cli.py", "__main__.py"}


def imported_modules(path: Path) -> set[str]:
    """Absolute dotted names of every module ``path`` imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(parent + ([node.module] if node.module else []))
            found.update(f"{base}.{alias.name}" for alias in node.names)
            found.add(base)
    return found


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "pruning_core":
        return None
    return parts[1] if len(parts) > 1 and parts[1] in OUTER else "engine"


def files_of(layer: str) -> list[Path]:
    if layer == "engine":
        return [p for p in PACKAGE.glob("*.py") if p.name not in FACES]
    return sorted((PACKAGE / layer).glob("*.py"))


ALLOWED = {"engine": {"engine"}, "plots": {"engine", "plots"}, "service": {"engine", "service", "research"},
           "research": {"engine", "research", "plots"}}


@pytest.mark.parametrize("layer", list(ALLOWED))
def test_each_layer_imports_only_what_it_may(layer: str) -> None:
    offenders = []
    for path in files_of(layer):
        for module in imported_modules(path):
            target = layer_of(module)
            if module.split(".")[0] == "streamlit" or (target is not None and target not in ALLOWED[layer]):
                offenders.append(f"{path.relative_to(PACKAGE.parent)} imports {module}")
    assert files_of(layer), f"no modules found for layer {layer}"
    assert not offenders, offenders


def test_the_rule_catches_a_violation(tmp_path: Path) -> None:
    """The checker itself: a relative import of an outer layer from an engine module is seen as one."""
    fake = PACKAGE / "_layering_probe.py"
    fake.write_text("from .service import jobs\nfrom . import masks\n")
    try:
        assert layer_of("pruning_core.service.jobs") == "service"
        assert "pruning_core.service.jobs" in imported_modules(fake)
        assert layer_of("pruning_core.masks") == "engine"
    finally:
        fake.unlink()


def test_views_do_no_tensor_math() -> None:
    """Page scripts are UI only: they call the engine and service, never torch directly."""
    for page in sorted((paths.APP_DIR / "views").glob("*.py")):
        assert not {m for m in imported_modules_outside(page) if m.split(".")[0] == "torch"}, page.name


def imported_modules_outside(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    return names
