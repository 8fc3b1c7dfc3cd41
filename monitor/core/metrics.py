"""Prometheus metrics (optional, ``METRICS_PORT``), served on 127.0.0.1 only.

Counters live in a private registry so tests and several daemons in one process
don't collide, and so nothing is exported unless the port is set.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    make_asgi_app,
)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.polls = Counter(
            "dartwatch_polls", "Poll cycles by outcome", ["status"], registry=self.registry
        )
        self.filings = Counter(
            "dartwatch_filings_new", "New filings stored", registry=self.registry
        )
        self.alerts = Counter(
            "dartwatch_deliveries_sent",
            "Deliveries sent",
            ["notifier", "kind"],
            registry=self.registry,
        )
        self.errors = Counter(
            "dartwatch_errors", "Errors by component", ["component"], registry=self.registry
        )
        self.latency = Histogram(
            "dartwatch_delivery_latency_seconds",
            "From the outbox row's creation to the message being accepted",
            buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
            registry=self.registry,
        )
        self.requests_today = Gauge(
            "dartwatch_dart_requests_today",
            "OpenDART requests used today (KST)",
            registry=self.registry,
        )
        self.feed_reads = Counter(
            "dartwatch_rss_reads",
            "RSS feed reads by outcome (ok, error)",
            ["result"],
            registry=self.registry,
        )
        self.feed_fallback = Gauge(
            "dartwatch_rss_fallback",
            "1 while the RSS fast path is off and list.json alone detects filings",
            registry=self.registry,
        )
        self.leader = Gauge(
            "dartwatch_is_leader", "1 when this replica is the leader", registry=self.registry
        )

    def asgi_app(self) -> Any:
        """The exposition as an ASGI app, for the daemon's listener (which also
        answers the health probes, see :mod:`monitor.runtime.health`)."""
        return make_asgi_app(self.registry)
