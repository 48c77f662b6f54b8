"""Counting failures per key (an address, say) and refusing once there are too many."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from facilitation.throttle import ThrottlePolicy
from plugin.db import accounts

# Wrong secrets from one address, 20 in 10 minutes, then wait: meeting codes (8 characters
# from 31), check-out links (256 random bits) and dial-in PINs (7 digits with a few dozen
# live rooms). At that rate a lucky guess is hopeless: the limit is about scripts.
GUESSING = ThrottlePolicy(max_failures=20, window=timedelta(minutes=10))


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


async def count_miss(
    db: AsyncSession, key: str, policy: ThrottlePolicy, now: datetime
) -> int | None:
    """Count a miss, unless the key is past its limit already: then nothing is written (a
    script costs no writes) and the answer is the whole seconds to wait. None once counted."""
    wait = await seconds_to_wait(db, key, policy, now)
    if wait is None:
        await count_failure(db, key, now)
    return wait
