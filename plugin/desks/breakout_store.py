"""A session's breakout round as stored: loaded and changed under the session's lock,
then shown to consoles (`BreakoutsChanged`), with what went wrong kept as notices."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlmodel import col, select

from facilitation.breakouts import Plan
from facilitation.breakouts.record import plan_from_record
from facilitation.meeting_events import BreakoutsChanged
from plugin.bus import EventBus
from plugin.clock import Clock
from plugin.db import breakouts as breakouts_db
from plugin.db.engine import Database
from plugin.db.models import BreakoutRound, MeetingSession, Participant
from plugin.desks.breakout_calls import Notice
from plugin.desks.breakout_view import describe
from plugin.tasks import BackgroundTasks

MAX_NOTICES = 30
ANNOUNCE_AFTER_SECONDS = 0.3
Translate = Callable[[str], str]


class BreakoutError(ValueError):
    """A facilitator's request that cannot be done as asked; the message says why."""


class BreakoutStore:
    def __init__(
        self, database: Database, clock: Clock, bus: EventBus, translate: Translate
    ) -> None:
        self.database = database
        self.clock = clock
        self.bus = bus
        self.translate = translate
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._tasks = BackgroundTasks()
        self._soon: set[str] = set()

    async def close(self) -> None:
        await self._tasks.close()

    async def session(self, session_id: str) -> MeetingSession:
        async with self.database.session() as db:
            session = await db.get(MeetingSession, session_id)
        if session is None:
            raise BreakoutError("no such session")
        return session

    async def change(self, session_id: str, step: Callable[[BreakoutRound], None]) -> BreakoutRound:
        """Load the round, let `step` change it (or raise), store and announce it."""
        async with self._locks[session_id]:
            async with self.database.session() as db:
                row = await breakouts_db.load(db, session_id)
                if row is None:
                    row = BreakoutRound(session_id=session_id, updated_at=self.clock.now())
                step(row)
                breakouts_db.touch(row, self.clock.now())
                db.add(row)
                await db.commit()
                await db.refresh(row)
            await self.announce(row)
        return row

    async def announce(self, row: BreakoutRound) -> None:
        self.bus.publish(BreakoutsChanged(row.session_id, await self.view_of(row)))

    def announce_soon(self, session_id: str) -> None:
        """People arriving in rooms come in bursts (everyone moves at once): tell the
        consoles once per burst, not once per person."""
        if session_id in self._soon:
            return
        self._soon.add(session_id)

        async def later() -> None:
            await asyncio.sleep(ANNOUNCE_AFTER_SECONDS)
            self._soon.discard(session_id)
            row = await self.row(session_id)
            if row is not None:
                await self.announce(row)

        self._tasks.spawn(later(), f"breakouts-announce-{session_id}")

    async def view(self, session_id: str) -> dict[str, Any]:
        async with self.database.session() as db:
            row = await breakouts_db.load(db, session_id)
        if row is None:
            row = BreakoutRound(session_id=session_id, state="none", updated_at=self.clock.now())
        return await self.view_of(row)

    async def view_of(self, row: BreakoutRound) -> dict[str, Any]:
        async with self.database.session() as db:
            query = select(Participant).where(
                Participant.session_id == row.session_id, col(Participant.left_at).is_(None)
            )
            present = list((await db.exec(query)).all())
        return describe(row, present, self.clock.now(), self.translate)

    @staticmethod
    def plan_of(row: BreakoutRound) -> Plan | None:
        return plan_from_record(row.plan) if row.plan else None

    def add_notices(self, row: BreakoutRound, notices: list[Notice]) -> None:
        if notices:
            at = self.clock.now().isoformat()
            row.notices = [*row.notices, *({**n, "at": at} for n in notices)][-MAX_NOTICES:]

    async def present(self, session_id: str) -> list[Participant]:
        async with self.database.session() as db:
            query = (
                select(Participant)
                .where(
                    Participant.session_id == session_id,
                    col(Participant.left_at).is_(None),
                    Participant.room == "",
                )
                .order_by(col(Participant.joined_at))
            )
            return [p for p in (await db.exec(query)).all() if p.jitsi_id]

    async def row(self, session_id: str) -> BreakoutRound | None:
        async with self.database.session() as db:
            return await breakouts_db.load(db, session_id)
