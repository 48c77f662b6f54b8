"""Polls in both of Jitsi's styles: which one the deployment runs, and whether a poll got in.

- The polls component (jitsi-meet's mod_polls_component; docker-jitsi-meet stable-10532 and
  later): a `chat` json-message to polls.DOMAIN, `{"type":"polls","command":"new-poll",
  "pollId","question","answers":[{"name"}]}`. The component checks it and sends it, with
  "senderId" added, to every occupant of the room, the sender included.
- In-room polls (mod_polls on the MUC component, earlier releases): a `groupchat`
  json-message to the room, `{"type":"new-poll","pollId","senderId","senderName",
  "question","answers":[names]}`. The room relays it to every occupant, the sender included.

Jitsi Meet finds the component in the disco#info identities of the XMPP domain (category
"component", type "polls", name = its address). In-room polls advertise nothing, so a domain
without that identity runs them in the room. Both modules drop a payload of 1024 bytes or
more, or a bad one, without a word; a missing component makes Prosody bounce the message.
So a poll counts as sent only when it comes back with its pollId, and an error carrying our
message id, or silence, means Jitsi did not take it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from plugin.jitsi import stanzas
from plugin.jitsi.stanzas import JsonMessage, MessageError, Parsed, StanzaError
from plugin.jitsi.xmpp import IqFailed, XmppStream

log = logging.getLogger(__name__)
ECHO_WAIT = 8.0  # a broadcast or an echo takes well under a second on a working Jitsi
DISCO_WAIT = 10.0


class PollStyle(StrEnum):
    AUTO = "auto"
    COMPONENT = "component"
    ROOM = "room"


@dataclass(frozen=True)
class PollRoute:
    style: PollStyle
    to: str  # the component's address, or the room's JID


class PollNotDelivered(Exception):
    """Jitsi did not take the poll; the message says why, in words for the facilitator."""


@dataclass
class _Waiting:
    route: PollRoute
    message_id: str
    echo_from: str  # our occupant JID: the room's echo comes from there
    arrived: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


def _bounce_reason(error: MessageError, route: PollRoute) -> str:
    said = f"{error.condition} ({error.text})" if error.text else error.condition
    reason = f"Jitsi did not accept the poll: the server said {said}."
    if route.style is PollStyle.COMPONENT:
        reason += (
            f" This Jitsi may have no polls service at {route.to}: older Jitsi releases run"
            " polls inside the meeting. Set FACILITATE_POLLS_STYLE to auto, or room."
        )
    return reason


class PollTracker:
    """One bot's polls: the style (asked once per connection) and polls waiting to arrive."""

    def __init__(
        self, style: str, component: str, room_jid: str, *, echo_wait: float = ECHO_WAIT
    ) -> None:
        self.configured = PollStyle(style)
        self.component = component
        self.room_jid = room_jid
        self.echo_wait = echo_wait
        self._known: tuple[XmppStream, PollRoute] | None = None
        self._asking = asyncio.Lock()
        self._waiting: dict[str, _Waiting] = {}

    async def route(self, stream: XmppStream, domain: str) -> PollRoute:
        """Where polls go on this connection; `auto` asks the domain as Jitsi Meet does.

        Raises ConnectionLost if the connection drops while asking."""
        if self.configured is PollStyle.COMPONENT:
            return PollRoute(PollStyle.COMPONENT, self.component)
        if self.configured is PollStyle.ROOM:
            return PollRoute(PollStyle.ROOM, self.room_jid)
        async with self._asking:
            # A reconnect may land on an upgraded Jitsi: the answer holds for one connection.
            if self._known is not None and self._known[0] is stream:
                return self._known[1]
            route = await self._discover(stream, domain)
            self._known = (stream, route)
            return route

    async def _discover(self, stream: XmppStream, domain: str) -> PollRoute:
        try:
            reply = await stream.request("get", domain, stanzas.disco_info_query(), DISCO_WAIT)
            info = stanzas.parse_disco_info(reply)
        except (IqFailed, TimeoutError, StanzaError) as exc:
            log.warning("asking %s which polls it runs failed: %r", domain, exc)
            raise PollNotDelivered(
                "Jitsi did not accept the poll: the assistant could not ask Jitsi how it runs"
                " polls. Try again in a moment."
            ) from exc
        found = [name for name in info.named("component", "polls") if name]
        if not found:
            log.info("%s advertises no polls component: polls go inside the room", domain)
            return PollRoute(PollStyle.ROOM, self.room_jid)
        if found[0] != self.component:
            # Jitsi Meet uses the advertised address; so do we (events may need the setting).
            log.warning(
                "%s advertises its polls component as %s, not %s (FACILITATE_POLLS_DOMAIN)",
                domain,
                found[0],
                self.component,
            )
        return PollRoute(PollStyle.COMPONENT, found[0])

    def payload(
        self,
        route: PollRoute,
        poll_id: str,
        question: str,
        names: list[str],
        *,
        nick: str,
        display_name: str,
    ) -> dict[str, Any]:
        """The new-poll JSON in the route's style, as Jitsi Meet of that release sends it."""
        if route.style is PollStyle.COMPONENT:
            return {
                "type": "polls",
                "command": "new-poll",
                "pollId": poll_id,
                "question": question,
                "answers": [{"name": name} for name in names],
                # Older component releases find the room by this; newer ones by ?room=.
                "roomJid": self.room_jid,
            }
        return {
            "type": "new-poll",
            "pollId": poll_id,
            "senderId": nick,
            "senderName": display_name,
            "question": question,
            "answers": list(names),
        }

    def stanza(self, route: PollRoute, payload: dict[str, Any], message_id: str) -> str:
        if route.style is PollStyle.COMPONENT:
            return stanzas.json_message(
                route.to, payload, message_id=message_id, attrs={"roomJid": self.room_jid}
            )
        return stanzas.json_message(route.to, payload, kind="groupchat", message_id=message_id)

    async def deliver(
        self,
        route: PollRoute,
        payload: dict[str, Any],
        message_id: str,
        echo_from: str,
        send: Callable[[str], Awaitable[None]],
    ) -> None:
        """Send the poll and return once it came back; PollNotDelivered if it did not."""
        poll_id = str(payload["pollId"])
        waiting = _Waiting(route, message_id, echo_from)
        self._waiting[poll_id] = waiting
        try:
            await send(self.stanza(route, payload, message_id))
            async with asyncio.timeout(self.echo_wait):
                await waiting.arrived
        except TimeoutError:
            log.warning("poll %s to %s did not come back", poll_id, route.to)
            raise PollNotDelivered(
                "Jitsi did not accept the poll: it did not reach the meeting within"
                f" {self.echo_wait:.0f} seconds."
            ) from None
        finally:
            self._waiting.pop(poll_id, None)
            if not waiting.arrived.done():
                waiting.arrived.cancel()

    def observe(self, parsed: Parsed) -> None:
        """Look at every message the bot receives for the polls it is waiting on."""
        if not self._waiting:
            return
        if isinstance(parsed, MessageError):
            self._bounced(parsed)
        elif isinstance(parsed, JsonMessage) and not parsed.delayed:
            self._arrived(parsed)

    def _bounced(self, error: MessageError) -> None:
        for waiting in self._waiting.values():
            # Only the address we wrote to can bounce our message.
            if (
                error.message_id == waiting.message_id
                and error.sender.bare.lower() == waiting.route.to.lower()
                and not waiting.arrived.done()
            ):
                log.warning("Jitsi bounced a poll: %s %s", error.condition, error.text)
                waiting.arrived.set_exception(
                    PollNotDelivered(_bounce_reason(error, waiting.route))
                )

    def _arrived(self, message: JsonMessage) -> None:
        payload = message.payload
        waiting = self._waiting.get(str(payload.get("pollId", "")))
        if waiting is None or waiting.arrived.done():
            return
        sender = message.sender
        if waiting.route.style is PollStyle.COMPONENT:
            came_back = (
                not sender.local
                and sender.domain == waiting.route.to.lower()
                and payload.get("type") == "polls"
                and payload.get("command") == "new-poll"
            )
        else:
            came_back = (
                str(sender).lower() == waiting.echo_from.lower()
                and payload.get("type") == "new-poll"
            )
        if came_back:
            waiting.arrived.set_result(None)
