"""The bot in one meeting: joins through the focus, keeps the roster, survives outages.

What it sees goes out through `emit` as typed meeting events; commands (chat, lower hand, polls,
breakout rooms) live in `plugin.jitsi.commands` and use `send`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from facilitation.meeting_events import (
    AssistantJoined,
    AssistantLeft,
    AssistantRestored,
    AssistantRoleChanged,
    BreakoutRoom,
    BreakoutRoomsUpdated,
    ConnectionInterrupted,
    MeetingEvent,
)
from plugin.clock import Clock
from plugin.jitsi import stanzas
from plugin.jitsi.events import RoomView, message_events
from plugin.jitsi.jid import RoomAddress, new_nickname
from plugin.jitsi.polls import PollTracker
from plugin.jitsi.roster import Roster
from plugin.jitsi.sasl import Credentials, LoginRefused
from plugin.jitsi.stanzas import Iq, Parsed, Presence
from plugin.jitsi.xmpp import ConnectionLost, IqFailed, XmppStream

log = logging.getLogger(__name__)
Emit = Callable[[MeetingEvent], None]
DISCO_FEATURES = (stanzas.DISCO_INFO, stanzas.PING, stanzas.MUC, stanzas.NICK)
FOCUS_WAIT_CAP = 120.0
JOIN_TIMEOUT = 30.0
# A connection must last this long before the backoff starts again from one second, so a
# room that throws the bot out at once cannot make it rejoin every second.
STABLE_SECONDS = 30.0
KICKED = 307


class BotState(StrEnum):
    STARTING = "starting"
    CONNECTED = "connected"
    INTERRUPTED = "interrupted"
    REMOVED = "removed"  # a moderator sent it out: it stays out
    STOPPED = "stopped"


class JoinRefused(Exception):
    """The room would not let the bot in (other than a nickname clash)."""


RECOVERABLE = (ConnectionLost, JoinRefused, IqFailed, TimeoutError)


class NotConnected(Exception):
    """A command while the bot is not in the meeting; the message is for the facilitator."""


@dataclass(frozen=True)
class BotConfig:
    # The WebSocket URL with room (and prefix, and a freshly signed token) in it; called for
    # every connection attempt, so a reconnect hours later does not carry an expired token.
    make_url: Callable[[], str]
    domain: str
    focus: str | None
    breakout: str
    polls: str
    display_name: str
    ping_seconds: float = 60.0
    ping_timeout: float = 20.0
    backoff_cap: float = 60.0
    rejoin_grace: float = 120.0
    # How long someone who left the main room while breakout rooms exist may take to
    # appear in one before they count as gone.
    move_grace: float = 10.0
    polls_style: str = "auto"  # auto | component | room (plugin.jitsi.polls)
    # The assistant's XMPP account (None: anonymous). A refused login is tried again after
    # login_retry_seconds (someone may be creating the account), login_attempts in all.
    credentials: Credentials | None = None
    login_retry_seconds: float = 300.0
    login_attempts: int = 3


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
        self.nick = new_nickname()
        self.roster = Roster(self.nick, session_id)
        self.polls = PollTracker(config.polls_style, config.polls, address.jid)
        self.state = BotState.STARTING
        self.role = ""
        self.reconnects = 0
        self.stream: XmppStream | None = None
        self._joined: asyncio.Future[Presence] | None = None
        self._stopping = False
        self._grace: asyncio.TimerHandle | None = None
        self._move_grace: asyncio.TimerHandle | None = None
        self._rng = random.Random()  # noqa: S311 - jitter, not a secret
        self._ready = asyncio.Event()
        self._connected_at = 0.0
        self._removed = False

    def emit(self, event: MeetingEvent) -> None:
        if not self._stopping:  # stanzas still buffered after stop() tell nobody anything
            self._emit(event)

    def emit_all(self, events: list[MeetingEvent]) -> None:
        for event in events:
            self.emit(event)

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
        self._cancel_grace()
        stream = self.stream
        if stream is not None:
            with contextlib.suppress(ConnectionLost, OSError):
                await stream.send(stanzas.leave_presence(self.address.occupant(self.nick)))
            await stream.close()
        if was is not BotState.STOPPED:
            self._emit(AssistantLeft(self.session_id, self.address.room))
        self.state = BotState.STOPPED

    def _cancel_grace(self) -> None:
        for timer in (self._grace, self._move_grace):
            if timer is not None:
                timer.cancel()
        self._grace = self._move_grace = None

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
        if self.config.focus:
            await self._ask_focus(stream)
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
                self.nick = new_nickname()
                continue
            if presence.error:
                raise JoinRefused(f"the room refused the assistant: {presence.error}")
            self._on_joined(presence)
            return
        raise JoinRefused("no free nickname after three tries")

    async def _ask_focus(self, stream: XmppStream) -> None:
        """Jicofo creates the room; join only once it says the conference is ready."""
        assert self.config.focus is not None
        wait = 1.0
        request = stanzas.conference_request(self.address.jid, self.nick)
        while True:
            reply = await stream.request("set", self.config.focus, request)
            if stanzas.conference_ready(reply):
                return
            log.info("session %s: focus not ready; asking again in %.0f s", self.session_id, wait)
            await asyncio.sleep(wait)
            wait = min(FOCUS_WAIT_CAP, wait * 2)

    def _on_joined(self, presence: Presence) -> None:
        self.role = presence.role
        was_interrupted = self.state is BotState.INTERRUPTED
        self.state = BotState.CONNECTED
        loop = asyncio.get_running_loop()
        self._connected_at = loop.time()
        self._ready.set()
        self._cancel_grace()
        jid = str(self.stream.jid) if self.stream is not None and self.stream.jid else ""
        if was_interrupted:
            self.reconnects += 1
            self.emit(AssistantRestored(self.session_id, jid, self.role, self.roster.people()))
            if self.roster.unconfirmed:
                self._grace = loop.call_later(self.config.rejoin_grace, self._end_grace)
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

    def _end_grace(self) -> None:
        self._grace = None
        self.emit_all(self.roster.drop_unconfirmed())

    def _end_move_grace(self) -> None:
        self._move_grace = None
        self.emit_all(self.roster.expire_leaving())

    def _hold_leaves(self) -> None:
        """Someone left while breakout rooms exist: give the component's update time to
        place them before they count as gone."""
        if self.roster.leaving and self._move_grace is None:
            loop = asyncio.get_running_loop()
            self._move_grace = loop.call_later(self.config.move_grace, self._end_move_grace)

    # --- inbound stanzas ---------------------------------------------------------------

    def _on_stanza(self, parsed: Parsed) -> list[str]:
        """Handle one stanza; returns the replies the stream sends, in order."""
        self.polls.observe(parsed)  # confirms or refuses polls we sent (commands.create_poll)
        if isinstance(parsed, Presence):
            self._on_presence(parsed)
        elif isinstance(parsed, Iq):
            return self._on_iq(parsed)
        elif isinstance(parsed, stanzas.ChatMessage | stanzas.JsonMessage):
            view = RoomView(
                self.session_id,
                self.address.jid,
                self.nick,
                self.config.breakout,
                self.config.polls,
                self.roster.members,
            )
            for event in message_events(view, parsed):
                self.emit(event)
                if isinstance(event, BreakoutRoomsUpdated):
                    self.emit_all(self.roster.apply_rooms(event.rooms))
                    self._hold_leaves()
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
        self.emit_all(self.roster.apply(presence, self.clock.now_ms()))
        self._hold_leaves()

    def _on_iq(self, request: Iq) -> list[str]:
        if request.kind not in ("get", "set") or self.stream is None:
            return []
        to = str(request.sender or "")
        tag = request.child_tag
        if tag == stanzas.q(stanzas.JINGLE, "jingle"):
            # Acknowledge, then decline: the assistant has no audio or video.
            replies = [stanzas.iq("result", request.iq_id, to=to)]
            decline = stanzas.jingle_decline(request, self.stream.next_id())
            return replies + ([decline] if decline else [])
        if tag == stanzas.q(stanzas.PING, "ping"):
            return [stanzas.iq("result", request.iq_id, to=to)]
        if tag == stanzas.q(stanzas.DISCO_INFO, "query") and request.kind == "get":
            return [
                stanzas.iq("result", request.iq_id, to, stanzas.disco_info_result(DISCO_FEATURES))
            ]
        return [stanzas.error_reply(request, "service-unavailable")]

    async def send(self, text: str) -> None:
        """Send a stanza into the meeting; raises NotConnected while the bot is away."""
        if self.stream is None or not self.ready:
            raise NotConnected("the assistant is not in the meeting right now")
        try:
            await self.stream.send(text)
        except ConnectionLost as exc:
            raise NotConnected("the assistant lost its connection; try again shortly") from exc
