"""Debian's Prosody posts event_sync requests (same URLs, headers, JSON) to the running
service on real MUC events; the service stores them and builds attendance.

Prosody here runs a STAND-IN for jitsi-contrib's event_sync_component
(tests/support/prosody_modules/), which reproduces what the real module posts, gaps included:
the room's creator is never tracked, an empty list is `{}`, and guests have no names.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from plugin.db.models import Attendance, WebhookEvent
from tests.conftest import Client
from tests.support import prosody
from tests.support.participant import Participant
from tests.webhooks.conftest import TOKEN, applied
from tests.webhooks.test_prosody import rows

pytestmark = pytest.mark.prosody


def event_sync(prefix: str, **options: str) -> str:
    """The MUC component lines that load the stand-in, posting to `prefix`."""
    extra = "".join(f"    {key} = {value}\n" for key, value in options.items())
    return (
        '    modules_enabled = { "event_sync_standin" }\n'
        f'    api_prefix = "{prefix}"\n'
        f'    api_headers = {{ ["Authorization"] = "Bearer {TOKEN}" }}\n' + extra
    )


@pytest.fixture
def sync_server(tmp_path: Path, hooks: Client) -> Iterator[prosody.Prosody]:
    server = prosody.Prosody(
        tmp_path / "prosody", muc_extra=event_sync(str(hooks.make_url("/webhooks/prosody")))
    )
    server.start()
    yield server
    server.stop()


async def stored_events(hooks: Client, count: int) -> list[WebhookEvent]:
    """The stored events, once `count` of them have arrived."""
    async with asyncio.timeout(15):
        while len(found := await rows(hooks, WebhookEvent)) < count:
            await asyncio.sleep(0.1)
    return found


async def visit(server: prosody.Prosody, room: str, name: str) -> Participant:
    person = Participant(server, room, name)
    await person.connect()
    await person.join(ask_focus=False)
    return person


async def test_the_creator_is_never_reported_and_guests_have_no_names(
    hooks: Client, sync_server: prosody.Prosody
) -> None:
    ana = await visit(sync_server, "synced", "Ana")  # creates the room
    ben = await visit(sync_server, "synced", "Ben")
    await asyncio.sleep(0.3)
    await ben.leave()
    await asyncio.sleep(0.3)
    await ana.leave()
    for person in (ana, ben):
        await person.close()

    events = await stored_events(hooks, 5)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_type.setdefault(event.event_type, []).append(event.payload)
    assert sorted((kind, len(found)) for kind, found in by_type.items()) == [
        ("muc-occupant-joined", 1),  # Ben's only: Ana's join came before the room existed
        ("muc-occupant-left", 2),
        ("muc-room-created", 1),
        ("muc-room-destroyed", 1),
    ]
    [joined] = by_type["muc-occupant-joined"]
    assert joined["occupant"]["occupant_jid"] == ben.jid
    assert "name" not in joined["occupant"]  # no JWT, no name
    creator_left = [p for p in by_type["muc-occupant-left"] if "occupant" not in p]
    assert creator_left == [
        {
            "event_name": "muc-occupant-left",
            "room_name": "synced",
            "room_jid": f"synced@{prosody.MUC}",
            "is_breakout": False,
            "active_occupants_count": 0,
        }
    ]
    [destroyed] = by_type["muc-room-destroyed"]
    assert [o["occupant_jid"] for o in destroyed["all_occupants"]] == [ben.jid]
    assert "answered 200" in sync_server.log_text
    assert "answered 4" not in sync_server.log_text

    await applied(hooks)
    [stay] = await rows(hooks, Attendance)  # Ben's; Ana is filled in by the assistant
    assert (stay.room, stay.occupant, stay.name) == ("synced", ben.jid, "")
    assert stay.left_at is not None


async def test_a_room_with_only_its_creator_ends_with_an_empty_object(
    hooks: Client, sync_server: prosody.Prosody
) -> None:
    ana = await visit(sync_server, "alone", "Ana")
    await asyncio.sleep(0.2)
    await ana.leave()
    await ana.close()

    # Each post goes on its own connection: they may arrive in any order.
    events = {event.event_type: event.payload for event in await stored_events(hooks, 3)}
    assert sorted(events) == ["muc-occupant-left", "muc-room-created", "muc-room-destroyed"]
    assert "occupant" not in events["muc-occupant-left"]
    assert events["muc-room-destroyed"]["all_occupants"] == {}  # Lua's empty table
    assert "answered 4" not in sync_server.log_text
    await applied(hooks)
    assert await rows(hooks, Attendance) == []


async def test_a_5xx_is_retried_and_a_4xx_is_not(tmp_path: Path, aiohttp_server: Any) -> None:
    """event_sync retries a 5xx a few times, Retry-After or not, and never a 4xx: a post the
    service refuses is lost, which is why the service answers every well-formed one 2xx."""
    seen: list[tuple[str, bytes]] = []

    async def api(request: web.Request) -> web.Response:
        path = request.match_info["path"]
        seen.append((path, await request.read()))
        if path == "occupant/joined" and [p for p, _ in seen].count(path) <= 2:
            return web.Response(status=503, headers={"Retry-After": "30"})
        return web.Response(status=400 if path == "occupant/left" else 200)

    app = web.Application()
    app.router.add_post("/api/events/{path:.+}", api)
    fake = await aiohttp_server(app)
    server = prosody.Prosody(
        tmp_path / "prosody",
        muc_extra=event_sync(str(fake.make_url("/api")), api_retry_delay="0.2"),
    )
    server.start()
    try:
        ana = await visit(server, "retried", "Ana")
        ben = await visit(server, "retried", "Ben")
        await ben.leave()
        await asyncio.sleep(0.3)
        await ana.leave()
        for person in (ana, ben):
            await person.close()
        await asyncio.sleep(1.5)  # room for retries that must not come
    finally:
        server.stop()
    posts = Counter(path for path, _ in seen)
    # Ben's join: 503, 503, then stored; both leaves (Ben's, and the creator's): 400, once.
    assert posts == {
        "room/created": 1,
        "occupant/joined": 3,
        "occupant/left": 2,
        "room/destroyed": 1,
    }
    assert len({body for path, body in seen if path == "occupant/joined"}) == 1  # the same post
