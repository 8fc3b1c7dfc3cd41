"""Shared pieces of the notifier tests: sample alerts and digests, a recording HTTP
receiver (an ASGI app served on 127.0.0.1), a clean environment, and a helper that
"installs" a plugin distribution by writing its ``*.dist-info`` onto ``sys.path``.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from notifiers.base import Alert, DigestMessage, MilestoneRef, Reason
from notifiers.registry import refresh

# Every setting a built-in notifier reads: a developer's shell must not leak in.
NOTIFIER_ENV = [
    "CONSOLE_COLOR",
    "CONSOLE_LANG",
    "FILE_NOTIFIER_DIR",
    "WEBHOOK_URL",
    "WEBHOOK_SECRET",
    "WEBHOOK_MODE",
    "WEBHOOK_TIMEOUT_SECONDS",
    "WEBHOOK_LANG",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_SECURITY",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "SMTP_TIMEOUT_SECONDS",
    "SMTP_CA_FILE",
    "EMAIL_FROM",
    "EMAIL_TO",
    "EMAIL_LANG",
    "APPRISE_URLS",
    "APPRISE_TIMEOUT_SECONDS",
    "APPRISE_LANG",
    "NTFY_SERVER",
    "NTFY_TOPIC",
    "MEMO_PREFIX",
]


@pytest.fixture
def clean_notifier_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in NOTIFIER_ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def sample_alert(**changes: Any) -> Alert:
    base: dict[str, Any] = {
        "rcept_no": "20260105000123",
        "corp_code": "00266961",
        "corp_name": "네이버",
        "report_nm": "주요사항보고서(유상증자결정)",
        "rcept_dt": "20260105",
        "flr_nm": "네이버",
        "stock_code": "035420",
        "rm": "유",
        "first_seen_at": datetime(2026, 1, 5, 7, 30, tzinfo=UTC),
        "category": "major",
        "category_ko": "주요사항",
        "category_en": "Major event",
        "team": "Naver Cloud",
        "team_ko": "네이버클라우드",
        "role": "lead",
        "role_ko": "주관사",
        "team_status": "active",
        "phase": "First evaluation",
        "phase_ko": "1차 평가",
        "milestone_before": MilestoneRef(
            "2025-12-30", "1차 평가 결과 발표", "First evaluation results", -6, key=True
        ),
        "milestone_after": MilestoneRef(
            "2026-06", "2차 평가", "Second evaluation", 150, status="planned"
        ),
        "relevance": 73,
        "ai_related": True,
        "reasons": (
            Reason(30, "제목에 ‘AI’", "'AI' in the title"),
            Reason(15, "핵심 일정 7일 이내", "key milestone within 7 days"),
            Reason(10, "참여 팀 (주관사)", "participating team (lead)"),
            Reason(5, "본문에 ‘GPU’", "'GPU' in the body"),
        ),
    }
    base.update(changes)
    return Alert(**base)


def sample_digest(**changes: Any) -> DigestMessage:
    base: dict[str, Any] = {
        "date": "2026-01-05",
        "lang": "ko",
        "subject": "[dartwatch] 2026-01-05 공시 요약 (3건)",
        "text": "2026-01-05 공시 요약\n\n네이버 · 주요사항보고서\nSK텔레콤 · 분기보고서",
        "markdown": "# 2026-01-05 공시 요약\n\n- 네이버 · 주요사항보고서",
        "html": "<h1>2026-01-05 공시 요약</h1><ul><li>네이버</li></ul>",
        "json": json.dumps({"date": "2026-01-05", "count": 3}),
        "attachments": {"chart.svg": "<svg xmlns='http://www.w3.org/2000/svg'></svg>"},
    }
    base.update(changes)
    return DigestMessage(**base)


# --- a recording HTTP receiver -------------------------------------------------------


@dataclass
class Received:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Receiver:
    """An ASGI app that records every request and answers by path:

    - ``/status/<code>[/...]``: that status (``?retry_after=N`` adds Retry-After);
    - ``/slow[/...]``: waits ``?seconds=`` (default 2, bounded) then 200;
    - anything else: 200 ``ok``.
    """

    requests: list[Received] = field(default_factory=list)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        path = scope["path"]
        query = scope.get("query_string", b"").decode()
        headers = {k.decode().lower(): v.decode("latin-1") for k, v in scope["headers"]}
        self.requests.append(Received(scope["method"], path, query, headers, b"".join(chunks)))
        params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        status, extra = 200, []
        parts = path.strip("/").split("/")
        if parts[0] == "status" and len(parts) > 1:
            status = int(parts[1])
            if "retry_after" in params:
                extra.append((b"retry-after", params["retry_after"].encode()))
        elif parts[0] == "slow":
            await asyncio.sleep(min(float(params.get("seconds", "2")), 5.0))
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"text/plain"), *extra],
            }
        )
        await send({"type": "http.response.body", "body": b"ok" if status < 400 else b"no"})


# --- installing a plugin distribution without pip ------------------------------------


def install_plugin(
    root: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    dist: str,
    modules: dict[str, str],
    entry_points: dict[str, str],
) -> None:
    """Write *modules* and a ``<dist>-0.1.dist-info`` with *entry_points* (name ->
    ``module:Class``) under *root*, put it on ``sys.path`` and refresh the registry:
    what ``pip install`` of a package registering ``dartwatch.notifiers`` leaves behind."""
    root.mkdir(parents=True, exist_ok=True)
    for name, source in modules.items():
        (root / f"{name}.py").write_text(source, encoding="utf-8")
    info = root / f"{dist.replace('-', '_')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n", encoding="utf-8"
    )
    lines = ["[dartwatch.notifiers]"] + [f"{k} = {v}" for k, v in entry_points.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(root))
    refresh()
