"""The breakout desk: each session's groups, from the plan to everyone back.

The plan's rules are `facilitation.breakouts`; here the plan is made from who is in the
meeting, kept in the database under the session's lock, shown to consoles
(`BreakoutsChanged`), and carried out by `RoomRunner` in Jitsi and on the phone line. A
round's timer lives in the database too: a one-second tick sends the warnings (2 minutes
and 30 seconds before the end) and brings everyone back when time is up, after a restart
as well. Late joiners are placed by the plan's rule; participants who may choose their
group do so with "group 2" in the chat or 2 on the keypad.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlmodel import col, select

from facilitation import breakouts as rules
from facilitation.breakouts import Member, Method, Plan, PlanError, Request, timer
from facilitation.breakouts.choosing import chosen_group
from facilitation.breakouts.record import (
    plan_from_record,
    plan_to_record,
    round_from_record,
    round_to_record,
)
from facilitation.meeting_events import (
    BreakoutsChanged,
    ChatReceived,
    GroupRoomJoined,
    GroupRoomTrouble,
    KeypadAnswer,
    MeetingEvent,
    PersonJoined,
    PersonKind,
    PersonLeft,
    PersonMoved,
    SessionEnded,
)
from plugin.bus import EventBus, Inbox
from plugin.clock import Clock
from plugin.db import breakouts as breakouts_db
from plugin.db.engine import Database
from plugin.db.models import BreakoutRound, MeetingSession, Participant
from plugin.desks.breakout_rooms import Notice, RoomRunner, notice
from plugin.desks.breakout_view import describe
from plugin.i18n import N_
from plugin.tasks import BackgroundTasks

log = logging.getLogger(__name__)
TICK_SECONDS = 1.0
# After close, group rooms of separate calls stay open this long for stragglers.
EMPTY_GRACE_SECONDS = 120
MAX_NOTICES = 30
MAX_BROADCAST = 500
Translate = Callable[[str], str]
WARNING_TEXT = {
    120: N_("Two minutes left in your groups."),
    30: N_("30 seconds left. Please finish up."),
}


class BreakoutError(ValueError):
    """A facilitator's request that cannot be done as asked; the message says why."""


