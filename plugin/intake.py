"""Webhook intake: durable group commits before the 2xx, attendance applied afterwards.

`store()` returns only once the event is committed (SQLite `synchronous=FULL`, or
PostgreSQL). Requests arriving together share one transaction, so a burst costs one sync
per batch, not one per request. A separate loop applies stored events to attendance after
the senders have their answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from facilitation.attendance import from_record, to_record
from plugin.clock import Clock
from plugin.db import attendance, webhooks
from plugin.db.engine import Database
from plugin.db.models import Attendance
from plugin.tasks import BackgroundTasks
from webhooks.record import Incoming

log = logging.getLogger(__name__)
BATCH = 256
APPLY_BATCH = 500
APPLY_EVERY_SECONDS = 5.0
APPLY_DELAY_SECONDS = 0.2
RETRY_SECONDS = 1.0
APPLY_LOCK = 7_112_001  # PostgreSQL advisory lock: one instance applies at a time


class StorageUnavailable(Exception):
    """The event could not be committed; the sender should retry (503)."""


@dataclass
class _Pending:
    values: dict[str, Any]
    done: asyncio.Future[bool]


class Intake:
    def __init__(self, database: Database, clock: Clock) -> None:
        self.database = database
        self.clock = clock
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._wake = asyncio.Event()
        self._tasks = BackgroundTasks()
        self._applying = asyncio.Lock()  # one applier in this process (and a lock in PostgreSQL)

    def open(self) -> None:
        self._tasks.spawn(self._commit_loop(), "webhook-commits")
        self._tasks.spawn(self._apply_loop(), "webhook-apply")

    async def close(self) -> None:
        # Requests still waiting get their answer before the loop stops.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), 10)
        await self._tasks.close()

    async def store(self, incoming: Incoming) -> bool:
        """Commit the event; True if new, False if its key was already stored."""
        values = {
            "source": incoming.source,
            "dedupe_key": incoming.dedupe_key,
            "event_type": incoming.event_type,
            "room": incoming.room[:200],
            "tenant": incoming.tenant[:200],
            "occurred_at": incoming.occurred_at,
            "received_at": self.clock.now(),
            "payload": incoming.payload,
            "sightings": [to_record(seen) for seen in incoming.sightings],
        }
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(values, done))
        return await done

    async def _commit_loop(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                results = await self._commit(batch)
            except Exception as exc:
                # Never acknowledge what is not committed: the senders retry on 503.
                if isinstance(exc, DBAPIError | OSError):
                    log.warning("could not store %d webhook events: %s", len(batch), exc)
                else:
                    log.exception("storing %d webhook events failed", len(batch))
                for pending in batch:
                    if not pending.done.done():
                        pending.done.set_exception(StorageUnavailable(str(exc)))
                self._finished(batch)
                continue
            for pending, new in zip(batch, results, strict=True):
                if not pending.done.done():
                    pending.done.set_result(new)
            self._finished(batch)
            self._wake.set()

    def _finished(self, batch: list[_Pending]) -> None:
        for _ in batch:
            self._queue.task_done()

    async def _commit(self, batch: list[_Pending]) -> list[bool]:
        async with self.database.session() as db:
            results = []
            seen: set[str] = set()
            for pending in batch:
                key = pending.values["dedupe_key"]
                if key in seen:  # the same delivery twice in one batch
                    results.append(False)
                    continue
                seen.add(key)
                results.append(await webhooks.insert_once(db, pending.values))
            await db.commit()
        return results

    async def _apply_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), APPLY_EVERY_SECONDS)
            await asyncio.sleep(APPLY_DELAY_SECONDS)  # let a burst land, then apply it at once
            self._wake.clear()
            try:
                while await self.apply_pending():
                    pass
            except (DBAPIError, OSError) as exc:
                log.warning("applying webhook events failed, will retry: %s", exc)
                await asyncio.sleep(RETRY_SECONDS)

    async def apply_pending(self) -> int:
        """Apply one batch of stored events to attendance; returns how many it applied."""
        async with self._applying, self.database.session() as db:
            if db.get_bind().dialect.name == "postgresql":
                connection = await db.connection()
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPLY_LOCK}
                )
            events = await webhooks.unprocessed(db, APPLY_BATCH)
            cache: dict[tuple[str, str, str], Attendance] = {}
            now = self.clock.now()
            for event in events:
                sightings = []
                for record in event.sightings:
                    try:
                        sightings.append(from_record(record))
                    except (KeyError, ValueError, TypeError):
                        log.error("webhook event %s has an unreadable sighting; skipped", event.id)
                await attendance.apply(db, sightings, cache)
                event.processed_at = now
                db.add(event)
            await db.commit()
        return len(events)

    async def purge(self, keep: timedelta, retention: timedelta) -> None:
        now = self.clock.now()
        async with self.database.session() as db:
            await webhooks.purge(db, now - keep)
            await attendance.purge(db, now - retention)
            await db.commit()
