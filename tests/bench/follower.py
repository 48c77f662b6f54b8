"""A Jitsi Meet stand-in light enough for 200 at once in one process, for the breakout
benchmark: it follows Jitsi's move-to-room messages the way Jitsi Meet does
(breakout-rooms/actions.ts moveToRoom: leave with status "switch_room", wait for its own
goodbye for at most 5 s as lib-jitsi-meet's leave does, then join the other room), and
notes when a private link to a group's own call arrives."""

from __future__ import annotations

import asyncio
import contextlib
from xml.etree.ElementTree import Element

from tests.support import prosody
from tests.support.participant import CLIENT, Participant, body_of, json_of

MOVE = "features/breakout-rooms/move-to-room"


class Follower:
    """A Jitsi Meet stand-in for load: follows moves as Participant.move_to does, watching
    its own stanzas through a listener (no inbox), and notes when private links arrive."""

    def __init__(self, person: Participant) -> None:
        self.person = person
        self.left: asyncio.Event = asyncio.Event()
        self.linked_at: float | None = None
        self.tasks: set[asyncio.Task[None]] = set()
        self.rooms_changed = asyncio.Event()
        person.listeners.append(self._seen)

    def _seen(self, element: Element, at: float) -> None:
        me = f"{self.person.room_jid}/{self.person.nick}"
        if element.tag == CLIENT + "presence":
            if element.get("from") == me and element.get("type") == "unavailable":
                self.left.set()
            return
        if element.tag != CLIENT + "message":
            return
        if element.get("from") == prosody.BREAKOUT:
            self.rooms_changed.set()
        order = json_of(element) or {}
        if order.get("event") == MOVE:
            self.left.clear()  # now: the old room's goodbye may come before the task runs
            task = asyncio.get_running_loop().create_task(self._move(str(order["roomJid"])))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        elif element.get("type") == "chat" and "/groups/" in body_of(element):
            self.linked_at = at

    async def _move(self, room_jid: str) -> None:
        node = room_jid.split("@", 1)[0]
        async with asyncio.timeout(10):
            while node not in self.person.breakout_rooms:
                self.rooms_changed.clear()
                await self.rooms_changed.wait()
        if room_jid == self.person.room_jid:
            return
        assert self.person.ws is not None
        await self.person.ws.send(self.person._presence(unavailable=True, status="switch_room"))
        with contextlib.suppress(TimeoutError):  # as lib-jitsi-meet's leave: at most 5 s
            async with asyncio.timeout(5):
                await self.left.wait()
        self.person.room_jid = room_jid
        await self.person.join()
