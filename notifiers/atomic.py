"""Replace a file atomically: write a temporary file beside it, fsync, rename.

A reader (or a crash) never sees half a file: the digest files the file notifier
writes and the ``.env`` that ``dartwatch init`` writes are either the old or the new
one. The temporary file gets *mode* before any byte is written, so a secret is never
readable by others, not even for a moment.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, text: str, *, mode: int) -> None:
    """*text* (UTF-8, newlines as given) into *path* with permissions *mode*; the
    temporary file is removed if anything fails. OSError propagates to the caller,
    which knows what the file is for."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
