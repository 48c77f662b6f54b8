"""Breakout groups end to end: Prosody and the Jitsi stand-ins (tests.jitsi.conftest), plus
people in the meeting who do what Jitsi Meet does when told to move, and who keep every
chat message they get."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from xml.etree.ElementTree import Element

import pytest
from sqlmodel import select

from facilitation.breakouts.record import round_from_record, round_to_record
from plugin import keys
from plugin.db.models import BreakoutRound
from plugin.db.models import Participant as Row
from tests.conftest import Client, app_of, post_form
from tests.jitsi.conftest import (  # noqa: F401  (fixtures)
    jitsi_settings,
    make_client,
    server,
    standin,
)
from tests.phone.conftest import post_pbx
from tests.support import prosody
from tests.support.participant import CLIENT, Participant, body_of, json_of

MOVE = "features/breakout-rooms/move-to-room"


class Guest:
    """A web participant whose Jitsi Meet follows the breakout component's moves, with
    every chat message it got (groupchat and private), in order."""

    def __init__(self, person: Participant) -> None:
        self.person = person
        self.chat: list[tuple[str, str, str]] = []  # (type, from, body)
        self._moves: set[asyncio.Task[Any]] = set()
        person.listeners.append(self._seen)

    @property
    def nick(self) -> str:
        return self.person.nick

    def _seen(self, element: Element, _at: float) -> None:
        if element.tag != CLIENT + "message":
            return
        order = json_of(element) or {}
        if order.get("event") == MOVE:
            task = asyncio.get_running_loop().create_task(self._move(str(order["roomJid"])))
            self._moves.add(task)
            task.add_done_callback(self._moves.discard)
            return
        body = body_of(element)
        if body:
            self.chat.append((element.get("type", ""), element.get("from", ""), body))

    async def _move(self, room_jid: str) -> None:
        # Jitsi Meet ignores a move to a room it has not heard of yet: wait for the list.
        node = room_jid.split("@", 1)[0]
        async with asyncio.timeout(10):
            while node not in self.person.breakout_rooms:
                await asyncio.sleep(0.02)
        await self.person.move_to(room_jid)

    def heard(self, words: str) -> bool:
        return any(words in body for _kind, _from, body in self.chat)

    async def close(self) -> None:
        for task in list(self._moves):
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        await self.person.close()


async def guest(prosody_server: prosody.Prosody, room: str, name: str, **kw: Any) -> Guest:
    person = Participant(prosody_server, room, name, **kw)
    await person.connect()
    await person.join()
    return Guest(person)


@pytest.fixture
async def guests() -> AsyncIterator[list[Guest]]:
    made: list[Guest] = []
    yield made
    for one in made:
        await one.close()


async def breakout_post(client: Client, session_id: str, fields: dict[str, str]) -> Any:
    return await post_form(client, f"/sessions/{session_id}/breakouts", fields)


async def time_passes(client: Client, session_id: str, seconds_left: int) -> None:
    """Make the open round end `seconds_left` from now (time passing, for the timer), then
    let the timer tick once."""
    app = app_of(client)
    async with app[keys.DATABASE].session() as db:
        row = await db.get(BreakoutRound, session_id)
        assert row is not None and row.timer is not None
        round_ = round_from_record(row.timer)
        now = app[keys.CLOCK].now()
        moved = type(round_)(round_.opened_at, now + timedelta(seconds=seconds_left), round_.warned)
        row.timer = round_to_record(moved)
        db.add(row)
        await db.commit()
    await app[keys.BREAKOUTS].tick()


async def until_async(check: Any, within: float = 10.0) -> None:
    async with asyncio.timeout(within):
        while not await check():
            await asyncio.sleep(0.05)


async def rows(client: Client, session_id: str) -> list[Row]:
    """Who the service has in the meeting now (the presence store flushed first)."""
    await asyncio.wait_for(app_of(client)[keys.PRESENCE].flush(), 10)
    async with app_of(client)[keys.DATABASE].session() as db:
        query = select(Row).where(Row.session_id == session_id, Row.left_at == None)  # noqa: E711
        return list((await db.exec(query)).all())


async def phone_caller(
    client: Client,
    prosody_server: prosody.Prosody,
    room: str,
    pin: str,
    call_id: str,
    number: str,
    language: str | None = None,
) -> Guest:
    """A PBX call with the PIN (and the language the PBX's own menu chose, if any), then
    Jigasi joining the room for it."""
    body = {"type": "call.started", "call_id": call_id, "caller_id": number, "pin": pin}
    if language is not None:
        body["language"] = language
    reply = await post_pbx(client, body)
    assert reply.status == 200, await reply.text()
    return await guest(prosody_server, room, number, phone=True)
