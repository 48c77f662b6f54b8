"""The outbox's sender: takes due alerts (one instance per alert, by claim), delivers them
by email or webhook, and records sent, retrying (with back-off) or failed with the reason.

It wakes when a flag is raised on this instance (the bus) and otherwise looks every few
seconds, so alerts queued by another instance or left by a crash go out too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from datetime import timedelta

from facilitation.notices import Channel
from plugin.clock import Clock
from plugin.db import outbox
from plugin.db.engine import Database
from plugin.db.models import Notification
from plugin.notify.mail import Mailer, MailError
from plugin.notify.webhook import AlertWebhook, WebhookError

log = logging.getLogger(__name__)
POLL_SECONDS = 5.0


def instance_name() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(3)}"


class Sender:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        mailer: Mailer,
        webhook: AlertWebhook,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.database = database
        self.clock = clock
        self.mailer = mailer
        self.webhook = webhook
        self.poll_seconds = poll_seconds
        self.owner = instance_name()
        # Long enough for a slow server to answer before another instance may try again.
        self.hold = timedelta(seconds=2 * mailer.settings.smtp_timeout_seconds + 3)
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self, *_: object) -> None:
        self._wake.set()

    async def stop(self, task: asyncio.Task[None]) -> None:
        """Let a send in progress finish (up to its claim), then end; no half-open
        connection is left behind at shutdown."""
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), self.hold.total_seconds())
        except TimeoutError:
            task.cancel()

    async def run(self) -> None:
        while not self._stopping:
            try:
                while not self._stopping and await self.deliver_due():
                    pass
            except Exception:
                log.exception("the alert sender failed; trying again shortly")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            self._wake.clear()

    async def deliver_due(self) -> int:
        """Deliver what is due now; the number of alerts tried."""
        async with self.database.session() as db:
            rows = await outbox.claim(db, self.owner, self.clock.now(), self.hold)
        for row in rows:
            error = await self._deliver(row)
            async with self.database.session() as db:
                done = await outbox.finish(db, row.id or 0, self.owner, self.clock.now(), error)
            if done is not None:
                if error is None:
                    log.info("alert %s (%s) sent by %s", done.id, done.kind, done.channel)
                else:
                    log.warning(
                        "alert %s (%s) by %s not sent (%s): %s",
                        done.id,
                        done.kind,
                        done.channel,
                        done.state,
                        error,
                    )
        return len(rows)

    async def _deliver(self, row: Notification) -> str | None:
        try:
            # Never still sending when the claim runs out and another instance may take it.
            async with asyncio.timeout(self.hold.total_seconds() - 2):
                return await self._send(row)
        except TimeoutError:
            return "no answer in time"

    async def _send(self, row: Notification) -> str | None:
        try:
            if row.channel == Channel.WEBHOOK.value:
                if not self.webhook.enabled:
                    return "the alert webhook is not configured any more"
                await self.webhook.send(f"msg_{row.dedupe_key}", row.body)
            else:
                if not self.mailer.enabled:
                    return "email is not configured any more (FACILITATE_SMTP_HOST)"
                await self.mailer.send(row.address, row.subject, row.body, row.dedupe_key)
        except (MailError, WebhookError) as exc:
            return str(exc)
        return None
