"""The one place the service reads the time, so tests can move it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def now_ms(self) -> int:
        """Epoch milliseconds, the unit Jitsi uses for raised hands."""
        return int(self.now().timestamp() * 1000)


class FixedClock(Clock):
    """A clock that only moves when told to; for tests and replay."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta
