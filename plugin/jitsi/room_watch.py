"""What the bot sees others do in its meeting, as typed meeting events.

Members' presence goes through the roster; chat and json-messages (breakout updates, polls)
through `plugin.jitsi.events`. Two grace periods keep an outage or a move from counting as
leaving: after a reconnect, people not seen again yet are dropped only when `rejoin_grace`
ends; someone who leaves the main room while breakout rooms exist has `move_grace` to show
up in one. The bot's own presence and the connection are `plugin.jitsi.bot`'s business.
The bot's config is passed to each call, so a changed config counts at once.
"""

from __future__ import annotations

import asyncio

from facilitation.meeting_events import BreakoutRoomsUpdated, MeetingEvent
from plugin.clock import Clock
from plugin.jitsi.bot_types import BotConfig, Emit
from plugin.jitsi.events import RoomView, message_events
from plugin.jitsi.jid import RoomAddress
from plugin.jitsi.roster import Roster
from plugin.jitsi.stanzas import ChatMessage, JsonMessage, Presence


class RoomWatch:
    def __init__(
        self, session_id: str, address: RoomAddress, roster: Roster, emit: Emit, clock: Clock
    ) -> None:
        self.session_id = session_id
        self.address = address
        self.roster = roster
        self._emit = emit
        self.clock = clock
        self._grace: asyncio.TimerHandle | None = None
        self._move_grace: asyncio.TimerHandle | None = None

    def emit_all(self, events: list[MeetingEvent]) -> None:
        for event in events:
            self._emit(event)

    def on_presence(self, presence: Presence, config: BotConfig) -> None:
        """Someone else's presence in the main room."""
        self.emit_all(self.roster.apply(presence, self.clock.now_ms()))
        self._hold_leaves(config)

    def on_message(
        self, message: ChatMessage | JsonMessage, own_nick: str, config: BotConfig
    ) -> None:
        view = RoomView(
            self.session_id,
            self.address.jid,
            own_nick,
            config.breakout,
            config.polls,
            self.roster.members,
        )
        for event in message_events(view, message):
            self._emit(event)
            if isinstance(event, BreakoutRoomsUpdated):
                self.emit_all(self.roster.apply_rooms(event.rooms))
                self._hold_leaves(config)

    # --- grace periods ---------------------------------------------------------------

    def hold_unconfirmed(self, config: BotConfig) -> None:
        """Back after an outage: people not seen again yet stay until the grace ends."""
        if self.roster.unconfirmed:
            loop = asyncio.get_running_loop()
            self._grace = loop.call_later(config.rejoin_grace, self._end_grace)

    def cancel_grace(self) -> None:
        for timer in (self._grace, self._move_grace):
            if timer is not None:
                timer.cancel()
        self._grace = self._move_grace = None

    def _end_grace(self) -> None:
        self._grace = None
        self.emit_all(self.roster.drop_unconfirmed())

    def _end_move_grace(self) -> None:
        self._move_grace = None
        self.emit_all(self.roster.expire_leaving())

    def _hold_leaves(self, config: BotConfig) -> None:
        """Someone left while breakout rooms exist: give the component's update time to
        place them before they count as gone."""
        if self.roster.leaving and self._move_grace is None:
            loop = asyncio.get_running_loop()
            self._move_grace = loop.call_later(config.move_grace, self._end_move_grace)
