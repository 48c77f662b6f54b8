"""The presence desk: the one owner of participant rows (who is in the meeting, in which
room, under which name), kept from the assistant's typed events in arrival order."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from facilitation.meeting_events import (
    AssistantJoined,
    AssistantRestored,
    MeetingEvent,
    PersonJoined,
    PersonLeft,
    PersonMoved,
    PersonUpdated,
)
from plugin.bus import EventBus
from plugin.clock import Clock
from plugin.db import participants
from plugin.db.engine import Database
from plugin.tasks import BackgroundTasks

log = logging.getLogger(__name__)
WRITE_BATCH = 200
WRITE_RETRY_SECONDS = 1.0
STOP_TIMEOUT = 10.0
EVENTS = (AssistantJoined, AssistantRestored, PersonJoined, PersonLeft, PersonMoved, PersonUpdated)
Write = tuple[MeetingEvent, datetime]


class PresenceDesk:
    def __init__(self, bus: EventBus, database: Database, clock: Clock) -> None:
        self.bus = bus
        self.database = database
        self.clock = clock
        self._tasks = BackgroundTasks()
        # Unbounded on purpose: while the database is down, events wait here rather than
        # being dropped; a meeting makes a few per second at most.
        self._writes: asyncio.Queue[Write | None] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self._queued = 0
        self._written = 0
        self._progress = asyncio.Event()
        self._unsubscribe = bus.subscribe_all(EVENTS, self._on_event)

    def _on_event(self, event: MeetingEvent) -> None:
        self._queued += 1
        self._writes.put_nowait((event, self.clock.now()))

    def open(self) -> None:
        self._writer = self._tasks.spawn(self._write_loop(), "presence-writer")

    async def _write_loop(self) -> None:
        """Apply events to the database in arrival order, in batches."""
        while True:
            first = await self._writes.get()
            if first is None:
                return
            batch = [first]
            done = False
            while len(batch) < WRITE_BATCH and not self._writes.empty():
                item = self._writes.get_nowait()
                if item is None:
                    done = True
                    break
                batch.append(item)
            await self._write(batch)
            self._written += len(batch)
            self._progress.set()
            if done:
                return

    async def _write(self, batch: list[Write]) -> None:
        """Commit a batch. While the database is unreachable, retry until it lands (a lost
        join would be worse than a late one). Any other failure is one bad event: write
        the rest one by one and log the one that cannot be stored."""
        while True:
            try:
                await self._apply(batch)
                return
            except (OperationalError, InterfaceError, OSError) as exc:
                log.warning(
                    "database unreachable (%s); retrying %d presence events", exc, len(batch)
                )
                await asyncio.sleep(WRITE_RETRY_SECONDS)
            except DBAPIError:
                break
        for item in batch:
            try:
                await self._apply([item])
            except DBAPIError:
                log.exception(
                    "could not store %s for session %s; skipped",
                    type(item[0]).__name__,
                    item[0].session_id,
                )

    async def _apply(self, batch: list[Write]) -> None:
        async with self.database.session() as db:
            for event, at in batch:
                await participants.apply_event(db, event, at)
            await db.commit()

    async def flush(self) -> None:
        """Wait until every event received before this call is in the database."""
        target = self._queued
        while self._written < target:
            self._progress.clear()
            await self._progress.wait()

    async def close(self) -> None:
        self._unsubscribe()
        self._writes.put_nowait(None)  # after unsubscribing: nothing can be queued behind it
        if self._writer is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._writer), STOP_TIMEOUT)
            except TimeoutError:
                log.error("presence writes still pending at shutdown")
        await self._tasks.close()
