"""A plain XMPP-over-WebSocket client that behaves like a Jitsi Meet participant.

Written from the protocol, independent of the code under test: it asks the focus for the
room, joins with an 8-hex nickname and a display name, raises and lowers its hand in
presence (`jitsi_participant_raisedHand`, epoch ms), chats, and leaves. It keeps the
breakout component's latest list of rooms and, asked to, moves between rooms the way Jitsi
Meet does on a move-to-room message (`move_to`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
import time
from collections.abc import Callable
from typing import Any
from xml.etree.ElementTree import Element, fromstring

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from tests.support import prosody

CLIENT = "{jabber:client}"
FRAMING = "urn:ietf:params:xml:ns:xmpp-framing"
JITMEET = "{http://jitsi.org/jitmeet}"


class Participant:
    def __init__(
        self,
        server: prosody.Prosody,
        room: str,
        name: str,
        *,
        phone: bool = False,
        muc: str = prosody.MUC,
        keep_inbox: bool = True,
    ):
        self.server = server
        self.room_jid = f"{room}@{muc}"
        self.room = room
        self.name = name
        self.phone = phone  # present like Jigasi does
        self.nick = secrets.token_hex(4)
        self.hand: int | None = None
        self.ws: ClientConnection | None = None
        self.jid = ""
        self.inbox: asyncio.Queue[Element] = asyncio.Queue()
        self.keep_inbox = keep_inbox  # off for load tests: thousands of clients, no reading
        # Called with each stanza and its arrival time, before anything else sees it.
        self.listeners: list[Callable[[Element, float], None]] = []
        self.presences: dict[str, Element] = {}
        # The breakout component's latest update: rooms by id (JID node), as Jitsi Meet keeps it.
        self.breakout_rooms: dict[str, Any] = {}
        self._ids = itertools.count(1)
        self._reader: asyncio.Task[None] | None = None
        self._joining = False

    async def _recv(self) -> Element:
        assert self.ws is not None
        return fromstring(await self.ws.recv())

    async def _expect(self, tag: str) -> Element:
        while True:
            element = await self._recv()
            if element.tag.endswith(tag):
                return element

    async def connect(self) -> None:
        url = f"{self.server.websocket_url}?room={self.room}"
        self.ws = await connect(url, subprotocols=[Subprotocol("xmpp")])
        await self._open()
        await self.ws.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='ANONYMOUS'/>")
        await self._expect("success")
        await self._open()
        await self.ws.send(
            "<iq xmlns='jabber:client' type='set' id='bind1'>"
            "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>"
        )
        bound = await self._expect("iq")
        jid = bound.find(".//{urn:ietf:params:xml:ns:xmpp-bind}jid")
        assert jid is not None and jid.text
        self.jid = jid.text
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _open(self) -> None:
        assert self.ws is not None
        await self.ws.send(f"<open xmlns='{FRAMING}' to='{prosody.DOMAIN}' version='1.0'/>")
        await self._expect("features")

    async def _read(self) -> None:
        assert self.ws is not None
        with contextlib.suppress(Exception):
            async for raw in self.ws:
                arrived = time.perf_counter()
                element = fromstring(raw)
                for listener in self.listeners:
                    listener(element, arrived)
                if element.tag == CLIENT + "presence":
                    self.presences[element.get("from", "")] = element
                self._note_rooms(element)
                if element.tag == CLIENT + "iq" and element.get("type") in ("get", "set"):
                    await self._answer_iq(element)
                if self.keep_inbox or element.get("id") == "focus1" or self._joining:
                    await self.inbox.put(element)

    def _note_rooms(self, element: Element) -> None:
        if element.get("from") != prosody.BREAKOUT:
            return
        payload = json_of(element) or {}
        if payload.get("event") == "features/breakout-rooms/update":
            self.breakout_rooms = dict(payload.get("rooms") or {})

    async def _answer_iq(self, iq: Element) -> None:
        assert self.ws is not None
        await self.ws.send(
            f"<iq xmlns='jabber:client' type='result' to='{iq.get('from')}' id='{iq.get('id')}'/>"
        )

    def _presence(
        self, first: bool = False, unavailable: bool = False, status: str | None = None
    ) -> str:
        kind = " type='unavailable'" if unavailable else ""
        parts = [f"<presence xmlns='jabber:client' to='{self.room_jid}/{self.nick}'{kind}>"]
        if status:
            parts.append(f"<status>{status}</status>")
        if first:
            parts.append("<x xmlns='http://jabber.org/protocol/muc'/>")
        if not unavailable:
            parts.append(f"<nick xmlns='http://jabber.org/protocol/nick'>{self.name}</nick>")
            if self.phone:
                parts.append(
                    "<features><feature var='http://jitsi.org/protocol/jigasi'/></features>"
                )
            if self.hand:
                parts.append(
                    f"<jitsi_participant_raisedHand>{self.hand}</jitsi_participant_raisedHand>"
                )
        parts.append("</presence>")
        return "".join(parts)

    async def join(self, *, ask_focus: bool = True, timeout: float = 10.0) -> None:
        assert self.ws is not None
        if ask_focus:
            await self.ws.send(
                f"<iq xmlns='jabber:client' type='set' id='focus1' to='{prosody.FOCUS}'>"
                f"<conference xmlns='http://jitsi.org/protocol/focus' room='{self.room_jid}' "
                "machine-uid='test'/></iq>"
            )
            await self.wait_for(lambda e: e.get("id") == "focus1", timeout)
        self._joining = True
        await self.ws.send(self._presence(first=True))
        await self.wait_for(lambda e: e.get("from") == f"{self.room_jid}/{self.nick}", timeout)
        self._joining = False

    async def send_presence(self) -> float:
        """Re-send presence; returns the monotonic time it left, for latency figures."""
        assert self.ws is not None
        text = self._presence()
        sent = time.perf_counter()
        await self.ws.send(text)
        return sent

    async def raise_hand(self, at_ms: int | None = None) -> float:
        self.hand = at_ms or int(time.time() * 1000)
        return await self.send_presence()

    async def lower_hand(self) -> float:
        self.hand = None
        return await self.send_presence()

    async def rename(self, name: str) -> None:
        self.name = name
        await self.send_presence()

    async def say(self, text: str) -> None:
        assert self.ws is not None
        body = text.replace("&", "&amp;").replace("<", "&lt;")
        await self.ws.send(
            f"<message xmlns='jabber:client' to='{self.room_jid}' type='groupchat'>"
            f"<body>{body}</body></message>"
        )

    async def send_json(self, to: str, payload: dict[str, Any]) -> None:
        assert self.ws is not None
        text = json.dumps(payload).replace("&", "&amp;").replace("<", "&lt;")
        await self.ws.send(
            f"<message xmlns='jabber:client' to='{to}' type='chat'>"
            f"<json-message xmlns='http://jitsi.org/jitmeet'>{text}</json-message></message>"
        )

    async def leave(self) -> None:
        assert self.ws is not None
        await self.ws.send(self._presence(unavailable=True))

    async def move_to(self, room_jid: str, *, new_nick: bool = False) -> bool:
        """What Jitsi Meet does on a breakout move-to-room message (breakout-rooms/actions.ts
        moveToRoom, web): a room missing from the latest update is ignored (False);
        otherwise it leaves its room with status "switch_room" and waits for its own
        unavailable presence (lib-jitsi-meet's ChatRoom.leave waits up to 5 s), then joins
        the other room on the same connection the usual way: the focus first, then
        presence. Leaving a conference lowers the local raised hand
        (base/participants/middleware.ts, "We left the conference"), so it arrives with no
        hand. The nickname stays for an anonymous user (lib-jitsi-meet's resourceCreator
        takes it from the JID); a logged-in user gets a new random one (`new_nick`)."""
        assert self.ws is not None
        if room_jid.split("@", 1)[0] not in self.breakout_rooms:
            return False
        left = f"{self.room_jid}/{self.nick}"
        await self.ws.send(self._presence(unavailable=True, status="switch_room"))
        with contextlib.suppress(TimeoutError):
            await self.wait_for(
                lambda e: e.get("from") == left and e.get("type") == "unavailable", timeout=5
            )
        self.hand = None
        self.room_jid = room_jid  # self.room stays: the meeting in the connection's URL
        if new_nick:
            self.nick = secrets.token_hex(4)
        await self.join()
        mine = self.presences.get(f"{self.room_jid}/{self.nick}")
        if mine is None or mine.get("type") == "error":
            raise RuntimeError(f"{self.name} could not join {room_jid}")
        return True

    async def wait_for(self, match: Any, timeout: float = 10.0) -> Element:
        """The next stanza (from now on) that `match` accepts."""
        async with asyncio.timeout(timeout):
            while True:
                element = await self.inbox.get()
                if match(element):
                    return element

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader


def body_of(element: Element) -> str:
    body = element.find(CLIENT + "body")
    return body.text or "" if body is not None else ""


def json_of(element: Element) -> dict[str, Any] | None:
    node = element.find(JITMEET + "json-message")
    return json.loads(node.text or "") if node is not None else None
