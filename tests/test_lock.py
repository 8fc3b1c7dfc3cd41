"""The hashed dependency locks match pyproject.toml: every requirement (and the dev
extra's) pinned at a version its specifier allows, every pin hashed, and the runtime
lock at the same versions as the dev lock (scripts/check_lock.py does the checking;
setup.sh runs it before installing)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_lock", ROOT / "scripts" / "check_lock.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check = _checker()


@pytest.mark.parametrize("name", ["requirements.lock", "requirements-dev.lock"])
def test_lock_matches_pyproject(name: str) -> None:
    assert check.problems(ROOT / name) == []


def test_runtime_and_dev_locks_pin_the_same_versions() -> None:
    runtime = check.read_lock(ROOT / "requirements.lock")
    dev = check.read_lock(ROOT / "requirements-dev.lock")
    assert runtime, "requirements.lock pins nothing"
    assert {n: v for n, (v, _) in runtime.items()} == {n: dev[n][0] for n in runtime if n in dev}
    assert set(runtime) <= set(dev)


def test_every_direct_requirement_is_checked(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    pyproject.write_text(text.replace('"httpx>=0.28,<0.29"', '"httpx>=99"'), encoding="utf-8")
    assert check.problems(ROOT / "requirements.lock", pyproject) == [
        f"requirements.lock: httpx=={check.read_lock(ROOT / 'requirements.lock')['httpx'][0]}"
        " does not satisfy httpx>=99"
    ]
    pyproject.write_text(text.replace('"jinja2>=3.1",', '"jinja2>=3.1", "left-pad>=1",'))
    assert check.problems(ROOT / "requirements.lock", pyproject) == [
        "requirements.lock: left-pad is not pinned (required: left-pad>=1)"
    ]


def test_a_pin_without_a_hash_is_reported(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.lock"
    lines = (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("httpx=="))
    kept = [lines[start].rstrip(" \\")]
    rest = [ln for ln in lines[start + 1 :] if not ln.strip().startswith("--hash=")]
    lock.write_text("\n".join([*lines[:start], *kept, *rest]) + "\n", encoding="utf-8")
    found = check.problems(lock)
    assert found and all("has no hash" in p for p in found)
    assert any(p.startswith("requirements.lock: httpx==") for p in found)


def test_pre_1_0_dependencies_have_an_upper_bound() -> None:
    pins = check.read_lock(ROOT / "requirements-dev.lock")
    for req in check.requirements(ROOT / "pyproject.toml", ("dev",)):
        version = pins[check.canonicalize_name(req.name)][0]
        if version.startswith("0."):
            assert any(s.operator in ("<", "<=", "~=", "==") for s in req.specifier), str(req)
