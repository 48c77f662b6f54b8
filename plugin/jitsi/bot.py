"""The bot in one meeting: joins through the focus, keeps its place, survives outages.

What it sees of others goes out through `emit` as typed meeting events (`RoomWatch`);
commands (chat, lower hand, polls, breakout rooms) live in `plugin.jitsi.commands` and use
`send`. Its config, states and errors are in `plugin.jitsi.bot_types`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable

from facilitation.meeting_events import (
    AssistantJoined,
    AssistantLeft,
    AssistantRestored,
    AssistantRoleChanged,
    BreakoutRoom,
    ConnectionInterrupted,
    MeetingEvent,
)
from plugin.clock import Clock
from plugin.jitsi import iq_answers, stanzas
from plugin.jitsi.bot_types import BotConfig, BotState, Emit, JoinRefused, NotConnected
from plugin.jitsi.focus import ask_focus
from plugin.jitsi.jid import RoomAddress, new_nickname, nickname_for
from plugin.jitsi.polls import PollTracker
from plugin.jitsi.room_watch import RoomWatch
from plugin.jitsi.roster import Roster
from plugin.jitsi.sasl import LoginRefused
from plugin.jitsi.stanzas import Iq, Parsed, Presence
from plugin.jitsi.xmpp import ConnectionLost, IqFailed, XmppStream

log = logging.getLogger(__name__)
JOIN_TIMEOUT = 30.0
# A connection must last this long before the backoff starts again from one second, so a
# room that throws the bot out at once cannot make it rejoin every second.
STABLE_SECONDS = 30.0
KICKED = 307
RECOVERABLE = (ConnectionLost, JoinRefused, IqFailed, TimeoutError)


def backoff_delay(attempt: int, cap: float, rng: random.Random) -> float:
    """Jittered exponential backoff: 1, 2, 4 ... seconds, capped, each scaled by 0.5-1.0."""
    return min(cap, 2.0 ** min(attempt, 16)) * rng.uniform(0.5, 1.0)


class MeetingBot:
    def __init__(
        self, session_id: str, address: RoomAddress, config: BotConfig, emit: Emit, clock: Clock
    ) -> None:
        self.session_id = session_id
        self.address = address
        self.config = config
        self._emit = emit
        self.clock = clock
        self.nick = new_nickname()  # until connected: see _join
        self.roster = Roster(self.nick, session_id, config.jigasi_domains)
        # Told each nickname the bot takes (a group room's bot tells the main room's roster).
        self.nick_watchers: list[Callable[[str], None]] = []
        self.polls = PollTracker(config.polls_style, config.polls, address.jid)
        self.watch = RoomWatch(session_id, address, self.roster, self.emit, clock)
        self.state = BotState.STARTING
        self.role = ""
        self.reconnects = 0
        self.stream: XmppStream | None = None
        self._joined: asyncio.Future[Presence] | None = None
        self._stopping = False
        self._rng = random.Random()  # noqa: S311 - jitter, not a secret
        self._ready = asyncio.Event()
        self._connected_at = 0.0
        self._removed = False
        # The server's reason while Jitsi refuses the assistant's login (for the console).
        self.login_refused: str | None = None

    def emit(self, event: MeetingEvent) -> None:
        if not self._stopping:  # stanzas still buffered after stop() tell nobody anything
            self._emit(event)

    @property
    def breakout_rooms(self) -> dict[str, BreakoutRoom]:
        """The component's latest rooms by id (for commands)."""
        return {room.id: room for room in self.roster.breakout_rooms}

    # --- lifetime --------------------------------------------------------------------

    async def run(self) -> None:
        """Stay in the meeting until stopped, reconnecting with backoff after any outage."""
        loop = asyncio.get_running_loop()
        attempt = refusals = 0
        while not self._stopping and not self._removed:
            try:
                await self._session()
            except LoginRefused as exc:
                self.login_refused = exc.condition
                refusals += 1
                if self._stopping or not await self._after_refusal(exc, refusals):
                    break
                continue
            except RECOVERABLE as exc:
                if not self._stopping:
                    self._interrupted(str(exc) or type(exc).__name__)
            except Exception as exc:
                # A bug must not leave a meeting without its assistant: log, back off, retry.
                log.exception("session %s: the meeting bot failed", self.session_id)
                self._interrupted(f"internal error: {type(exc).__name__}")
            refusals = 0
            if self._ready.is_set() and loop.time() - self._connected_at >= STABLE_SECONDS:
                attempt = 0  # a good connection: the next outage starts the backoff afresh
            self._ready.clear()
            if self._stopping or self._removed:
                break
            delay = backoff_delay(attempt, self.config.backoff_cap, self._rng)
            attempt += 1
            log.info("session %s: reconnecting in %.1f s", self.session_id, delay)
            await asyncio.sleep(delay)
        self.state = BotState.REMOVED if self._removed and not self._stopping else BotState.STOPPED

    async def _after_refusal(self, refused: LoginRefused, refusals: int) -> bool:
        """Wrong account details do not fix themselves: say so, wait long, and stop after
        a few tries instead of hammering the server. True to try again."""
        self._interrupted(str(refused))
        if refusals >= self.config.login_attempts:
            log.error("session %s: %s; the assistant stays out", self.session_id, refused)
            return False
        delay = self.config.login_retry_seconds * self._rng.uniform(0.5, 1.0)
        log.warning("session %s: %s; trying again in %.0f s", self.session_id, refused, delay)
        await asyncio.sleep(delay)
        return True

    async def wait_ready(self) -> None:
        await self._ready.wait()

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    async def stop(self) -> None:
        """Leave the meeting. The caller also cancels run(), which may be mid-connect."""
        if self._stopping:
            return
        was = self.state
        self._stopping = True
        self.watch.cancel_grace()
        stream = self.stream
        if stream is not None:
            with contextlib.suppress(ConnectionLost, OSError):
                await stream.send(stanzas.leave_presence(self.address.occupant(self.nick)))
            await stream.close()
        if was is not BotState.STOPPED:
            self._emit(AssistantLeft(self.session_id, self.address.room))
        self.state = BotState.STOPPED

    def _interrupted(self, reason: str) -> None:
        log.warning("session %s: connection to Jitsi interrupted: %s", self.session_id, reason)
        if self.state is not BotState.INTERRUPTED:
            self.state = BotState.INTERRUPTED
            self.emit(ConnectionInterrupted(self.session_id, reason[:200]))

    async def _session(self) -> None:
        """One connection's life: connect, join, then serve until it ends (always raises)."""
        stream = XmppStream(
            self.config.make_url(),
            self.config.domain,
            self._on_stanza,
            ping_seconds=self.config.ping_seconds,
            ping_timeout=self.config.ping_timeout,
            credentials=self.config.credentials,
        )
        self.stream = stream
        await stream.connect()
        if self._stopping:  # stopped while connecting: never join
            await stream.close()
            return
        log.debug("session %s: connected as %s", self.session_id, stream.jid)
        try:
            async with asyncio.TaskGroup() as group:
                # Replies to the focus and join requests arrive through serve().
                group.create_task(stream.serve())
                await self._join(stream)
        except ExceptionGroup as failures:
            first = failures.exceptions[0]
            if isinstance(first, RECOVERABLE):
                raise first from None
            raise

    async def _join(self, stream: XmppStream) -> None:
        self._use_nick(nickname_for(stream.jid))
        if self.config.focus:
            await ask_focus(stream, self.config.focus, self.address.jid, self.nick, self.session_id)
            log.debug("session %s: the focus says the room is ready", self.session_id)
        for _ in range(3):
            self._joined = asyncio.get_running_loop().create_future()
            self.roster.begin_rejoin(self.nick)
            await stream.send(
                stanzas.join_presence(self.address.occupant(self.nick), self.config.display_name)
            )
            presence = await asyncio.wait_for(self._joined, JOIN_TIMEOUT)
            if presence.error == "conflict":
                # Our old occupant from a dropped connection may still hold the nickname.
                self._use_nick(new_nickname())
                continue
            if presence.error:
                raise JoinRefused(f"the room refused the assistant: {presence.error}")
            self._on_joined(presence)
            return
        raise JoinRefused("no free nickname after three tries")

    def _use_nick(self, nick: str) -> None:
        self.nick = nick
        for told in self.nick_watchers:
            told(nick)

    def _on_joined(self, presence: Presence) -> None:
        self.role = presence.role
        was_interrupted = self.state is BotState.INTERRUPTED
        self.state = BotState.CONNECTED
        self.login_refused = None
        loop = asyncio.get_running_loop()
        self._connected_at = loop.time()
        self._ready.set()
        self.watch.cancel_grace()
        jid = str(self.stream.jid) if self.stream is not None and self.stream.jid else ""
        if was_interrupted:
            self.reconnects += 1
            self.emit(AssistantRestored(self.session_id, jid, self.role, self.roster.people()))
            self.watch.hold_unconfirmed(self.config)
        else:
            # Everyone already in the room was announced before our own presence, so this
            # list is complete: the store closes anyone it still had as present.
            self.emit(
                AssistantJoined(
                    self.session_id,
                    room=self.address.room,
                    assistant_id=self.nick,
                    assistant_jid=jid,
                    role=self.role,
                    people=self.roster.people(),
                )
            )

    # --- inbound stanzas ---------------------------------------------------------------

    def _on_stanza(self, parsed: Parsed) -> list[str]:
        """Handle one stanza; returns the replies the stream sends, in order."""
        self.polls.observe(parsed)  # confirms or refuses polls we sent (commands.create_poll)
        if isinstance(parsed, Presence):
            self._on_presence(parsed)
        elif isinstance(parsed, Iq):
            return [] if self.stream is None else iq_answers.answer(parsed, self.stream.next_id)
        elif isinstance(parsed, stanzas.ChatMessage | stanzas.JsonMessage):
            self.watch.on_message(parsed, self.nick, self.config)
        return []

    def _on_presence(self, presence: Presence) -> None:
        if presence.sender.bare != self.address.jid:
            return
        own = presence.nick == self.nick
        if own and self._joined is not None and not self._joined.done():
            if presence.error or (presence.is_self and not presence.unavailable):
                self._joined.set_result(presence)
            return
        if own:
            if presence.unavailable and KICKED in presence.status_codes:
                log.warning("session %s: a moderator removed the assistant", self.session_id)
                self._removed = True
                self.state = BotState.REMOVED
                self.emit(
                    ConnectionInterrupted(
                        self.session_id, "removed from the meeting by a moderator", removed=True
                    )
                )
                if self.stream is not None:
                    self.stream.abort()
            elif presence.unavailable:  # the room was destroyed or we were dropped
                log.warning("session %s: out of the room; rejoining", self.session_id)
                if self.stream is not None:
                    self.stream.abort()
            elif presence.role != self.role:
                self.role = presence.role
                self.emit(AssistantRoleChanged(self.session_id, self.role))
            return
        self.watch.on_presence(presence, self.config)

    async def send(self, text: str) -> None:
        """Send a stanza into the meeting; raises NotConnected while the bot is away."""
        if self.stream is None or not self.ready:
            raise NotConnected("the assistant is not in the meeting right now")
        try:
            await self.stream.send(text)
        except ConnectionLost as exc:
            raise NotConnected("the assistant lost its connection; try again shortly") from exc
