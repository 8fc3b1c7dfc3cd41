"""Check that a hashed lock file matches pyproject.toml.

Usage: python scripts/check_lock.py requirements.lock [requirements-dev.lock ...]

Every requirement of pyproject.toml (and of its ``dev`` extra, for a lock whose name
has ``dev`` in it) must be pinned in the lock at a version its specifier allows, and
every pin must carry at least one hash. Runs before anything is installed (from
scripts/setup.sh), so it uses the standard library and pip's own copy of
``packaging`` when ``packaging`` itself is not there yet.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

try:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
except ImportError:  # a fresh virtualenv: only pip is installed
    from pip._vendor.packaging.requirements import Requirement  # type: ignore[no-redef]
    from pip._vendor.packaging.utils import canonicalize_name  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def read_lock(path: Path) -> dict[str, tuple[str, int]]:
    """``{canonical name: (version, number of hashes)}`` of a pip-style lock."""
    pins: dict[str, tuple[str, int]] = {}
    current = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line)
        if match:
            current = canonicalize_name(match.group(1))
            pins[current] = (match.group(2), 0)
        elif current and line.strip().startswith("--hash="):
            version, hashes = pins[current]
            pins[current] = (version, hashes + 1)
        elif line and not line.startswith((" ", "\t")):
            current = ""
    return pins


def requirements(pyproject: Path, extras: tuple[str, ...]) -> list[Requirement]:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    found = [Requirement(r) for r in project.get("dependencies", [])]
    for extra in extras:
        found += [Requirement(r) for r in project.get("optional-dependencies", {})[extra]]
    return found


def problems(lock: Path, pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """What is wrong with *lock* against *pyproject* (empty: it matches)."""
    if not lock.exists():
        return [f"{lock.name}: missing"]
    extras = ("dev",) if "dev" in lock.name else ()
    pins = read_lock(lock)
    found = []
    for req in requirements(pyproject, extras):
        if req.marker is not None and not req.marker.evaluate():
            continue
        pin = pins.get(canonicalize_name(req.name))
        if pin is None:
            found.append(f"{lock.name}: {req.name} is not pinned (required: {req})")
        elif not req.specifier.contains(pin[0], prereleases=True):
            found.append(f"{lock.name}: {req.name}=={pin[0]} does not satisfy {req}")
    found += [f"{lock.name}: {name}=={v} has no hash" for name, (v, n) in pins.items() if not n]
    return found


def main(argv: list[str]) -> int:
    found = [p for name in argv for p in problems(Path(name))]
    for problem in found:
        print(problem, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
