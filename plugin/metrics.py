"""Prometheus metrics on a registry owned by the app (no global registry)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "facilitate_http_requests",
            "HTTP requests handled, by route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "facilitate_http_request_duration_seconds",
            "Time to handle an HTTP request, by route template.",
            ["route"],
            registry=self.registry,
        )
        self.active_sessions = Gauge(
            "facilitate_active_sessions",
            "Facilitation sessions that have started and not ended.",
            registry=self.registry,
        )
        self.live_consoles = Gauge(
            "facilitate_live_consoles",
            "Console WebSockets currently connected.",
            registry=self.registry,
        )
        self.bots = Gauge(
            "facilitate_jitsi_bots",
            "Meeting bots, by state (connected, interrupted, starting).",
            ["state"],
            registry=self.registry,
        )
        self.bot_reconnects = Counter(
            "facilitate_jitsi_reconnects",
            "Times a meeting bot rejoined after losing its connection.",
            registry=self.registry,
        )
        self.webhook_rejections = Counter(
            "facilitate_webhook_rejected",
            "Webhook posts refused with a 4xx (the sender will not retry), by sender and status.",
            ["source", "status"],
            registry=self.registry,
        )
        self.bot_participants = Gauge(
            "facilitate_jitsi_participants",
            "People the meeting bots currently see in their meetings.",
            registry=self.registry,
        )

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count a request and time it. The labelled children are looked up once per
        (method, route, status): `labels()` takes a lock and builds a key every time."""
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(route),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def webhook_rejected(self, source: str, status: int) -> None:
        self.webhook_rejections.labels(source, str(status)).inc()
