"""What a breakout round does in Jitsi and on the phone line, for both ways of running
groups. The desk decides (and stores) first; this carries it out, best effort, and
returns a notice for each thing that did not work, for the console to show with what to
do. Nothing here ever leaves a caller in silence: a call that could not be moved is still
in the main meeting, and is listed for the facilitator.

- Jitsi's breakout rooms: rooms made through the breakout component and web participants
  moved by it; phone callers stay in the main room as their own group. The assistant
  joins each room only to speak in its chat (warnings, broadcasts).
- Separate calls: each group is its own Jitsi room, `<room>-group-<n>`, which the assistant
  joins; web participants get their group's link in private chat, and phone calls are
  moved by the phone line (a signed push to the PBX, or the provider's live-call update).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from facilitation.breakouts import Group, Mode, Plan
from facilitation.meeting_events import PersonKind
from facilitation.phone.replies import prompt_id
from plugin.clock import Clock
from plugin.db import breakouts as breakouts_db
from plugin.db import phone as phone_db
from plugin.db.engine import Database
from plugin.db.models import MeetingSession, PhoneCall
from plugin.desks.breakout_calls import CallMover, Notice, notice
from plugin.desks.breakout_jitsi import everyone_arrived, rooms_made
from plugin.desks.caller_language import CallerLanguages, speak_to_each
from plugin.i18n import N_
from plugin.jitsi import commands
from plugin.jitsi.bot import MeetingBot
from plugin.jitsi.bot_types import NotConnected
from plugin.jitsi.connector import Connector
from plugin.jitsi.group_rooms import group_room_name
from plugin.phoneline import PhoneLine, Spoken
from plugin.settings import Settings
from plugin.tasks import BackgroundTasks

log = logging.getLogger(__name__)
ROOM_WAIT_SECONDS = 5.0
FOLLOW_WAIT_SECONDS = 5.0
READY_WAIT_SECONDS = 5.0  # a warning waits this long for the assistant to be in a room  # the assistant follows into breakout rooms at the latest then
Translate = Callable[[str], str]


def group_label(group: Group, translate: Translate) -> str:
    if group.name:
        return group.name
    if group.main_room:
        return translate(N_("Phone group (main room)"))
    return translate(N_("Group %(number)s")) % {"number": group.number}


@dataclass
class Done:
    rooms: dict[str, object]
    notices: list[Notice]


class RoomRunner:
    def __init__(
        self,
        settings: Settings,
        database: Database,
        clock: Clock,
        connector: Connector,
        line: PhoneLine,
        translate: Translate,
        voices: CallerLanguages | None = None,
    ) -> None:
        self.settings = settings
        self.database = database
        self.clock = clock
        self.connector = connector
        self.line = line
        self.translate = translate
        self.voices = voices or CallerLanguages(translate)
        self.calls = CallMover(settings, database, clock, line, self.voices)
        self._tasks = BackgroundTasks()

    async def stop_tasks(self) -> None:
        await self._tasks.close()

    # --- helpers ------------------------------------------------------------------------

    def _name(self, plan: Plan, person_id: str) -> str:
        member = plan.member(person_id)
        return (member.name if member else "") or self.translate(N_("Someone"))

    def _main(self, session_id: str) -> MeetingBot:
        bot = self.connector.bot(session_id)
        if bot is None or not bot.ready:
            raise NotConnected("the assistant is not in the meeting right now")
        return bot

    def group_link(self, session: MeetingSession, number: int) -> str:
        return f"{self.settings.base_url}/join/{session.join_code}/groups/{number}"

    def main_link(self, session: MeetingSession) -> str:
        return f"{self.settings.base_url}/join/{session.join_code}"

    # --- open ---------------------------------------------------------------------------

    async def open(self, session: MeetingSession, plan: Plan) -> Done:
        if plan.mode is Mode.JITSI:
            return await self._open_breakout_rooms(session, plan)
        return await self._open_calls(session, plan)

    async def _open_breakout_rooms(self, session: MeetingSession, plan: Plan) -> Done:
        notices: list[Notice] = []
        rooms: dict[str, object] = {}
        try:
            bot = self._main(session.id)
            for group in plan.groups:
                if not group.main_room:
                    await commands.add_breakout_room(bot, group_label(group, self.translate))
        except commands.CommandRefused:
            return Done(rooms, [notice("not_moderator")])
        except NotConnected:
            return Done(rooms, [notice("no_assistant")])
        wanted = {
            group_label(group, self.translate): group.number
            for group in plan.groups
            if not group.main_room
        }
        made = await rooms_made(bot, wanted, ROOM_WAIT_SECONDS)
        for group in plan.groups:
            if group.main_room:
                rooms[str(group.number)] = {"room": "", "jid": bot.address.jid}
                continue
            found = made.get(group.number)
            if found is None:
                notices.append(notice("room_not_made", group=group.number))
                continue
            rooms[str(group.number)] = {"room": found[1], "jid": found[0], "id": found[2]}
            for person_id in group.members:
                notices.extend(await self._jitsi_move(bot, plan, person_id, group, found[2]))
        # People first; then the assistant follows into each room, for its chat. Each of
        # its joins is news the component tells everyone in the meeting, so it waits until
        # the people have arrived (or a few seconds) instead of slowing their moves.
        nodes = [node for _number, node in _room_nodes(rooms)]

        async def follow() -> None:
            await everyone_arrived(bot, plan, FOLLOW_WAIT_SECONDS)
            if self.connector.bot(session.id) is not bot:
                return  # the meeting ended, or another instance runs it now
            for node in nodes:
                self.connector.groups.start(session, node, breakout_muc=self.settings.breakout)

        self._tasks.spawn(follow(), f"breakout-follow-{session.id}")
        return Done(rooms, notices)

    async def _jitsi_move(
        self, bot: MeetingBot, plan: Plan, person_id: str, group: Group, room_id: str
    ) -> list[Notice]:
        member = plan.member(person_id)
        if member is None or member.kind is PersonKind.PHONE:
            return []
        try:
            await commands.send_participant_to_room(bot, person_id, room_id)
        except (commands.CommandRefused, NotConnected) as exc:
            name = self._name(plan, person_id)
            return [notice("move_refused", group=group.number, person=name, detail=str(exc))]
        return []

    async def _open_calls(self, session: MeetingSession, plan: Plan) -> Done:
        notices: list[Notice] = []
        rooms: dict[str, object] = {}
        calls = await self.calls.by_person(session.id)
        for group in plan.groups:
            room = group_room_name(session.room, group.number)
            rooms[str(group.number)] = {"room": room, "jid": self.calls.conference(session, room)}
            self.connector.groups.start(session, room)
        for group in plan.groups:
            for person_id in group.members:
                notices.extend(await self._send_to_call(session, plan, person_id, group, calls))
        return Done(rooms, notices)

    async def _send_to_call(
        self,
        session: MeetingSession,
        plan: Plan,
        person_id: str,
        group: Group,
        calls: dict[str, PhoneCall],
    ) -> list[Notice]:
        member = plan.member(person_id)
        if member is None:
            return []
        name = self._name(plan, person_id)
        label = group_label(group, self.translate)
        room = group_room_name(session.room, group.number)
        if member.kind is PersonKind.WEB:
            text = self.translate(N_("You are in %(group)s. Join your group here: %(link)s")) % {
                "group": label,
                "link": self.group_link(session, group.number),
            }
            try:
                await commands.send_chat_message(self._main(session.id), text, to=person_id)
            except (commands.CommandRefused, NotConnected) as exc:
                return [notice("link_not_sent", group=group.number, person=name, detail=str(exc))]
            return []
        call = calls.get(person_id)
        if call is None:
            return [notice("call_unknown", group=group.number, person=name)]
        return await self.calls.move(session, call, room, group.number, name, to_group=label)

    # --- while open ---------------------------------------------------------------------

    async def place(
        self, session: MeetingSession, plan: Plan, person_id: str, rooms: dict[str, object]
    ) -> list[Notice]:
        """Someone placed (late, or moved by the facilitator) while the groups are open."""
        group = plan.group_of(person_id)
        if group is None:
            return []
        if plan.mode is Mode.CALLS:
            return await self._send_to_call(
                session, plan, person_id, group, await self.calls.by_person(session.id)
            )
        room = rooms.get(str(group.number))
        try:
            bot = self._main(session.id)
        except NotConnected:
            return [notice("no_assistant")]
        if group.main_room or not isinstance(room, dict):
            return await self._jitsi_move(bot, plan, person_id, group, bot.address.room)
        return await self._jitsi_move(bot, plan, person_id, group, str(room.get("id", "")))

    async def say_everywhere(
        self,
        session: MeetingSession,
        plan: Plan,
        rooms: dict[str, object],
        text: str,
        english: str | None,
    ) -> list[Notice]:
        """A message in the main room's chat and every group room's chat (`text`, in the
        service's language), and spoken to each phone caller whose line can play one: the
        N_-marked `english` in the call's own language, or, for a facilitator's own words
        (`english` None), `text` as typed."""
        notices: list[Notice] = []
        targets: list[tuple[int | None, MeetingBot | None]] = [
            (None, self.connector.bot(session.id))
        ]
        for group_number, room in _room_nodes(rooms):
            targets.append((group_number, self.connector.groups.bot(session.id, room)))
        for number, bot in targets:
            try:
                if bot is not None and not bot.ready:  # joining, or back in a moment
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(bot.wait_ready(), READY_WAIT_SECONDS)
                if bot is None or not bot.ready:
                    raise NotConnected("the assistant is not in that room right now")
                await commands.send_chat_message(bot, text)
            except (commands.CommandRefused, NotConnected) as exc:
                notices.append(notice("chat_not_sent", group=number, detail=str(exc)))
        async with self.database.session() as db:
            live = await phone_db.calls_in_meeting(db, session.id)

        def words(call: PhoneCall) -> list[Spoken]:
            if english is None:
                return [Spoken(text, prompt_id(text))]
            return [self.voices.say(call, english)]

        for call, problem in await speak_to_each(self.line, live, words):
            name = "…" + call.caller_tail if call.caller_tail else self.translate(N_("Someone"))
            notices.append(notice("not_spoken", person=name, detail=str(problem)))
        return notices

    # --- close --------------------------------------------------------------------------

    async def close(
        self, session: MeetingSession, plan: Plan, rooms: dict[str, object]
    ) -> list[Notice]:
        """Everyone back to the main room, the same way they went."""
        if plan.mode is Mode.JITSI:
            for _number, node in _room_nodes(rooms):
                await self.connector.groups.stop(session.id, node)
            try:
                await commands.close_breakout_rooms(self._main(session.id))
            except commands.CommandRefused:
                return [notice("not_moderator")]
            except NotConnected:
                return [notice("no_assistant")]
            return []
        notices: list[Notice] = []
        text = self.translate(N_("Time is up. Please come back to the main meeting: %(link)s")) % {
            "link": self.main_link(session)
        }
        for number, room in _room_nodes(rooms):
            bot = self.connector.groups.bot(session.id, room)
            if bot is None or not bot.ready:
                continue
            try:
                await commands.send_chat_message(bot, text)
            except (commands.CommandRefused, NotConnected) as exc:
                notices.append(notice("chat_not_sent", group=number, detail=str(exc)))
        async with self.database.session() as db:
            moved = await breakouts_db.moved_calls(db, session.id)
        for call in moved:
            name = "…" + call.caller_tail if call.caller_tail else self.translate(N_("Someone"))
            notices.extend(await self.calls.move(session, call, None, None, name, to_group=None))
        return notices

    async def sweep(self, session_id: str, rooms: dict[str, object], *, force: bool) -> bool:
        """After close: leave each group room once nobody is left in it (or at the end of
        the grace period). True when every group room is left."""
        left_all = True
        for _number, room in _room_nodes(rooms):
            bot = self.connector.groups.bot(session_id, room)
            if bot is None:
                continue
            if force or not bot.roster.people():
                await self.connector.groups.stop(session_id, room)
            else:
                left_all = False
        return left_all


def _room_nodes(rooms: dict[str, object]) -> Iterable[tuple[int, str]]:
    """(group number, the room's node) for every group with a room of its own."""
    for key, value in sorted(rooms.items()):
        if not isinstance(value, dict) or not key.isdigit():
            continue
        jid = str(value.get("jid", ""))
        room = str(value.get("room", ""))
        if not room:
            continue  # the phone group in the main room
        yield int(key), jid.split("@", 1)[0] if value.get("id") else room
