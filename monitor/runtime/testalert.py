"""The test alert of ``dartwatch notify test``: built like a real one, sent through the
outbox and the dispatcher like a real one, reported per destination."""

from __future__ import annotations

import tomllib
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from monitor.core import kcalendar
from monitor.core.errors import UsageError
from monitor.kai.matcher import alert_from_match, match_filing
from monitor.runtime.container import App
from notifiers.base import Alert
from storage import outbox
from storage.models import Filing, utcnow

_SAMPLE = Path(__file__).resolve().parents[1] / "data" / "test_alert.toml"
KIND = "test"


@dataclass(frozen=True, slots=True)
class SendResult:
    notifier: str
    destination: str
    ok: bool
    error: str = ""


def build_test_alert(app: App) -> Alert:
    """Today's test filing, matched against the timeline in force."""
    data = tomllib.loads(_SAMPLE.read_text(encoding="utf-8"))
    today = kcalendar.today_kst()
    filing = Filing(
        rcept_no=f"{today:%Y%m%d}999999",
        rcept_dt=f"{today:%Y%m%d}",
        corp_code=str(data["corp_code"]),
        corp_name=str(data["corp_name"]),
        stock_code=str(data["stock_code"]),
        corp_cls=str(data["corp_cls"]),
        flr_nm=str(data["flr_nm"]),
        report_nm=str(data["report_nm"]),
    )
    return alert_from_match(filing, match_filing(filing, app.timeline), utcnow())


def _admin_ids(app: App) -> list[str]:
    """Where a per-subscriber notifier's test goes by default: the admins' chats."""
    ids = [str(i) for i in app.settings.admin_chat_ids]
    # Admins by user id, where this version has that setting.
    users = getattr(app.settings, "admin_user_ids", None)
    if isinstance(users, list):
        ids.extend(str(i) for i in users if str(i) not in ids)
    return ids


def _rows(app: App, alert: Alert, ref: str, to: str | None, lang: str) -> list[outbox.NewDelivery]:
    due = utcnow() + timedelta(days=1)  # claimed by id below; no daemon takes them first
    payload = {"alert": alert.to_dict(), "lang": lang}
    rows: list[outbox.NewDelivery] = []
    for name, notifier in app.notifiers.items():
        if not notifier.accepts_alerts:
            continue
        if to is not None:
            destinations = [to]
        elif notifier.per_subscriber:
            destinations = _admin_ids(app)
            if not destinations:
                raise UsageError(
                    f"the {name} notifier sends to subscribers: give --to CHAT_ID (your "
                    "Telegram user id; `dartwatch init` finds it) or set ADMIN_CHAT_IDS"
                )
        else:
            destinations = notifier.destinations()
        rows.extend(
            outbox.NewDelivery(
                kind=KIND,
                ref=ref,
                notifier=name,
                destination=d,
                payload=payload,
                next_attempt_at=due,
            )
            for d in destinations
        )
    return rows


async def send_test_alert(app: App, *, to: str | None, lang: str) -> list[SendResult]:
    """Queue the test alert for every notifier of *app*, send each row once, and
    dead-letter the ones that failed (with their error) instead of retrying them."""
    ref = f"test:{uuid.uuid4().hex[:12]}"
    rows = _rows(app, build_test_alert(app), ref, to, lang)
    if not rows:
        raise UsageError("none of the notifiers takes alerts (digest-only)")
    async with app.db.session() as session:
        await outbox.enqueue(session, rows)
    ids = [r.id for r in await outbox.by_ref(app.db, KIND, ref) if r.id is not None]
    await app.dispatcher.send_rows(ids)
    results: list[SendResult] = []
    for row in await outbox.by_ref(app.db, KIND, ref):
        ok = row.status == outbox.SENT
        if not ok and row.status == outbox.PENDING and row.id is not None:
            await outbox.mark_dead(app.db, row.id, f"test alert: {row.last_error}")
        results.append(SendResult(row.notifier, row.destination, ok, row.last_error))
    return results
