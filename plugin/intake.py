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
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from facilitation.attendance import Sighting, to_record
from plugin.clock import Clock
from plugin.db import applying, attendance, webhooks
from plugin.db.engine import Database, sqlite_path
from plugin.db.sqlite_writer import SqliteWriter, WriterFailed
from plugin.tasks import BackgroundTasks

log = logging.getLogger(__name__)
BATCH = 256
APPLY_BATCH = 50  # small: commits wait while a batch is applied (about 15 ms)
APPLY_EVERY_SECONDS = 5.0
APPLY_DELAY_SECONDS = 0.2  # quiet this long before applying
RETRY_SECONDS = 1.0
STORE_TIMEOUT = 15.0
IN_CHUNK = 500
PG_COMMITTERS = 4
APPLY_LOCK = 7_112_001  # PostgreSQL advisory lock: one instance applies at a time


@dataclass(frozen=True)
class Incoming:
    """What a webhook adapter hands on: the raw event, its idempotency key and the
    domain facts it carries."""

    source: str
    dedupe_key: str
    event_type: str
    room: str
    tenant: str
    occurred_at: datetime
    payload: dict[str, Any]
    sightings: list[Sighting] = field(default_factory=list)


class StorageUnavailable(Exception):
    """The event could not be committed; the sender should retry (503)."""


@dataclass
class _Pending:
    values: dict[str, Any]
    done: asyncio.Future[bool]


def _give_up(done: asyncio.Future[bool]) -> None:
    if not done.done():
        done.set_exception(StorageUnavailable("the database did not answer in time"))