class BreakoutDesk:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        bus: EventBus,
        runner: RoomRunner,
        translate: Translate,
    ) -> None:
        self.database = database
        self.clock = clock
        self.bus = bus
        self.runner = runner
        self.translate = translate
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._tasks = BackgroundTasks()
        self._inbox = Inbox("breakout-events", self._from_meeting)
        self._inbox.listen(
            bus,
            PersonJoined,
            PersonLeft,
            PersonMoved,
            ChatReceived,
            KeypadAnswer,
            GroupRoomJoined,
            GroupRoomTrouble,
            SessionEnded,
        )

    def open(self) -> None:
        self._inbox.start()
        self._tasks.spawn(self._tick_loop(), "breakout-timer")

    async def close(self) -> None:
        await self._inbox.close()
        await self._tasks.close()

    async def settled(self) -> None:
        await self._inbox.settled()

    # --- state --------------------------------------------------------------------------

    async def _session(self, session_id: str) -> MeetingSession:
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
            await self._announce(row)
        return row

    async def _announce(self, row: BreakoutRound) -> None:
        self.bus.publish(BreakoutsChanged(row.session_id, await self.view_of(row)))

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

    def _add_notices(self, row: BreakoutRound, notices: list[Notice]) -> None:
        if notices:
            at = self.clock.now().isoformat()
            row.notices = [*row.notices, *({**n, "at": at} for n in notices)][-MAX_NOTICES:]

    async def _present(self, session_id: str) -> list[Participant]:
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

    # --- facilitators -------------------------------------------------------------------

    async def make_plan(
        self, session_id: str, request: Request, leaders: frozenset[str] | None = None
    ) -> BreakoutRound:
        """A fresh plan from everyone in the main room now (a preview: nothing happens in
        the meeting until the facilitator opens the groups)."""
        people = await self._present(session_id)
        members = [
            Member(
                p.jitsi_id or "",
                p.shown_name,
                PersonKind.PHONE if p.kind == "phone" else PersonKind.WEB,
                facilitator=(p.jitsi_id in leaders)
                if leaders is not None
                else p.role == "moderator",
            )
            for p in people
        ]
        try:
            plan = rules.make_plan(members, request)
        except PlanError as exc:
            raise BreakoutError(str(exc)) from exc

        def store(row: BreakoutRound) -> None:
            if row.state == "open":
                raise BreakoutError("the groups are open; bring everyone back first")
            row.state = "planning"
            row.plan = plan_to_record(plan)
            row.timer = None
            row.rooms = {}
            row.notices = []

        return await self.change(session_id, store)

    async def edit(
        self,
        session_id: str,
        action: str,
        *,
        person: str = "",
        group: int | None = None,
        name: str = "",
    ) -> BreakoutRound:
        """Change the plan: move someone (group None: to the waiting list), rename a group,
        or name who leads it. While the groups are open a move happens in the meeting too."""
        moved: list[str] = []

        def step(row: BreakoutRound) -> None:
            plan = self.plan_of(row)
            if plan is None or row.state not in ("planning", "open"):
                raise BreakoutError("there is no plan to change; make one first")
            try:
                if action == "move":
                    plan = rules.move(plan, person, group)
                    moved.append(person)
                elif action == "rename":
                    plan = rules.rename(plan, group or 0, name)
                elif action == "lead":
                    plan = rules.set_facilitator(plan, group or 0, person or None)
                else:
                    raise BreakoutError(f"unknown change {action!r}")
            except PlanError as exc:
                raise BreakoutError(str(exc)) from exc
            row.plan = plan_to_record(plan)

        row = await self.change(session_id, step)
        if row.state == "open" and moved:
            await self._place_now(row, moved[0])
        return row

    async def discard(self, session_id: str) -> BreakoutRound:
        def step(row: BreakoutRound) -> None:
            if row.state == "open":
                raise BreakoutError("the groups are open; bring everyone back first")
            row.state = "closed"
            row.plan = {}
            row.notices = []

        return await self.change(session_id, step)

    async def start(self, session_id: str, minutes: int) -> BreakoutRound:
        """Open the groups for `minutes`: the plan is carried out in the meeting."""
        session = await self._session(session_id)
        if session.ended_at is not None:
            raise BreakoutError("the session has ended")
        now = self.clock.now()
        try:
            round_ = timer.start(now, minutes)
        except timer.TimerError as exc:
            raise BreakoutError(str(exc)) from exc

        def opening(row: BreakoutRound) -> None:
            if row.state != "planning" or not row.plan:
                raise BreakoutError("make a plan first")
            row.state = "open"
            row.timer = round_to_record(round_)
            row.notices = []

        row = await self.change(session_id, opening)
        plan = self.plan_of(row)
        assert plan is not None
        done = await self.runner.open(session, plan)

        def opened(row: BreakoutRound) -> None:
            row.rooms = {**row.rooms, **done.rooms}
            self._add_notices(row, done.notices)

        return await self.change(session_id, opened)

    async def extend(self, session_id: str, minutes: int) -> BreakoutRound:
        now = self.clock.now()

        def step(row: BreakoutRound) -> None:
            if row.state != "open" or row.timer is None:
                raise BreakoutError("the groups are not open")
            try:
                row.timer = round_to_record(
                    timer.extend(round_from_record(row.timer), minutes, now)
                )
            except timer.TimerError as exc:
                raise BreakoutError(str(exc)) from exc

        return await self.change(session_id, step)

    async def broadcast(self, session_id: str, text: str) -> BreakoutRound:
        text = " ".join(text.split())
        if not text or len(text) > MAX_BROADCAST:
            raise BreakoutError(f"a message needs 1 to {MAX_BROADCAST} characters")
        session = await self._session(session_id)
        async with self.database.session() as db:
            row = await breakouts_db.load(db, session_id)
        plan = self.plan_of(row) if row is not None else None
        if row is None or plan is None or row.state != "open":
            raise BreakoutError("the groups are not open")
        notices = await self.runner.say_everywhere(session, plan, row.rooms, text, text)
        return await self.change(session_id, lambda r: self._add_notices(r, notices))

    async def finish(self, session_id: str) -> BreakoutRound:
        """Bring everyone back now (also what the timer does when time is up)."""
        session = await self._session(session_id)

        def closing(row: BreakoutRound) -> None:
            if row.state != "open":
                raise BreakoutError("the groups are not open")
            row.state = "closing"

        row = await self.change(session_id, closing)
        plan = self.plan_of(row)
        assert plan is not None
        notices = await self.runner.close(session, plan, row.rooms)
        return await self.change(session_id, lambda r: self._add_notices(r, notices))

    # --- meeting events -----------------------------------------------------------------

    async def _from_meeting(self, event: MeetingEvent) -> None:
        session_id = event.session_id
        if isinstance(event, SessionEnded):
            await self._end(session_id)
            return
        async with self.database.session() as db:
            row = await breakouts_db.load(db, session_id)
        if row is None or row.state not in ("planning", "open", "closing"):
            return
        plan = self.plan_of(row)
        if isinstance(event, PersonJoined):
            person = event.person
            if plan is None or person.room or plan.member(person.id) is not None:
                if row.state != "planning":
                    await self._announce(row)  # someone arrived in a group room
                return
            if row.state == "closing":
                return
            member = Member(person.id, person.name, person.kind)
            await self._replan(session_id, lambda p: rules.place_late(p, member))
            if row.state == "open":
                fresh = await self._row(session_id)
                if fresh is not None:
                    await self._place_now(fresh, person.id)
        elif isinstance(event, PersonLeft):
            if row.state == "planning" and plan is not None and plan.member(event.person_id):
                await self._replan(session_id, lambda p: rules.remove(p, event.person_id))
            else:
                await self._announce(row)
        elif isinstance(event, PersonMoved):
            await self._announce(row)
        elif isinstance(event, ChatReceived | KeypadAnswer):
            await self._chosen(row, plan, event)
        elif isinstance(event, GroupRoomTrouble):
            number = self._group_of_room(row, event.room)
            note = notice("group_room_trouble", group=number, detail=event.reason)
            await self.change(session_id, lambda r: self._add_notices(r, [note]))
        elif isinstance(event, GroupRoomJoined):
            await self._announce(row)

    async def _chosen(self, row: BreakoutRound, plan: Plan | None, event: MeetingEvent) -> None:
        if row.state != "planning" or plan is None or plan.method is not Method.CHOOSE:
            return
        numbered = [g for g in plan.groups if not g.main_room]
        if isinstance(event, ChatReceived):
            who, number = event.sender, chosen_group(event.text, len(numbered))
        elif isinstance(event, KeypadAnswer) and event.person_id:
            who = event.person_id
            number = event.answer if 1 <= event.answer <= len(numbered) else None
        else:
            return
        if number is None or plan.member(who) is None:
            return
        try:
            await self._replan(row.session_id, lambda p: rules.choose(p, who, number))
        except BreakoutError as exc:
            log.info("a choice of group was refused: %s", exc)

    async def _replan(self, session_id: str, step: Callable[[Plan], Plan]) -> None:
        def apply(row: BreakoutRound) -> None:
            plan = self.plan_of(row)
            if plan is None:
                return
            try:
                row.plan = plan_to_record(step(plan))
            except PlanError as exc:
                raise BreakoutError(str(exc)) from exc

        await self.change(session_id, apply)

    async def _row(self, session_id: str) -> BreakoutRound | None:
        async with self.database.session() as db:
            return await breakouts_db.load(db, session_id)

    async def _place_now(self, row: BreakoutRound, person_id: str) -> None:
        plan = self.plan_of(row)
        if plan is None:
            return
        session = await self._session(row.session_id)
        notices = await self.runner.place(session, plan, person_id, row.rooms)
        if notices:
            await self.change(row.session_id, lambda r: self._add_notices(r, notices))

    @staticmethod
    def _group_of_room(row: BreakoutRound, room: str) -> int | None:
        for key, value in row.rooms.items():
            if isinstance(value, dict) and room in (
                value.get("room"),
                str(value.get("jid", "")).split("@")[0],
            ):
                return int(key)
        return None

    async def _end(self, session_id: str) -> None:
        row = await self._row(session_id)
        if row is not None and row.state == "open":
            with contextlib.suppress(BreakoutError):
                await self.finish(session_id)
        row = await self._row(session_id)
        if row is not None and row.state == "closing":
            await self.runner.sweep(session_id, row.rooms, force=True)
            await self.change(session_id, lambda r: setattr(r, "state", "closed"))

    # --- the clock ----------------------------------------------------------------------

    async def _tick_loop(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # the timer must outlive one bad round
                log.exception("breakout timer tick failed")
            await asyncio.sleep(TICK_SECONDS)

    async def tick(self) -> None:
        """Warnings due, rounds over, and group rooms to leave after a close."""
        now = self.clock.now()
        async with self.database.session() as db:
            rows = await breakouts_db.open_rounds(db)
        for row in rows:
            if row.state == "closing":
                grace = (now - row.updated_at).total_seconds() > EMPTY_GRACE_SECONDS
                if await self.runner.sweep(row.session_id, row.rooms, force=grace):
                    await self.change(row.session_id, lambda r: setattr(r, "state", "closed"))
                continue
            if row.timer is None:
                continue
            round_ = round_from_record(row.timer)
            if timer.is_over(round_, now):
                with contextlib.suppress(BreakoutError):
                    await self.finish(row.session_id)
                continue
            due = timer.due(round_, now)
            if due is not None:
                await self._warn(row, round_, due)

    async def _warn(self, row: BreakoutRound, round_: timer.Round, threshold: int) -> None:
        marked = timer.mark_warned(round_, threshold)
        await self.change(row.session_id, lambda r: setattr(r, "timer", round_to_record(marked)))
        plan = self.plan_of(row)
        if plan is None:
            return
        session = await self._session(row.session_id)
        english = WARNING_TEXT.get(threshold, WARNING_TEXT[30])
        notices = await self.runner.say_everywhere(
            session, plan, row.rooms, self.translate(english), english
        )
        if notices:
            await self.change(row.session_id, lambda r: self._add_notices(r, notices))
