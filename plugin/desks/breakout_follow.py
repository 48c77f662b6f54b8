"""What a breakout round does by itself: it follows the meeting (late joiners placed by
the plan's rule, choices made in the chat or on the keypad (not while a warm-up runs: the
digits are its answers then), people arriving in group rooms, a room the assistant lost,
the session ending) and the clock (warnings 2 minutes and 30 seconds before the end,
everyone back when time is up, group rooms left once empty), after a restart as well,
since the round and its timer are stored."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from facilitation import breakouts as rules
from facilitation import chat_digits as digits
from facilitation.breakouts import Member, Plan, PlanError, timer
from facilitation.breakouts.choosing import chosen_group
from facilitation.breakouts.record import plan_to_record, round_from_record, round_to_record
from facilitation.meeting_events import (
    ChatReceived,
    GroupRoomJoined,
    GroupRoomTrouble,
    KeypadAnswer,
    MeetingEvent,
    PersonJoined,
    PersonLeft,
    PersonMoved,
    SessionEnded,
)
from plugin.bus import EventBus, Inbox
from plugin.db import breakouts as breakouts_db
from plugin.db.models import BreakoutRound
from plugin.desks import chat_digits
from plugin.desks.breakout_calls import notice
from plugin.desks.breakout_rooms import RoomRunner
from plugin.desks.breakout_store import BreakoutError, BreakoutStore
from plugin.i18n import N_
from plugin.tasks import BackgroundTasks

log = logging.getLogger(__name__)
TICK_SECONDS = 1.0
# After close, group rooms of separate calls stay open this long for stragglers.
EMPTY_GRACE_SECONDS = 120
WARNING_TEXT = {
    120: N_("Two minutes left in your groups."),
    30: N_("30 seconds left. Please finish up."),
}
EVENTS = (
    PersonJoined,
    PersonLeft,
    PersonMoved,
    ChatReceived,
    KeypadAnswer,
    GroupRoomJoined,
    GroupRoomTrouble,
    SessionEnded,
)


class BreakoutFollower:
    def __init__(
        self,
        store: BreakoutStore,
        runner: RoomRunner,
        bus: EventBus,
        finish: Callable[[str], Awaitable[BreakoutRound]],
    ) -> None:
        """`finish` is the desk's "bring everyone back now", for time up and session end."""
        self.store = store
        self.runner = runner
        self._finish = finish
        # Whether this instance runs the session's meeting (always, with one instance).
        self.owns: Callable[[str], bool] = lambda _session_id: True
        self._tasks = BackgroundTasks()
        self._inbox = Inbox("breakout-events", self._from_meeting)
        self._inbox.listen(bus, *EVENTS)

    def open(self) -> None:
        self._inbox.start()
        self._tasks.spawn(self._tick_loop(), "breakout-timer")

    async def close(self) -> None:
        await self._inbox.close()
        await self._tasks.close()

    async def settled(self) -> None:
        await self._inbox.settled()

    async def _from_meeting(self, event: MeetingEvent) -> None:
        session_id = event.session_id
        if isinstance(event, SessionEnded):
            await self._end(session_id)
            return
        async with self.store.database.session() as db:
            row = await breakouts_db.load(db, session_id)
        if row is None or row.state not in ("planning", "open", "closing"):
            return
        plan = self.store.plan_of(row)
        if isinstance(event, PersonJoined):
            person = event.person
            if plan is None or person.room or plan.member(person.id) is not None:
                if row.state != "planning":
                    self.store.announce_soon(row.session_id)  # someone arrived in a group room
                return
            if row.state == "closing":
                return
            member = Member(person.id, person.name, person.kind)
            await self._replan(session_id, lambda p: rules.place_late(p, member))
            if row.state == "open":
                fresh = await self.store.row(session_id)
                if fresh is not None:
                    await self.place_now(fresh, person.id)
        elif isinstance(event, PersonLeft):
            if row.state == "planning" and plan is not None and plan.member(event.person_id):
                await self._replan(session_id, lambda p: rules.remove(p, event.person_id))
            else:
                self.store.announce_soon(row.session_id)
        elif isinstance(event, PersonMoved):
            self.store.announce_soon(row.session_id)
        elif isinstance(event, ChatReceived | KeypadAnswer):
            await self._chosen(row, plan, event)
        elif isinstance(event, GroupRoomTrouble):
            number = self._group_of_room(row, event.room)
            note = notice("group_room_trouble", group=number, detail=event.reason)
            await self.store.change(session_id, lambda r: self.store.add_notices(r, [note]))
        elif isinstance(event, GroupRoomJoined):
            self.store.announce_soon(row.session_id)

    async def _chosen(self, row: BreakoutRound, plan: Plan | None, event: MeetingEvent) -> None:
        if plan is None or not digits.choosing_open(row.state, plan.method):
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
        # A running warm-up reads the same digits: "2" is its vote, never also group 2.
        running = await chat_digits.warmup_running(self.store.database, row.session_id)
        if not digits.picks_count(warmup_running=running, choosing=True):
            log.info("a pick of a group was ignored: a warm-up is running")
            return
        try:
            await self._replan(row.session_id, lambda p: rules.choose(p, who, number))
        except BreakoutError as exc:
            log.info("a choice of group was refused: %s", exc)

    async def _replan(self, session_id: str, step: Callable[[Plan], Plan]) -> None:
        def apply(row: BreakoutRound) -> None:
            plan = self.store.plan_of(row)
            if plan is None:
                return
            try:
                row.plan = plan_to_record(step(plan))
            except PlanError as exc:
                raise BreakoutError(str(exc)) from exc

        await self.store.change(session_id, apply)

    async def place_now(self, row: BreakoutRound, person_id: str) -> None:
        plan = self.store.plan_of(row)
        if plan is None:
            return
        session = await self.store.session(row.session_id)
        notices = await self.runner.place(session, plan, person_id, row.rooms)
        if notices:
            await self.store.change(row.session_id, lambda r: self.store.add_notices(r, notices))

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
        row = await self.store.row(session_id)
        if row is not None and row.state == "open":
            with contextlib.suppress(BreakoutError):
                await self._finish(session_id)
        row = await self.store.row(session_id)
        if row is not None and row.state == "closing":
            await self.runner.sweep(session_id, row.rooms, force=True)
            await self.store.change(session_id, lambda r: setattr(r, "state", "closed"))

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
        now = self.store.clock.now()
        async with self.store.database.session() as db:
            rows = await breakouts_db.open_rounds(db)
        for row in rows:
            if not self.owns(row.session_id):
                continue  # another instance runs this meeting, and its timer
            if row.state == "closing":
                grace = (now - row.updated_at).total_seconds() > EMPTY_GRACE_SECONDS
                if await self.runner.sweep(row.session_id, row.rooms, force=grace):
                    await self.store.change(row.session_id, lambda r: setattr(r, "state", "closed"))
                continue
            if row.timer is None:
                continue
            round_ = round_from_record(row.timer)
            if timer.is_over(round_, now):
                with contextlib.suppress(BreakoutError):
                    await self._finish(row.session_id)
                continue
            due = timer.due(round_, now)
            if due is not None:
                await self._warn(row, round_, due)

    async def _warn(self, row: BreakoutRound, round_: timer.Round, threshold: int) -> None:
        marked = timer.mark_warned(round_, threshold)
        await self.store.change(
            row.session_id, lambda r: setattr(r, "timer", round_to_record(marked))
        )
        plan = self.store.plan_of(row)
        if plan is None:
            return
        session = await self.store.session(row.session_id)
        english = WARNING_TEXT.get(threshold, WARNING_TEXT[30])
        notices = await self.runner.say_everywhere(
            session, plan, row.rooms, self.store.translate(english), english
        )
        if notices:
            await self.store.change(row.session_id, lambda r: self.store.add_notices(r, notices))
