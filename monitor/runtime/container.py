"""Wiring: build every component from the settings, once, for ``run``, ``demo`` and
``dispatch``. The daemon calls these methods; it never reaches into the parts."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from monitor.core import kcalendar
from monitor.core.errors import UserError
from monitor.core.logs import add_secrets, redact
from monitor.core.metrics import Metrics
from monitor.core.settings import ConfigError, Settings
from monitor.delivery.dispatcher import Dispatcher
from monitor.delivery.payloads import PayloadResolver
from monitor.delivery.pipeline import BodyPolicy, Pipeline
from monitor.facts.service import FactsPolicy, FactsService
from monitor.kai.timeline import Timeline, TimelineError, remote_layer, timeline_for
from notifiers.base import DigestMessage, Notifier, NotifierConfigError
from storage import meta, outbox
from storage import subscribers as subs
from storage.db import Database
from storage.migrate import prepare_database
from storage.models import Delivery, utcnow

if TYPE_CHECKING:
    import httpx

    from monitor.bot.application import RunningBot
    from monitor.bot.monitor_services import MonitorBotServices
    from monitor.ingest.fastpath import FastPath, FeedCheck
    from monitor.ingest.poller import Poller, PollResult
    from monitor.kai.suggestions import Suggestion
    from monitor.opendart.client import DartClient
    from storage.models import Filing

log = logging.getLogger("dartwatch.app")


def _timeline_error(exc: TimelineError) -> Exception:
    first = exc.errors[0] if getattr(exc, "errors", None) else str(exc)
    return ConfigError(f"TIMELINE_FILE: {first}")


class App:
    def __init__(
        self,
        settings: Settings,
        *,
        notifiers: Mapping[str, Notifier] | None = None,
        dart_transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], datetime] = kcalendar.now_kst,
        worker_id: str | None = None,
        with_dart: bool = True,
    ) -> None:
        self.settings = settings
        self.metrics = Metrics()
        self.clock = clock
        self.worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}"
        self._given_notifiers = dict(notifiers) if notifiers is not None else None
        self._dart_transport = dart_transport
        self._with_dart = with_dart
        self.db: Database
        self.timeline: Timeline
        self.notifiers: dict[str, Notifier] = {}
        self.client: DartClient | None = None
        self.poller: Poller | None = None
        self.fastpath: FastPath | None = None  # when DART_RSS_URL is set
        self._feed_saved_at = 0.0
        self.pipeline: Pipeline
        self.dispatcher: Dispatcher
        self.bot: RunningBot | None = None
        self._fatal_reported: str | None = None
        self._bot_services: MonitorBotServices | None = None
        self._timeline_stamp: tuple[float, ...] = ()
        self._webhook_stack = contextlib.AsyncExitStack()

    @property
    def notifier_names(self) -> list[str]:
        return list(self.notifiers)

    # -- life cycle -----------------------------------------------------------------------
    async def start(self) -> None:
        """Check every setting and build the parts; fail fast with one clear line."""
        settings = self.settings
        self.timeline = timeline_for(settings, on_error=_timeline_error)
        self._timeline_stamp = self._layer_stamp()
        if settings.admin_chat_ids:
            log.warning(
                "ADMIN_CHAT_IDS is deprecated: set ADMIN_USER_IDS (admin rights now follow "
                "the user; ADMIN_CHAT_IDS still counts in private chats and gets notices)"
            )
        if self._given_notifiers is not None:
            self.notifiers = self._given_notifiers
        else:
            from notifiers.registry import load_notifier_map

            try:
                self.notifiers = load_notifier_map(settings.notifiers)
            except NotifierConfigError as exc:
                raise ConfigError(str(exc)) from None
        if "telegram" in self.notifiers:
            settings.require_bot_token()
        for notifier in self.notifiers.values():
            add_secrets(*notifier.secrets())
        if self._with_dart:
            settings.require_dart_key()
        self.db = await prepare_database(settings.database_url)
        await self._refuse_half_copy()
        _thread_alerts(self.notifiers, self.db)
        for notifier in self.notifiers.values():
            await notifier.start()
        if self._with_dart:
            from monitor.ingest.poller import Poller, make_client

            self.client = make_client(settings, self.db, transport=self._dart_transport)
            self.poller = Poller(settings, self.db, self.client, clock=self.clock)
            await self._store_watchlist()
            if settings.rss_enabled:
                from monitor.ingest.fastpath import FastPath
                from monitor.opendart.rss import FeedReader

                self.fastpath = FastPath(
                    self.db,
                    # A read slower than the interval counts as failed (bounded wait).
                    FeedReader(
                        settings.dart_rss_url,
                        timeout=max(2.0, min(5.0, settings.rss_poll_seconds)),
                    ),
                    interval=settings.rss_poll_seconds,
                    lookback_days=settings.poll_lookback_days,
                    clock=self.clock,
                )
        self.pipeline = Pipeline(
            self.db,
            self.timeline,
            self.notifiers,
            documents=self.client,
            body_policy=BodyPolicy(
                enabled=settings.document_fetch and self.client is not None,
                max_bytes=settings.document_max_bytes,
                timeout=settings.document_timeout_seconds,
            ),
            default_lang=settings.digest_lang,
            facts=FactsService(
                self.db,
                self.client,
                FactsPolicy(
                    enabled=settings.facts_fetch,
                    max_attempts=settings.facts_max_attempts,
                    timeout=settings.document_timeout_seconds,
                    max_document_bytes=settings.document_max_bytes,
                ),
            ),
        )
        self.dispatcher = Dispatcher(
            self.db,
            self.notifiers,
            PayloadResolver(self.db, self.render_digest),
            worker_id=self.worker_id,
            batch_size=settings.dispatch_batch_size,
            max_attempts=settings.delivery_max_attempts,
            max_age=timedelta(hours=settings.delivery_max_age_hours),
            lease=timedelta(seconds=settings.delivery_lease_seconds),
            on_gone=self._destination_gone,
            on_moved=self._destination_moved,
            on_sent=self._sent,
        )

    async def _refuse_half_copy(self) -> None:
        """A database an unfinished ``dartwatch db copy`` is filling lacks rows: running
        on it would re-alert filings and lose subscribers, so refuse to start."""
        from storage.copy import copy_marker

        source = await copy_marker(self.db)
        if source is not None:
            await self.db.dispose()
            raise ConfigError(
                f"DATABASE_URL: holds an unfinished `dartwatch db copy` from {source}; "
                "run that copy again to finish it before starting on this database"
            )

    async def _store_watchlist(self) -> None:
        """Store the watched companies before the bot answers anyone: `/subscribe NAVER`
        right after a (first) start must not be told "not watched" because the first poll
        has not run yet. No network here: partners known only by stock code resolve from
        the corpCode cache when it exists, else at the first poll."""
        from monitor.ingest.poller import sync_watchlist

        assert self.poller is not None
        try:
            _, problems = await sync_watchlist(
                self.db, self.poller.watchlist, None, settings=self.settings
            )
        except Exception as exc:  # the first poll stores them anyway
            log.warning("could not store the watchlist at start: %s", redact(str(exc)))
            return
        for problem in problems:
            log.info("%s (resolved at the first poll)", problem)

    async def close(self) -> None:
        await self.stop_bot()
        for notifier in self.notifiers.values():
            try:
                await notifier.close()
            except Exception as exc:
                log.warning("closing %s: %s", notifier.name, redact(str(exc)))
        if self.client is not None:
            await self.client.aclose()
        if self.fastpath is not None:
            await self.fastpath.aclose()
        await self.db.dispose()

    # -- hooks for the dispatcher ---------------------------------------------------------
    async def _destination_gone(self, row: Delivery, why: str) -> None:
        if row.subscriber_id is None:
            return
        async with self.db.session() as session:
            await subs.deactivate(session, row.subscriber_id, why[:200])

    async def _destination_moved(self, row: Delivery, new_destination: str) -> None:
        async with self.db.session() as session:
            await subs.migrate_chat(session, int(row.destination), int(new_destination))

    def _sent(self, row: Delivery, latency: float) -> None:
        self.metrics.alerts.labels(row.notifier, row.kind).inc()
        self.metrics.latency.observe(latency)

    # -- leader work ----------------------------------------------------------------------
    async def poll_and_process(self) -> PollResult | None:
        """One poll, then the pipeline (which also picks up anything a crash left)."""
        result = None
        if self.poller is not None:
            result = await self.poller.poll()
            self.metrics.polls.labels(result.status).inc()
            self.metrics.filings.inc(len(result.new))
            self.metrics.requests_today.set(await self._requests_today())
            if self.fastpath is not None:
                await self._feed_transition(self.fastpath.note_listed(result.new))
            if result.status == "fatal":
                await self._report_fatal(result)
            elif result.status in ("quota", "budget"):
                log.warning("%s", result.summary())
            elif result.status == "failed":
                log.warning("%s (the next poll repairs it)", result.summary())
            elif result.new or result.events:
                log.info("%s", result.summary())
        ran = await self.pipeline.run()
        for filing, found in ran.suggestions:
            await self.suggest_milestone(filing, found)
        if self.fastpath is not None:
            await self.pipeline.refine_feed_matches()
        return result

    def list_poll_interval(self) -> int:
        """list.json's interval in market hours: the slow safety net while the RSS fast
        path is healthy, ``POLL_INTERVAL_SECONDS`` without it (docs/detection.md)."""
        fast = self.settings.poll_interval_seconds
        if self.fastpath is None or not self.fastpath.healthy:
            return fast
        return max(fast, self.settings.list_poll_seconds)

    async def feed_and_process(self) -> FeedCheck | None:
        """One feed read; new filings of watched companies go through the pipeline at
        once, then (within the day's allowance) one list.json call per company
        confirms them. None when the fast path is off."""
        fastpath = self.fastpath
        if fastpath is None:
            return None
        check = await fastpath.check()
        self.metrics.feed_reads.labels("error" if check.error else "ok").inc()
        await self._feed_transition(check.transition)
        if check.new:
            self.metrics.filings.inc(len(check.new))
            log.info("RSS feed: %d new filing(s): %s", len(check.new), ", ".join(check.new))
            await self.pipeline.run()
            self.dispatcher.wake()
        granted = fastpath.take_confirms(len(check.confirm)) if self.poller else 0
        if granted and self.poller is not None:
            result = await self.poller.confirm(sorted(check.confirm)[:granted])
            self.metrics.requests_today.set(await self._requests_today())
            if result.new or result.events:
                log.info("%s", result.summary())
                await self.pipeline.run()
                self.dispatcher.wake()
        await self._save_feed_health(force=check.transition is not None)
        return check

    async def _feed_transition(self, transition: str | None) -> None:
        """The fast path went off or came back: metrics, the stored state, and one
        admin message per kind and day."""
        if transition is None or self.fastpath is None:
            return
        health = self.fastpath.health
        self.metrics.feed_fallback.set(1 if transition == "fallback" else 0)
        await self._save_feed_health(force=True)
        day = kcalendar.today_kst().isoformat()
        if transition == "fallback":
            text = (
                f"⚠️ dartwatch: RSS fast path off — {health.reason}. list.json alone detects "
                f"filings (every {self.settings.poll_interval_seconds}s in market hours) "
                "until the feed is back."
            )
        else:
            text = "✅ dartwatch: RSS feed is back; fast path resumed."
        await self.notify_admins(text, ref=f"rss-{transition}:{day}")

    async def _save_feed_health(self, *, force: bool = False) -> None:
        """The feed's state for `dartwatch status` (another process): on every change,
        else at most every 30 s."""
        import json
        import time

        if self.fastpath is None:
            return
        now = time.monotonic()
        if not force and now - self._feed_saved_at < 30:
            return
        self._feed_saved_at = now
        data = self.fastpath.health.as_dict()
        data["saved_at"] = utcnow().isoformat()
        await meta.set_value(self.db, "rss.health", json.dumps(data))

    async def _requests_today(self) -> int:
        from monitor.opendart.budget import used_today

        return await used_today(self.db)

    async def _report_fatal(self, result: PollResult) -> None:
        message = "; ".join(result.errors) or "OpenDART refused the key"
        if self._fatal_reported == message:
            return
        self._fatal_reported = message
        log.error("polling stopped: %s (fix DART_API_KEY and restart)", message)
        text = f"⚠️ dartwatch: OpenDART polling stopped — {message}"
        await self.notify_admins(text, ref=f"dart-fatal:{kcalendar.today_kst().isoformat()}")

    async def notify_admins(self, text: str, *, ref: str) -> int:
        """Queue a plain text to every admin chat (Telegram), once per *ref*."""
        telegram = self.notifiers.get("telegram")
        chats = self.settings.admin_notify_chats
        if telegram is None or not chats:
            return 0
        rows = [
            outbox.NewDelivery(
                kind="admin",
                ref=ref,
                notifier="telegram",
                destination=str(chat),
                payload={"text": text},
            )
            for chat in chats
        ]
        async with self.db.session() as session:
            queued = await outbox.enqueue(session, rows)
        self.dispatcher.wake()
        return queued

    async def suggest_milestone(self, filing: Filing, found: Suggestion) -> int:
        """Flag a filing that may be an unrecorded milestone to the admins (once per
        filing), with a /record line to copy; nothing is recorded without them."""
        from monitor.kai.suggestions import suggestion_text

        text = suggestion_text(filing, found, self.timeline, kcalendar.today_kst())
        return await self.notify_admins(text, ref=f"suggestion:{filing.rcept_no}")

    async def timeline_reminder(self, day: date) -> int:
        """Tell the admins, once per ISO week, that the timeline's data is stale."""
        from monitor.kai.timeline.views import stale_notice

        text = stale_notice(self.timeline, day)
        if text is None:
            return 0
        year, week, _ = day.isocalendar()
        return await self.notify_admins(f"🗓 {text}", ref=f"timeline-stale:{year}-W{week:02d}")

    async def refresh_corp_codes(self) -> None:
        if self.client is None:
            return
        from monitor.ingest.poller import refresh_corp_codes

        await refresh_corp_codes(
            self.db, self.client, max_age_hours=self.settings.corpcode_refresh_hours
        )

    async def housekeeping(self) -> None:
        cutoff = utcnow() - timedelta(days=self.settings.delivery_retention_days)
        purged = await outbox.purge_sent(self.db, cutoff)
        if purged:
            log.info("housekeeping: removed %d delivered rows older than %s", purged, cutoff)

    async def write_meta(self, key: str, value: str) -> None:
        await meta.set_value(self.db, key, value)

    def _make_bot_services(self) -> MonitorBotServices:
        from monitor.bot.monitor_services import MonitorBotServices

        self._bot_services = MonitorBotServices(
            self.db,
            self.timeline,
            on_queued=self.dispatcher.wake,
            timeline_file=self.settings.timeline_file,
            on_timeline=self._use_timeline,
            remote_file=self.settings.timeline_cache_file if self.settings.timeline_url else None,
            max_watched=self.settings.max_watched_companies,
        )
        return self._bot_services

    def _use_timeline(self, timeline: Timeline) -> None:
        """A record from Telegram or a new TIMELINE_URL copy changed the timeline: match
        new filings with it and show it in /timeline."""
        self.timeline = timeline
        if getattr(self, "pipeline", None) is not None:
            self.pipeline.timeline = timeline
        if self._bot_services is not None:
            self._bot_services.timeline = timeline

    async def refresh_timeline_url(self) -> bool:
        """Fetch TIMELINE_URL (conditional GET) and use the new copy if it is valid;
        whether the timeline changed. Never raises: the last good copy stays in use."""
        from monitor.kai.remote import refresh

        url = self.settings.timeline_url
        if not url:
            return False
        result = await refresh(url, self.settings.timeline_cache_file, self.settings.timeline_file)
        (log.info if result.ok else log.warning)("%s", result.message)
        if not result.changed:
            return False
        try:
            timeline = timeline_for(self.settings)
        except TimelineError as exc:
            log.warning("timeline not reloaded: %s", exc)
            return False
        self._use_timeline(timeline)
        log.info("timeline now %s", timeline.version)
        return True

    def _layer_stamp(self) -> tuple[float, ...]:
        stamps = []
        for path in (self.settings.timeline_file, remote_layer(self.settings)):
            try:
                stamps.append(path.stat().st_mtime if path is not None else 0.0)
            except OSError:
                stamps.append(-1.0)
        return tuple(stamps)

    def reload_timeline_if_changed(self) -> bool:
        """Pick up a TIMELINE_FILE changed behind the daemon's back (e.g. by
        `dartwatch timeline record`); a file that no longer loads keeps the current
        timeline and logs why. Whether the timeline changed."""
        stamp = self._layer_stamp()
        if stamp == self._timeline_stamp:
            return False
        self._timeline_stamp = stamp
        try:
            timeline = timeline_for(self.settings)
        except TimelineError as exc:
            log.warning("timeline not reloaded (keeping %s): %s", self.timeline.version, exc)
            return False
        if timeline.version == self.timeline.version:
            return False
        self._use_timeline(timeline)
        log.info("timeline reloaded: now %s", timeline.version)
        return True

    async def rematch(self) -> None:
        from monitor.kai.rematch import rematch_all

        stats = await rematch_all(self.db, self.timeline)
        log.info("re-matched %s filings: %s changed", stats.total, stats.changed)

    # -- digests --------------------------------------------------------------------------
    async def render_digest(self, day: date, lang: str) -> DigestMessage:
        from monitor.digest.service import render_digest_message

        return await render_digest_message(self.db, self.timeline, day, lang)

    async def send_digest(self, day: date) -> int:
        """Queue the digest of business day *day* to every notifier that takes digests;
        the outbox key (digest, date, notifier, destination) makes this idempotent, so a
        restart never sends it twice."""
        from monitor.digest.service import enqueue_digest

        result = await enqueue_digest(self.db, self.notifiers, day, self.settings.digest_lang)
        log.info(
            "digest %s queued for %d destination(s) (%d already queued)",
            day.isoformat(),
            result.queued,
            result.existing,
        )
        self.dispatcher.wake()
        return result.queued

    # -- the Telegram bot -----------------------------------------------------------------
    @property
    def webhook_mode(self) -> bool:
        return bool(self.settings.telegram_webhook_url) and "telegram" in self.notifiers

    async def start_bot(self, *, leader: bool) -> None:
        """Long polling: the leader alone reads updates. Webhook mode: every replica
        answers the updates a load balancer hands it (handlers only touch the shared
        database), so the bot runs everywhere."""
        if self.bot is not None or "telegram" not in self.notifiers:
            return
        if not leader and not self.webhook_mode:
            return
        from monitor.bot.application import BotConfig, BotStartError, start_bot
        from monitor.core.loopback import serve_on_loop

        tg_settings = getattr(self.notifiers["telegram"], "settings", None)
        secret = getattr(tg_settings, "webhook_secret", None)
        try:
            self.bot = await start_bot(
                BotConfig.from_settings(
                    self.settings,
                    webhook_secret=secret.get_secret_value() if secret is not None else None,
                ),
                self.db,
                self._make_bot_services(),
            )
            if self.bot.webhook_app is not None:
                host = str(getattr(tg_settings, "webhook_listen", "127.0.0.1"))
                port = int(getattr(tg_settings, "webhook_port", 8443))
                url = await self._webhook_stack.enter_async_context(
                    serve_on_loop(self.bot.webhook_app, port, host=host)
                )
                log.info("telegram webhook receiver listening on %s", url)
        except NotifierConfigError as exc:
            raise UserError(str(exc), exit_code=2) from None
        except BotStartError as exc:
            # Alerts still queue and are sent when Telegram is back; the next election
            # round (or restart) tries the bot again.
            log.error("%s", exc)

    async def stop_bot(self) -> None:
        await self._webhook_stack.aclose()
        self._webhook_stack = contextlib.AsyncExitStack()
        if self.bot is not None:
            bot, self.bot = self.bot, None
            await bot.stop()


def _thread_alerts(notifiers: Mapping[str, Notifier], db: Database) -> None:
    """Telegram keeps its alerts' message ids on the outbox rows, so corrections and
    withdrawals are sent as replies to the alert they are about."""
    if not any(type(n).__module__ == "notifiers.telegram" for n in notifiers.values()):
        return  # no Telegram: do not import it
    from monitor.delivery.threads import OutboxMessageLog
    from notifiers.telegram import TelegramNotifier

    for name, notifier in notifiers.items():
        if isinstance(notifier, TelegramNotifier) and notifier.messages is None:
            notifier.messages = OutboxMessageLog(db, name)