class Intake:
    def __init__(self, database: Database, clock: Clock, database_url: str) -> None:
        self.database = database
        self.clock = clock
        # A SQLite file is written by a helper process (plugin.db.sqlite_writer), commits and
        # applying alike; anything else goes through the async engine. The backend is the
        # engine's, whatever the URL spelling.
        on_sqlite = database.engine.dialect.name == "sqlite"
        path = sqlite_path(database_url) if on_sqlite else None
        self._writer = SqliteWriter(path) if path and path != ":memory:" else None
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._wake = asyncio.Event()
        self._tasks = BackgroundTasks()

    @property
    def writer(self) -> SqliteWriter | None:
        """The SQLite writer process's handle (None on PostgreSQL)."""
        return self._writer

    def open(self) -> None:
        # SQLite has one writer; PostgreSQL commits several batches at once (each waits on
        # its WAL flush while the next is gathered; the server groups the flushes).
        for n in range(1 if self._writer is not None else PG_COMMITTERS):
            self._tasks.spawn(self._commit_loop(), f"webhook-commits-{n}")
        self._tasks.spawn(self._apply_loop(), "webhook-apply")

    async def close(self) -> None:
        # Requests still waiting get their answer before the loop stops.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), 10)
        await self._tasks.close()
        if self._writer is not None:
            await self._writer.close()

    async def store(self, incoming: Incoming, raw: bytes | None = None) -> bool:
        """Commit the event; True if new, False if its key was already stored.

        `raw` is the body as received (valid JSON, already checked); SQLite stores it as it
        is instead of serialising the parsed payload again.
        """
        values = {
            "source": incoming.source,
            "dedupe_key": incoming.dedupe_key,
            "event_type": incoming.event_type,
            "room": incoming.room[:200],
            "tenant": incoming.tenant[:200],
            "occurred_at": incoming.occurred_at,
            "received_at": self.clock.now(),
            "payload": incoming.payload,
            "payload_text": raw.decode("utf-8") if raw is not None else None,
            "sightings": [to_record(seen) for seen in incoming.sightings],
        }
        loop = asyncio.get_running_loop()
        done: asyncio.Future[bool] = loop.create_future()
        self._queue.put_nowait(_Pending(values, done))
        # A hung database must not hang the sender: it gets a 503 and retries (the key makes
        # a retry of something that did commit after all a harmless duplicate). A timer, not
        # wait_for: no extra task per webhook.
        timer = loop.call_later(STORE_TIMEOUT, _give_up, done)
        try:
            return await done
        finally:
            timer.cancel()

    async def _commit_loop(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._settle(batch)
            self._finished(batch)
            self._wake.set()

    async def _settle(self, batch: list[_Pending]) -> None:
        """Commit a batch and answer each waiter. If the batch fails for a reason other than
        an outage, try its events one by one, so one bad event cannot fail the others."""
        try:
            results = await self._commit(batch)
        except Exception as exc:
            transient = isinstance(
                exc, OperationalError | InterfaceError | OSError | StorageUnavailable
            )
            if len(batch) > 1 and not transient:
                for pending in batch:
                    await self._settle([pending])
                return
            # Never acknowledge what is not committed: the senders retry on 503.
            if transient:
                log.warning("could not store %d webhook events: %s", len(batch), exc)
            else:
                log.exception("storing a webhook event failed")
            for pending in batch:
                if not pending.done.done():
                    pending.done.set_exception(StorageUnavailable(str(exc)))
            return
        for pending, new in zip(batch, results, strict=True):
            if not pending.done.done():
                pending.done.set_result(new)

    def _finished(self, batch: list[_Pending]) -> None:
        for _ in batch:
            self._queue.task_done()

    async def _commit(self, batch: list[_Pending]) -> list[bool]:
        """One statement and one commit for the whole batch; which of them were new."""
        unique: dict[str, dict[str, Any]] = {}
        for pending in batch:
            unique.setdefault(pending.values["dedupe_key"], pending.values)
        rows = list(unique.values())
        if self._writer is not None:
            try:
                stored = await self._writer.insert_new([webhooks.sqlite_row(r) for r in rows])
            except WriterFailed as exc:
                if exc.outage:
                    raise StorageUnavailable(str(exc)) from exc
                raise
        else:
            async with self.database.engine.begin() as connection:
                stored = await webhooks.insert_new(
                    connection,
                    [{k: v for k, v in row.items() if k != "payload_text"} for row in rows],
                )
        results = []
        for pending in batch:
            key = pending.values["dedupe_key"]
            results.append(key in stored)
            stored.discard(key)  # the same delivery twice in one batch: the second is a duplicate
        return results

    async def _apply_loop(self) -> None:
        """Apply stored events when intake goes quiet, or every few seconds under load:
        acknowledging senders comes first, attendance may trail by seconds."""
        loop = asyncio.get_running_loop()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), APPLY_EVERY_SECONDS)
            started = loop.time()
            while self._wake.is_set() and loop.time() - started < APPLY_EVERY_SECONDS:
                self._wake.clear()
                await asyncio.sleep(APPLY_DELAY_SECONDS)  # more came: wait for a lull
            self._wake.clear()
            try:
                while await self.apply_pending():
                    if self._wake.is_set():
                        break  # new deliveries: let them commit first
            except Exception as exc:
                # Stored events stay stored; the next round tries again. Never let the
                # loop die: attendance would silently stop for everyone.
                if isinstance(exc, DBAPIError | OSError) or getattr(exc, "outage", False):
                    log.warning("applying webhook events failed, will retry: %s", exc)
                else:
                    log.exception("applying webhook events failed, will retry")
                await asyncio.sleep(RETRY_SECONDS)

    async def apply_pending(self) -> int:
        """Apply one batch of stored events to attendance; returns how many it applied."""
        now = self.clock.now()
        if self._writer is not None:
            return await self._writer.apply(APPLY_BATCH, now.isoformat())
        async with self.database.engine.begin() as connection:
            # Several instances on one PostgreSQL: one applies at a time; the others skip.
            locked = await connection.scalar(
                text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": APPLY_LOCK}
            )
            if not locked:
                return 0
            return await connection.run_sync(applying.apply_batch, APPLY_BATCH, now)

    async def purge(self, keep: timedelta, retention: timedelta) -> None:
        now = self.clock.now()
        async with self.database.session() as db:
            await webhooks.purge(db, now - keep)
            await attendance.purge(db, now - retention)
            await db.commit()
