"""The breakout desk: each session's groups, from the plan to everyone back.

The plan's rules are `facilitation.breakouts`. Here is what facilitators ask for: a plan
made from who is in the meeting (a preview), changed, opened, broadcast to, extended and
closed. The round is kept by `BreakoutStore` (stored, under the session's lock, shown to
consoles), carried out by `RoomRunner` in Jitsi and on the phone line, and followed by
`BreakoutFollower` (the meeting's events and the round's clock).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from facilitation import breakouts as rules
from facilitation.breakouts import Member, Method, Mode, PlanError, Request, timer
from facilitation.breakouts.record import plan_to_record, round_from_record, round_to_record
from facilitation.chat_digits import Starting
from facilitation.meeting_events import PersonKind
from plugin.bus import EventBus
from plugin.clock import Clock
from plugin.db import breakouts as breakouts_db
from plugin.db.engine import Database
from plugin.db.models import BreakoutRound
from plugin.desks import chat_digits
from plugin.desks.breakout_calls import notice
from plugin.desks.breakout_follow import BreakoutFollower
from plugin.desks.breakout_rooms import RoomRunner
from plugin.desks.breakout_store import BreakoutError, BreakoutStore

__all__ = ["BreakoutDesk", "BreakoutError"]
log = logging.getLogger(__name__)
MAX_BROADCAST = 500
Translate = Callable[[str], str]


class BreakoutDesk:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        bus: EventBus,
        runner: RoomRunner,
        translate: Translate,
    ) -> None:
        self.store = BreakoutStore(database, clock, bus, translate)
        self.runner = runner
        self.clock = clock
        self.translate = translate
        self.follower = BreakoutFollower(self.store, runner, bus, self.finish)

    def open(self) -> None:
        self.follower.open()

    async def close(self) -> None:
        await self.follower.close()
        await self.runner.stop_tasks()
        await self.store.close()

    async def settled(self) -> None:
        await self.follower.settled()

    async def tick(self) -> None:
        await self.follower.tick()

    async def view(self, session_id: str) -> dict[str, Any]:
        return await self.store.view(session_id)

    # --- facilitators -------------------------------------------------------------------

    async def make_plan(
        self, session_id: str, request: Request, leaders: frozenset[str] | None = None
    ) -> BreakoutRound:
        """A fresh plan from everyone in the main room now (a preview: nothing happens in
        the meeting until the facilitator opens the groups). With People choose, their picks
        count from now on, so not while a warm-up runs (it reads the same digits)."""
        if request.method is Method.CHOOSE:
            refused = await chat_digits.refusal(self.store.database, session_id, Starting.CHOOSING)
            if refused is not None:
                raise BreakoutError(self.translate(refused))
        people = await self.store.present(session_id)
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

        return await self.store.change(session_id, store)

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
            plan = self.store.plan_of(row)
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

        row = await self.store.change(session_id, step)
        if row.state == "open" and moved:
            await self.follower.place_now(row, moved[0])
        return row

    async def discard(self, session_id: str) -> BreakoutRound:
        def step(row: BreakoutRound) -> None:
            if row.state == "open":
                raise BreakoutError("the groups are open; bring everyone back first")
            row.state = "closed"
            row.plan = {}
            row.notices = []

        return await self.store.change(session_id, step)

    async def start(self, session_id: str, minutes: int) -> BreakoutRound:
        """Open the groups for `minutes`: the plan is carried out in the meeting."""
        session = await self.store.session(session_id)
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

        row = await self.store.change(session_id, opening)
        plan = self.store.plan_of(row)
        assert plan is not None
        done = await self.runner.open(session, plan)
        # Jitsi made no room (the assistant is not a moderator, or not there): nobody moved,
        # so the plan is still a plan, with what to do about it.
        nothing = plan.mode is Mode.JITSI and not any(
            isinstance(room, dict) and room.get("id") for room in done.rooms.values()
        )
        # Back to a plan where people choose: their picks wait while a warm-up runs (one
        # may have started while the groups were opening).
        paused = (
            nothing
            and plan.method is Method.CHOOSE
            and await chat_digits.warmup_running(self.store.database, session_id)
        )
        extra = [notice("choosing_paused")] if paused else []

        def opened(row: BreakoutRound) -> None:
            row.rooms = {**row.rooms, **done.rooms}
            self.store.add_notices(row, [*done.notices, *extra])
            if nothing and row.state == "open":
                row.state, row.timer, row.rooms = "planning", None, {}

        return await self.store.change(session_id, opened)

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

        return await self.store.change(session_id, step)

    async def broadcast(self, session_id: str, text: str) -> BreakoutRound:
        text = " ".join(text.split())
        if not text or len(text) > MAX_BROADCAST:
            raise BreakoutError(f"a message needs 1 to {MAX_BROADCAST} characters")
        session = await self.store.session(session_id)
        async with self.store.database.session() as db:
            row = await breakouts_db.load(db, session_id)
        plan = self.store.plan_of(row) if row is not None else None
        if row is None or plan is None or row.state != "open":
            raise BreakoutError("the groups are not open")
        # The facilitator's own words: spoken as typed, there is nothing to translate.
        notices = await self.runner.say_everywhere(session, plan, row.rooms, text, None)
        return await self.store.change(session_id, lambda r: self.store.add_notices(r, notices))

    async def finish(self, session_id: str) -> BreakoutRound:
        """Bring everyone back now (also what the timer does when time is up)."""
        session = await self.store.session(session_id)

        def closing(row: BreakoutRound) -> None:
            if row.state != "open":
                raise BreakoutError("the groups are not open")
            row.state = "closing"

        row = await self.store.change(session_id, closing)
        plan = self.store.plan_of(row)
        assert plan is not None
        notices = await self.runner.close(session, plan, row.rooms)
        return await self.store.change(session_id, lambda r: self.store.add_notices(r, notices))
