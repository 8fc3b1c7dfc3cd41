"""The package as an operator installs it: build the wheel, install it into a fresh
virtual environment, and run ``dartwatch demo`` and ``dartwatch check --json`` from
there, with no source tree on the path — so a data file left out of the wheel (a
template, the timeline, a migration) fails here and not on someone's server.

The dependencies come from the project's own environment (a ``.pth`` line naming its
site-packages: tests use no network); dartwatch itself comes only from the wheel, and
the test checks that it does.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.core.loopback import serve_in_thread
from monitor.fakedart import FakeDart
from tests.conftest import TEST_KEY

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("monitor", "notifiers", "storage")

pytestmark = pytest.mark.slow


def _run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload, no-any-return]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    work = tmp_path_factory.mktemp("wheel")
    # Build from a copy: setuptools writes build/ and *.egg-info next to the sources.
    src = work / "src"
    src.mkdir()
    for name in (*PACKAGES,):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    built = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(work / "dist"),
            str(src),
        ]
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (work / "dist").glob("dartwatch-*.whl")
    venv = work / "venv"
    made = _run([sys.executable, "-m", "venv", str(venv)])
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    purelib = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    Path(purelib.stdout.strip(), "_project_dependencies.pth").write_text(
        "\n".join(site.getsitepackages()) + "\n"
    )
    install = _run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)]
    )
    assert install.returncode == 0, install.stderr[-3000:]
    yield venv


def _env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "VIRTUAL_ENV") and not k.startswith(("DART_", "TELEGRAM_"))
    }
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p
    )
    return env


def test_the_wheel_carries_every_file_of_the_packages(installed: Path) -> None:
    """Checked against the source tree, so a new data file that no package-data
    pattern in pyproject.toml covers fails here."""
    (wheel,) = (installed.parent / "dist").glob("dartwatch-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and str(path.relative_to(ROOT)) not in names
    ]
    assert missing == []


def test_installed_wheel_runs_the_demo(installed: Path, tmp_path: Path) -> None:
    where = _run(
        [
            str(installed / "bin" / "python"),
            "-c",
            "import monitor, storage; print(monitor.__file__, storage.__file__)",
        ],
        cwd=tmp_path,
        env=_env(),
    )
    assert str(installed) in where.stdout and str(ROOT) not in where.stdout, where
    demo = _run(
        [
            str(installed / "bin" / "dartwatch"),
            "demo",
            "--seconds",
            "5",
            "--lang",
            "en",
            "--dir",
            str(tmp_path / "demo"),
        ],
        cwd=tmp_path,
        env=_env(),
        timeout=300,
    )
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert "alerts delivered, 0 failed" in demo.stdout
    assert "dartwatch init" in demo.stdout
    assert sorted((tmp_path / "demo").glob("digest-*.html"))


def test_installed_wheel_checks_a_configuration(installed: Path, tmp_path: Path) -> None:
    fake = FakeDart(keys={TEST_KEY}, noise_per_day=0, noise_companies=5)
    with serve_in_thread(fake) as url:
        env = {
            **_env(),
            "DART_API_KEY": TEST_KEY,
            "DART_BASE_URL": f"{url}/api",
            "DART_RSS_URL": f"{url}/api/todayRSS.xml",  # the local feed, never DART's own
        }
        result = _run(
            [str(installed / "bin" / "dartwatch"), "check", "--json"],
            cwd=tmp_path,
            env=env,
            timeout=120,
        )
    assert "Traceback" not in result.stderr, result.stderr
    doc = json.loads(result.stdout)
    verdicts = {c["part"]: c["verdict"] for c in doc["checks"]}
    assert verdicts["OpenDART key"] == "OK" and verdicts["settings"] == "OK"
    assert result.returncode == 0 and doc["ok"] is True
