"""Wrong PINs counted per caller, across calls: 10 in 30 minutes locks that number out.

The count is kept under an HMAC of the number with the service's secret (in the sign-in
failure table), so the table never holds a phone number. Withheld numbers have no count:
they share nothing, and only the 3 tries per call apply."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from facilitation.phone import LOCKED_OUT, Hangup, Outcome, Reply, Step
from facilitation.throttle import ThrottlePolicy
from plugin.db import accounts

CALLER_LOCKOUT = ThrottlePolicy(max_failures=10, window=timedelta(minutes=30))


class CallerLockout:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _key(self, number: str) -> str:
        mac = hmac.new(self._secret, b"pin-failures:" + number.encode(), hashlib.sha256)
        return "pin:" + mac.hexdigest()[:40]

    async def locked(self, db: AsyncSession, number: str, now: datetime) -> bool:
        failures = await accounts.failures_since(db, self._key(number), now - CALLER_LOCKOUT.window)
        return CALLER_LOCKOUT.retry_after(failures, now) is not None

    async def failed(self, db: AsyncSession, number: str, now: datetime) -> None:
        await accounts.record_failure(db, [self._key(number)], now)

    async def after_wrong_pin(
        self, db: AsyncSession, number: str, outcome: Outcome, now: datetime
    ) -> Outcome:
        """Count a wrong PIN against the caller's number; a number over the limit is told
        so and the call ends, whatever tries this call had left."""
        if not number:
            return outcome  # withheld numbers share no limit: 3 tries per call only
        await self.failed(db, number, now)
        if await self.locked(db, number, now) and outcome.state.step is Step.PIN:
            locked = replace(outcome.state, step=Step.LOCKED)
            reply = Reply((LOCKED_OUT,), Hangup(), outcome.state.language)
            return Outcome(locked, reply)
        return outcome
