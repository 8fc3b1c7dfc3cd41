"""``dartwatch run``: one asyncio process with the scheduler, the dispatcher and the
Telegram bot on the same event loop.

Replicas share one PostgreSQL. Only the leader (see :mod:`monitor.runtime.leader`) polls,
runs the pipeline, schedules digests and reads Telegram updates; every replica runs a
dispatcher, because claiming rows is safe in parallel.

Shutdown (SIGTERM/SIGINT): stop taking work, let in-flight sends finish (bounded),
hand back what is still claimed, exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor.core import early_signals, kcalendar
from monitor.core.logs import add_secrets, redact
from monitor.core.metrics import Metrics
from monitor.core.settings import Settings
from monitor.runtime.health import HealthApp, Readiness, bounded, poll_is_recent
from monitor.runtime.leader import Leadership
from storage import pollruns
from storage.db import Database
from storage.migrate import head_revision, schema_revision
from storage.models import utcnow

if TYPE_CHECKING:
    from monitor.runtime.container import App

log = logging.getLogger("dartwatch.daemon")

Step = Callable[[], Awaitable[Any]]


class PollGate:
    """Decides, at every tick of the short interval, whether a poll is due now: every
    ``interval`` seconds in market hours, every ``idle`` seconds otherwise."""

    def __init__(self, interval: int, idle: int) -> None:
        self.interval = interval
        self.idle = idle
        self.last_started: float | None = None

    def due(self, now: datetime, monotonic: float) -> bool:
        if self.last_started is None:
            return True
        wait = kcalendar.poll_interval_at(now, self.interval, self.idle)
        return monotonic - self.last_started >= wait - 0.5


class Daemon:
    def __init__(
        self,
        settings: Settings,
        app: App,
        *,
        stop: asyncio.Event | None = None,
    ) -> None:
        self.settings = settings
        self.app = app
        self.stop = stop or asyncio.Event()
        self.metrics: Metrics = app.metrics
        self.worker_id = app.worker_id
        self.gate = PollGate(settings.poll_interval_seconds, settings.poll_idle_interval_seconds)
        self.scheduler: AsyncIOScheduler | None = None
        self.leadership = Leadership(
            settings.database_url,
            check_interval=min(5.0, max(1.0, settings.poll_interval_seconds / 2)),
            on_elected=self._on_elected,
            on_deposed=self._on_deposed,
        )
        self._poll_lock = asyncio.Lock()
        self._feed_lock = asyncio.Lock()
        self._running_jobs: set[asyncio.Task[Any]] = set()
        self._first_poll: asyncio.Task[None] | None = None
        self._head: str | None = None

    # -- leader-only work -----------------------------------------------------------------
    async def _on_elected(self) -> None:
        self.metrics.leader.set(1)
        await self.app.write_meta("leader", self.worker_id)
        self.gate.last_started = None  # poll at once: the old leader may have died mid-cycle
        self._first_poll = asyncio.create_task(self.poll_tick())
        await self.app.start_bot(leader=True)

    async def _on_deposed(self) -> None:
        self.metrics.leader.set(0)
        if not self.app.webhook_mode:
            await self.app.stop_bot()

    async def poll_tick(self) -> None:
        """Scheduled every few seconds; polls when due (leader only, never two at once)."""
        if not self.leadership.is_leader or self.stop.is_set():
            return
        if self._poll_lock.locked():
            return
        now = kcalendar.now_kst()
        self.gate.interval = self.app.list_poll_interval()
        if not self.gate.due(now, time.monotonic()):
            return
        async with self._poll_lock:
            self.gate.last_started = time.monotonic()
            try:
                await self.app.poll_and_process()
            except Exception as exc:  # a failed poll is repaired by the next one
                self.metrics.errors.labels("poll").inc()
                log.error("poll cycle failed: %s", redact(str(exc), self.settings.secrets()))
            self.app.dispatcher.wake()

    async def feed_tick(self) -> None:
        """Every second; reads the RSS feed when due (leader only, one read at a time)."""
        fastpath = self.app.fastpath
        if fastpath is None or not self.leadership.is_leader or self.stop.is_set():
            return
        if self._feed_lock.locked() or not fastpath.due():
            return
        async with self._feed_lock:
            try:
                await self.app.feed_and_process()
            except Exception as exc:  # the next read, or list.json, repairs it
                self.metrics.errors.labels("feed").inc()
                log.error("feed cycle failed: %s", redact(str(exc), self.settings.secrets()))

    async def digest_tick(self) -> None:
        if not self.leadership.is_leader:
            return
        day = kcalendar.today_kst()
        if not kcalendar.is_business_day(day):
            return
        try:
            await self.app.send_digest(day)
        except Exception as exc:
            self.metrics.errors.labels("digest").inc()
            log.error("digest for %s failed: %s", day, redact(str(exc)))
        self.app.dispatcher.wake()

    async def corpcode_tick(self) -> None:
        if not self.leadership.is_leader:
            return
        try:
            await self.app.refresh_corp_codes()
        except Exception as exc:
            self.metrics.errors.labels("corpcode").inc()
            log.warning("corpCode refresh failed (will retry tomorrow): %s", redact(str(exc)))

    async def timeline_url_tick(self) -> None:
        try:
            changed = await self.app.refresh_timeline_url()
            if changed and self.leadership.is_leader:
                await self.app.rematch()
        except Exception as exc:
            log.warning("TIMELINE_URL refresh failed: %s", redact(str(exc)))

    async def timeline_file_tick(self) -> None:
        """A record written by the CLI reaches the running daemon within a minute (the
        CLI already re-matched the stored filings)."""
        try:
            self.app.reload_timeline_if_changed()
        except Exception as exc:
            log.warning("timeline reload failed: %s", redact(str(exc)))

    async def timeline_tick(self) -> None:
        if not self.leadership.is_leader:
            return
        try:
            await self.app.timeline_reminder(kcalendar.today_kst())
        except Exception as exc:
            log.warning("timeline reminder failed: %s", redact(str(exc)))

    async def housekeeping_tick(self) -> None:
        try:
            await self.app.housekeeping()
        except Exception as exc:
            log.warning("housekeeping failed: %s", redact(str(exc)))

    # -- lifecycle ------------------------------------------------------------------------
    def _install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self._signalled, sig)

    def _signalled(self, sig: signal.Signals) -> None:
        log.info("received %s: shutting down", sig.name)
        self.stop.set()

    def _job(self, tick: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        """A scheduled job whose task the daemon knows, so shutdown can let it finish or
        cancel it and wait for it to unwind *before* the database engine is closed. A
        job cut short is not an error: polls and digests are idempotent and run again
        at the next start (without this the scheduler logs a traceback)."""

        async def job() -> None:
            task = asyncio.current_task()
            if task is not None:
                self._running_jobs.add(task)
            try:
                await tick()
            except asyncio.CancelledError:
                log.info(
                    "%s interrupted by shutdown; it runs again at the next start", tick.__name__
                )
            finally:
                if task is not None:
                    self._running_jobs.discard(task)

        job.__name__ = job.__qualname__ = tick.__name__
        return job

    def _schedule(self) -> AsyncIOScheduler:
        scheduler = AsyncIOScheduler(
            timezone=kcalendar.KST,
            job_defaults={"coalesce": True, "max_instances": 1},
        )
        tick = max(1, min(self.settings.poll_interval_seconds, 5))
        scheduler.add_job(
            self._job(self.poll_tick),
            IntervalTrigger(seconds=tick),
            id="poll",
            misfire_grace_time=self.settings.poll_interval_seconds,
            next_run_time=datetime.now(kcalendar.KST),
        )
        if self.app.fastpath is not None:
            scheduler.add_job(
                self._job(self.feed_tick),
                IntervalTrigger(seconds=1),
                id="feed",
                misfire_grace_time=5,
                next_run_time=datetime.now(kcalendar.KST),
            )
        t = self.settings.digest_time
        scheduler.add_job(
            self._job(self.digest_tick),
            CronTrigger(day_of_week="mon-fri", hour=t.hour, minute=t.minute),
            id="digest",
            misfire_grace_time=3600,
        )
        scheduler.add_job(
            self._job(self.corpcode_tick),
            CronTrigger(hour=6, minute=5),
            id="corpcode",
            misfire_grace_time=6 * 3600,
        )
        if self.settings.timeline_url:
            scheduler.add_job(
                self._job(self.timeline_url_tick),
                IntervalTrigger(hours=self.settings.timeline_refresh_hours),
                id="timeline_url",
                misfire_grace_time=3600,
                next_run_time=datetime.now(kcalendar.KST),
            )
        scheduler.add_job(
            self._job(self.timeline_file_tick),
            IntervalTrigger(seconds=60),
            id="timeline_file",
            misfire_grace_time=60,
        )
        scheduler.add_job(
            self._job(self.timeline_tick),
            CronTrigger(day_of_week="mon", hour=9, minute=30),
            id="timeline",
            misfire_grace_time=24 * 3600,
        )
        scheduler.add_job(
            self._job(self.housekeeping_tick),
            CronTrigger(hour=3, minute=17),
            id="housekeeping",
            misfire_grace_time=6 * 3600,
        )
        return scheduler

    # -- health ---------------------------------------------------------------------------
    async def readiness(self) -> Readiness:
        """What ``/readyz`` reports (see :mod:`monitor.runtime.health`)."""
        result = Readiness()
        db: Database | None = getattr(self.app, "db", None)
        if db is None:
            result.add("database", False, error="starting")
            return result
        try:
            current = await bounded(schema_revision(db))
        except Exception as exc:
            result.add("database", False, error=redact(f"{type(exc).__name__}: {exc}")[:200])
            return result
        result.add("database", True)
        result.add("migrations", current == self._head, current=current, head=self._head)
        running = self.scheduler is not None and self.scheduler.running and not self.stop.is_set()
        result.add("scheduler", running)
        last = await bounded(pollruns.last(db, "poll"))
        started = last.started_at if last is not None else None
        if started is not None and started.tzinfo is None:
            started = started.replace(tzinfo=UTC)  # stored naive, always UTC
        result.add(
            "last_poll",
            poll_is_recent(started, utcnow(), self.settings.poll_idle_interval_seconds),
            started_at=started.isoformat() if started else None,
            status=last.status if last is not None else None,
        )
        return result

    async def run(self) -> int:
        async with contextlib.AsyncExitStack() as listener:
            if self.settings.metrics_port:
                from monitor.core.loopback import serve_on_loop

                self._head = head_revision()
                app = HealthApp(self.metrics.asgi_app(), self.readiness)
                url = await listener.enter_async_context(
                    serve_on_loop(app, self.settings.metrics_port)
                )
                log.info("metrics on %s/metrics, probes on /healthz and /readyz", url)
            return await self._run()

    async def _run(self) -> int:
        add_secrets(*self.settings.secrets())
        if self.settings.web_listen is not None:
            self.settings.web_bind()  # a bad WEB_LISTEN/WEB_TOKEN: exit 2 before any work
        self._install_signals()
        if early_signals.received():  # SIGTERM while the process was still starting
            self._signalled(signal.SIGTERM)
        await self.app.start()
        if self.app.webhook_mode:
            await self.app.start_bot(leader=False)
        web = contextlib.AsyncExitStack()
        if self.settings.web_listen is not None:
            # Every replica may serve the desk: it only reads.
            from monitor.web.serve import beside_daemon

            try:
                await web.enter_async_context(
                    beside_daemon(self.settings, self.app.db, self.app.timeline)
                )
            except BaseException:
                await self.app.close()
                raise
        self.scheduler = self._schedule()
        self.scheduler.start()
        tasks = [
            asyncio.create_task(self.leadership.run(self.stop), name="leader"),
            asyncio.create_task(self.app.dispatcher.run_forever(self.stop), name="dispatcher"),
        ]
        log.info(
            "dartwatch running (worker %s, notifiers: %s, poll every %ss / %ss idle, %s)",
            self.worker_id,
            ", ".join(self.app.notifier_names) or "none",
            self.settings.poll_interval_seconds,
            self.settings.poll_idle_interval_seconds,
            f"RSS feed every {self.settings.rss_poll_seconds:g}s, list.json every "
            f"{max(self.settings.poll_interval_seconds, self.settings.list_poll_seconds)}s "
            "while it answers"
            if self.app.fastpath is not None
            else "RSS fast path off",
        )
        try:
            await self.stop.wait()
        finally:
            started = time.monotonic()
            # Let a poll in progress finish (no new one starts once stop is set); one
            # stuck in OpenDART retries is cancelled, and every job has unwound (its
            # database session closed) before the engine is disposed below.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._poll_lock.acquire(), timeout=5)
            if self.scheduler is not None:
                self.scheduler.shutdown(wait=False)
            running = set(self._running_jobs)
            for job in running:
                job.cancel()
            if running:
                await asyncio.wait(running, timeout=5)
            await asyncio.gather(*tasks, return_exceptions=True)
            await web.aclose()
            await self.leadership.release()
            await self.app.close()
            log.info("stopped cleanly in %.1fs", time.monotonic() - started)
        return 0
