"""Counting failures per key (an address, say) and refusing once there are too many."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from facilitation.throttle import ThrottlePolicy
from plugin.db import accounts


async def seconds_to_wait(
    db: AsyncSession, key: str, policy: ThrottlePolicy, now: datetime
) -> int | None:
    """None if another try is allowed now, else whole seconds until it is."""
    failures = await accounts.failures_since(db, key, now - policy.window)
    wait = policy.retry_after(failures, now)
    return None if wait is None else int(wait.total_seconds()) + 1


async def count_failure(db: AsyncSession, key: str, now: datetime) -> None:
    """Counted in its own commit: a failure must count even when the request fails."""
    await accounts.record_failure(db, [key], now)
    await db.commit()
