"""`dartwatch --help` start-up time (target under 0.5 s).

Run: .venv/bin/python -m benchmarks.startup
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _dartwatch() -> list[str]:
    exe = Path(sys.executable).with_name("dartwatch")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "monitor"]


def run(repeats: int = 7) -> list[dict[str, Any]]:
    cmd = [*_dartwatch(), "--help"]
    subprocess.run(cmd, capture_output=True, check=True, cwd=ROOT)  # warm the OS cache
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return [
        {
            "name": "dartwatch --help start-up (median)",
            "value": round(statistics.median(times), 3),
            "unit": "s",
            "target": "< 0.5 s",
            "ok": statistics.median(times) < 0.5,
            "naive": None,
        }
    ]


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']}: {row['value']} {row['unit']} (target {row['target']})")
