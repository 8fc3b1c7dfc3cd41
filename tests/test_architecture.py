"""Layers never import upward.

The packages are stacked in floors (docs/architecture.md): a module may import its own
floor and the floors below it, never one above. Lazy imports inside functions count
too, so a cycle cannot hide behind ``import`` in a function body. A new package must be
given a floor here before it can import anything of ours.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Lowest first. Packages on one floor may import each other only if listed together.
FLOORS: list[tuple[str, ...]] = [
    ("storage",),
    ("notifiers",),
    ("monitor.core",),
    ("monitor.opendart",),
    ("monitor.ingest",),
    ("monitor.facts",),
    ("monitor.fakedart", "monitor.kai"),
    ("monitor.delivery",),
    ("monitor.bot", "monitor.digest"),
    ("monitor.web",),
    ("monitor.runtime",),
    ("monitor.commands",),
    ("monitor.cli", "monitor.__main__", "monitor"),
]
OURS = ("monitor", "notifiers", "storage")


def _unit(module: str) -> str:
    """The floor unit of a dotted module name: a top-level package, or a subpackage
    (or top-level module) of ``monitor``."""
    parts = module.split(".")
    if parts[0] == "monitor" and len(parts) > 1:
        return f"monitor.{parts[1]}"
    return parts[0]


def _floor(unit: str) -> int:
    for level, units in enumerate(FLOORS):
        if unit in units:
            return level
    raise AssertionError(f"{unit} has no floor in tests/test_architecture.py: give it one")


def _modules() -> list[tuple[str, Path]]:
    found = []
    for top in OURS:
        for path in sorted((ROOT / top).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found.append((".".join(parts), path))
    return found


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {n for n in names if n.split(".")[0] in OURS}


def upward_imports() -> list[str]:
    """Every import that points to a higher floor, as 'module -> imported'."""
    known = {name for name, _ in _modules()}
    bad = []
    for name, path in _modules():
        here = _floor(_unit(name))
        for imported in sorted(_imports(path)):
            # ``from monitor.x import y`` lists ``monitor.x.y``; judge it by what exists
            target = imported if imported in known else imported.rpartition(".")[0]
            if target == "monitor" or target not in known:
                continue
            if _floor(_unit(target)) > here:
                bad.append(f"{name} -> {target}")
    return bad


def test_no_layer_imports_upward() -> None:
    assert upward_imports() == []


def test_every_package_has_a_floor() -> None:
    for name, _ in _modules():
        _floor(_unit(name))


def test_the_rule_catches_an_upward_import(tmp_path: Path) -> None:
    """The check itself works: an import from the floor to the top is reported."""
    source = "from monitor.runtime.container import App\n"
    (tmp_path / "probe.py").write_text(source, encoding="utf-8")
    imported = _imports(tmp_path / "probe.py")
    assert "monitor.runtime.container" in imported
    assert _floor(_unit("monitor.runtime.container")) > _floor(_unit("monitor.core.settings"))


@pytest.mark.parametrize("package", ["benchmarks", "testkit"])
def test_benchmarks_and_testkit_never_import_tests(package: str) -> None:
    """What tests and benchmarks share lives in ``testkit``; neither it nor the
    benchmarks reach into ``tests``."""
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            module = None
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                module = node.module
            elif isinstance(node, ast.Import):
                module = node.names[0].name
            if module and module.split(".")[0] == "tests":
                offenders.append(f"{path.relative_to(ROOT)}: {module}")
    assert offenders == []
