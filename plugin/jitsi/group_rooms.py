"""The assistant in each breakout group's own Jitsi room ("separate calls").

A group room is an ordinary meeting, so the assistant joins it as it joins the main one,
and hands, the queue and the chat work there. What its bot sees is told to the rest of
the service as the session's events, with each person's `room` set to the group room's
name: a fresh view becomes `GroupRoomJoined` plus one `PersonJoined` each (never
`AssistantJoined`, which would tell the desks that the main room had emptied), and its
troubles become `GroupRoomTrouble`. Jitsi's "whoever came first is moderator" rule would
give the assistant the seat in a room it enters first, so it hands the seat on to the
first person on the web who arrives.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from facilitation.meeting_events import (
    AssistantJoined,
    AssistantRestored,
    AssistantRoleChanged,
    ChatReceived,
    ConnectionInterrupted,
    GroupRoomJoined,
    GroupRoomTrouble,
    HandChanged,
    MeetingEvent,
    PersonJoined,
    PersonKind,
    PersonLeft,
    PersonUpdated,
)
from plugin.bus import EventBus
from plugin.clock import Clock
from plugin.jitsi.bot import MeetingBot
from plugin.jitsi.bot_types import BotConfig, BotState, NotConnected
from plugin.jitsi.commands import CommandRefused, grant_moderator
from plugin.jitsi.jid import RoomAddress
from plugin.settings import Settings
from plugin.tasks import BackgroundTasks

if TYPE_CHECKING:
    from plugin.db.models import MeetingSession

log = logging.getLogger(__name__)


def group_room_name(main_room: str, number: int) -> str:
    """The Jitsi room of group `number`: `<room>-group-<n>` (Jitsi room names are
    lower case; the main room's name is already a valid one)."""
    return f"{main_room}-group-{number}"[:200]


class GroupRooms:
    def __init__(
        self,
        settings: Settings,
        bus: EventBus,
        clock: Clock,
        config_for: Callable[[MeetingSession, str | None], BotConfig],
        main_bot: Callable[[str], MeetingBot | None],
    ) -> None:
        """The connector's own settings, bus and clock; `config_for(session, room)` makes a
        bot's settings and `main_bot(session_id)` finds the session's bot in its own room."""
        self.settings = settings
        self.bus = bus
        self.clock = clock
        self.config_for = config_for
        self.main_bot = main_bot
        self._bots: dict[tuple[str, str], MeetingBot] = {}
        self._quiet: set[tuple[str, str]] = set()
        self._seat_given: set[tuple[str, str]] = set()
        self._tasks = BackgroundTasks()

    def start(
        self, session: MeetingSession, room: str, *, breakout_muc: str | None = None
    ) -> MeetingBot | None:
        """Send a bot into the group room (once; a second call returns the first).

        With `breakout_muc`, the room is one of Jitsi's breakout rooms (`room` is its
        node): the bot is there only to speak in its chat, since who is there comes from
        the breakout component, so it tells nothing but its own state. Its nick is the
        main bot's too, so the component's lists never show it as a person."""
        if not self.settings.connector_enabled:
            return None
        key = (session.id, room)
        existing = self._bots.get(key)
        if existing is not None:
            return existing
        muc = breakout_muc or self.settings.muc_domain
        address = RoomAddress(room, session.tenant if breakout_muc is None else None, muc)
        config = self.config_for(session, None if breakout_muc else room)
        bot = MeetingBot(
            session.id, address, config, lambda event: self._relay(key, event), self.clock
        )
        if breakout_muc is not None:
            self._quiet.add(key)
            main = self.main_bot(session.id)
            if main is not None:
                main.roster.own_nicks.add(bot.nick)
                bot.nick_watchers.append(main.roster.own_nicks.add)
        self._bots[key] = bot
        self._tasks.spawn(bot.run(), f"group-bot-{session.id}-{room}")
        return bot

    def bot(self, session_id: str, room: str) -> MeetingBot | None:
        return self._bots.get((session_id, room))

    def rooms(self, session_id: str) -> list[str]:
        return [room for (sid, room) in self._bots if sid == session_id]

    def state(self, session_id: str, room: str) -> str:
        bot = self._bots.get((session_id, room))
        return bot.state.value if bot is not None else BotState.STOPPED.value

    async def stop(self, session_id: str, room: str) -> None:
        """Leave the group room; everyone still listed there is told as having left."""
        key = (session_id, room)
        bot = self._bots.pop(key, None)
        self._seat_given.discard(key)
        quiet = key in self._quiet
        self._quiet.discard(key)
        if bot is None:
            return
        people = [] if quiet else bot.roster.people()
        await bot.stop()
        for person in people:
            self.bus.publish(PersonLeft(session_id, person.id))

    async def stop_all(self, session_id: str) -> None:
        for room in self.rooms(session_id):
            await self.stop(session_id, room)

    async def close(self) -> None:
        for session_id, room in list(self._bots):
            await self.stop(session_id, room)
        await self._tasks.close()

    def _relay(self, key: tuple[str, str], event: MeetingEvent) -> None:
        for translated in self._translate(key, event):
            self.bus.publish(translated)

    def _translate(self, key: tuple[str, str], event: MeetingEvent) -> list[MeetingEvent]:
        session_id, room = key
        if key in self._quiet:
            match event:
                case AssistantJoined(role=role) | AssistantRestored(role=role):
                    self._seat_to_first(key)
                    return [GroupRoomJoined(session_id, room, role)]
                case AssistantRoleChanged(role=role):
                    self._seat_to_first(key)
                    return [GroupRoomJoined(session_id, room, role)]
                case ConnectionInterrupted(reason=reason):
                    return [GroupRoomTrouble(session_id, room, reason)]
                case PersonJoined(person=person):
                    self._hand_seat_on(key, person.id, person.kind)
            return []
        match event:
            case (
                AssistantJoined(role=role, people=people)
                | AssistantRestored(role=role, people=people)
            ):
                out: list[MeetingEvent] = [GroupRoomJoined(session_id, room, role)]
                for person in people:
                    out.append(PersonJoined(session_id, replace(person, room=room)))
                    self._hand_seat_on(key, person.id, person.kind)
                return out
            case PersonJoined(person=person):
                self._hand_seat_on(key, person.id, person.kind)
                return [PersonJoined(session_id, replace(person, room=room))]
            case PersonUpdated(person=person, changed=changed):
                return [PersonUpdated(session_id, replace(person, room=room), changed)]
            case PersonLeft() | HandChanged() | ChatReceived():
                return [event]
            case AssistantRoleChanged(role=role):
                self._seat_to_first(key)
                return [GroupRoomJoined(session_id, room, role)]
            case ConnectionInterrupted(reason=reason):
                return [GroupRoomTrouble(session_id, room, reason)]
        return []  # moves, breakout updates and polls belong to the main room

    def _seat_to_first(self, key: tuple[str, str]) -> None:
        bot = self._bots.get(key)
        if bot is not None:
            for person in sorted(bot.roster.people(), key=lambda p: p.joined_at_ms):
                self._hand_seat_on(key, person.id, person.kind)

    def _hand_seat_on(self, key: tuple[str, str], person_id: str, kind: PersonKind) -> None:
        bot = self._bots.get(key)
        if bot is None or kind is not PersonKind.WEB or key in self._seat_given:
            return
        if bot.role != "moderator":
            return
        self._seat_given.add(key)
        self._tasks.spawn(self._grant(bot, person_id), f"group-seat-{key[1]}")

    async def _grant(self, bot: MeetingBot, person_id: str) -> None:
        try:
            await grant_moderator(bot, person_id)
        except (CommandRefused, NotConnected) as exc:
            log.info("group room %s: could not hand on the seat: %s", bot.address.room, exc)
