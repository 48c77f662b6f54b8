"""Login throttling: how long someone must wait after repeated failures."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)

    def retry_after(self, failures: Iterable[datetime], now: datetime) -> timedelta | None:
        """None if a new attempt is allowed now, else how long until it is.

        Counts failures inside the sliding window; once there are `max_failures`,
        the next attempt waits until enough of them have aged out.
        """
        recent = sorted(f for f in failures if now - self.window < f <= now)
        if len(recent) < self.max_failures:
            return None
        unlock_at = recent[-self.max_failures] + self.window
        return max(unlock_at - now, timedelta(seconds=1))
