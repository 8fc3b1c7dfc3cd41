"""Keeping a local copy of a curated timeline file published at ``TIMELINE_URL``.

One maintainer publishes an updated timeline; every deployment's daemon fetches it on a
schedule with a conditional GET (``If-None-Match`` / ``If-Modified-Since``), validates
it merged with the bundled data and the operator's own ``TIMELINE_FILE`` (which wins),
and only then replaces its cached copy (``TIMELINE_CACHE_FILE``). Anything wrong — the
server unreachable, an error status, an oversized, non-UTF-8 or invalid file — keeps
the last good copy and is reported in the result; :func:`refresh` never raises.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from monitor.kai.timeline import TimelineError, load_timeline

MAX_BYTES = 1_000_000
TIMEOUT_SECONDS = 20.0


@dataclass(frozen=True, slots=True)
class RefreshResult:
    """``changed``: the cached copy was replaced; ``ok``: the fetch itself went well
    (a 304 is ok and unchanged); ``message``: one line for the log."""

    ok: bool
    changed: bool
    message: str


def _meta_path(cache: Path) -> Path:
    return cache.with_name(cache.name + ".meta.json")


def _read_meta(cache: Path) -> dict[str, str]:
    if not cache.is_file():
        return {}
    try:
        data = json.loads(_meta_path(cache).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


def _conditional_headers(meta: dict[str, str]) -> dict[str, str]:
    headers = {"Accept": "application/toml, text/plain;q=0.9, */*;q=0.1"}
    if meta.get("etag"):
        headers["If-None-Match"] = meta["etag"]
    if meta.get("last_modified"):
        headers["If-Modified-Since"] = meta["last_modified"]
    return headers


@dataclass(frozen=True, slots=True)
class _Fetched:
    status: int
    headers: httpx.Headers
    content: bytes
    final_url: str


async def _fetch(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> _Fetched:
    """GET with a size limit that holds even when the server lies about its length."""
    async with client.stream("GET", url, headers=headers, timeout=TIMEOUT_SECONDS) as response:
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > MAX_BYTES:
                raise ValueError(f"larger than {MAX_BYTES} bytes")
            chunks.append(chunk)
        return _Fetched(response.status_code, response.headers, b"".join(chunks), str(response.url))


def _install(cache: Path, body: bytes, local: Path | None, response: _Fetched) -> bool:
    """Validate *body* as the remote layer and, if good, make it the cached copy;
    whether the content changed. Raises TimelineError / OSError / UnicodeDecodeError."""
    body.decode("utf-8")
    cache.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".timeline-remote-", suffix=".toml", dir=cache.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(body)
        load_timeline(local, remote=tmp)
        changed = not cache.is_file() or cache.read_bytes() != body
        os.replace(tmp, cache)
    finally:
        tmp.unlink(missing_ok=True)
    meta = {
        "etag": response.headers.get("etag", ""),
        "last_modified": response.headers.get("last-modified", ""),
    }
    _meta_path(cache).write_text(json.dumps(meta), encoding="utf-8")
    return changed


async def refresh(
    url: str, cache: Path, local: Path | None, *, client: httpx.AsyncClient | None = None
) -> RefreshResult:
    """Fetch *url* into *cache* if it changed and is valid; never raises."""
    own = client is None
    http = client or httpx.AsyncClient(follow_redirects=True)
    try:
        try:
            response = await _fetch(http, url, _conditional_headers(_read_meta(cache)))
        except (httpx.HTTPError, ValueError) as exc:
            return RefreshResult(False, False, f"TIMELINE_URL unreachable ({_why(exc)})")
        if response.final_url.startswith("http://") and not url.startswith("http://"):
            return RefreshResult(False, False, "TIMELINE_URL redirected to plain http: ignored")
        if response.status == 304:
            return RefreshResult(True, False, "TIMELINE_URL not modified")
        if response.status != 200:
            return RefreshResult(False, False, f"TIMELINE_URL answered {response.status}")
        try:
            changed = _install(cache, response.content, local, response)
        except TimelineError as exc:
            first = exc.errors[0] if exc.errors else str(exc)
            return RefreshResult(False, False, f"TIMELINE_URL file is invalid: {first}")
        except UnicodeDecodeError:
            return RefreshResult(False, False, "TIMELINE_URL file is not UTF-8 text")
        except OSError as exc:
            return RefreshResult(False, False, f"cannot write TIMELINE_CACHE_FILE ({_why(exc)})")
        return RefreshResult(True, changed, "TIMELINE_URL updated" if changed else "unchanged")
    finally:
        if own:
            with contextlib.suppress(Exception):
                await http.aclose()


def _why(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"[:200] if text else type(exc).__name__
