"""event_sync as a real deployment sends it (jitsi-contrib's mod_event_sync_component):
an untracked room creator, `{}` for an empty list, no names without JWT, breakout rooms
reported under the main room. Every such post is answered 2xx and used as far as it goes;
what is refused is logged and counted."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from plugin import keys
from plugin.db import attendance as attendance_db
from plugin.db import sessions as sessions_db
from plugin.db.applying import stay_of
from plugin.db.models import AssistantConnection, Attendance, Participant, WebhookEvent
from tests.conftest import Client, app_of
from tests.integration.test_sessions import start
from tests.webhooks.conftest import TOKEN, applied, post_jaas, post_prosody, prosody_headers
from tests.webhooks.test_jaas import envelope
from tests.webhooks.test_prosody import ROOM_JID, T0, destroyed, joined, left, occupant, rows

CREATOR_LEFT = {  # exactly what event_sync posts when the room's creator leaves
    "event_name": "muc-occupant-left",
    "room_name": "catchup",
    "room_jid": ROOM_JID,
    "active_occupants_count": 0,
    "is_breakout": False,
}
BREAKOUT = "3f2a9c4e-8d1b-4f6a-9e2c-7b5d1a0c8e4f"  # Jitsi names breakout rooms by uuid


def seconds(at: int) -> datetime:
    return datetime.fromtimestamp(at, UTC)


def unnamed(body: dict[str, Any], how: str) -> dict[str, Any]:
    if how == "absent":
        del body["occupant"]["name"]
    else:
        body["occupant"]["name"] = None
    return body


def in_breakout(body: dict[str, Any]) -> dict[str, Any]:
    """The same event from the breakout room: event_sync keeps the main room's name and JID."""
    return {**body, "is_breakout": True, "breakout_room_id": BREAKOUT}


async def test_the_creators_leave_without_an_occupant_is_stored(hooks: Client) -> None:
    first = await post_prosody(hooks, "occupant/left", CREATOR_LEFT)
    assert first.status == 200, await first.text()
    assert await first.json() == {"stored": True, "duplicate": False}
    again = await post_prosody(hooks, "occupant/left", CREATOR_LEFT)  # a retry, same second
    assert await again.json() == {"stored": True, "duplicate": True}
    [event] = await rows(hooks, WebhookEvent)
    assert (event.event_type, event.room, event.payload) == (
        "muc-occupant-left",
        "catchup",
        CREATOR_LEFT,
    )
    assert event.occurred_at == app_of(hooks)[keys.CLOCK].now()  # it carries no time itself
    await applied(hooks)
    assert await rows(hooks, Attendance) == []  # nobody to attribute it to


async def test_an_empty_list_encoded_as_an_object_is_an_empty_list(hooks: Client) -> None:
    body = {**destroyed(T0 + 70, []), "all_occupants": {}}
    response = await post_prosody(hooks, "room/destroyed", body)
    assert response.status == 200, await response.text()
    assert [e.payload["all_occupants"] for e in await rows(hooks, WebhookEvent)] == [{}]
    # Only the empty object: anything else in place of the list is still refused.
    bad = {**destroyed(T0 + 80, []), "all_occupants": {"0": occupant(1, T0, T0 + 5)}}
    refused = await post_prosody(hooks, "room/destroyed", bad)
    assert refused.status == 400
    assert (await refused.json())["field"] == "all_occupants"


async def test_breakout_rooms_count_as_the_main_meeting(hooks: Client) -> None:
    """Person 1 moves to a breakout room and back in the same seconds, then leaves; Person 2
    moves and is still in the breakout room; whoever made the breakout room is untracked
    there, as in the main room."""
    created = {
        "event_name": "muc-room-created",
        "room_name": "catchup",
        "room_jid": ROOM_JID,
        "created_at": T0 + 10,
    }
    posts = [
        ("occupant/joined", joined(1, T0)),
        ("occupant/joined", joined(2, T0)),
        ("room/created", in_breakout(created)),
        ("occupant/left", left(1, T0, T0 + 10)),
        ("occupant/joined", in_breakout(joined(1, T0 + 10))),
        ("occupant/left", left(2, T0, T0 + 10)),
        ("occupant/joined", in_breakout(joined(2, T0 + 10))),
        ("occupant/left", in_breakout(left(1, T0 + 10, T0 + 20))),
        ("occupant/joined", joined(1, T0 + 20)),
        ("occupant/left", left(1, T0 + 20, T0 + 30)),
        ("occupant/left", in_breakout(CREATOR_LEFT)),
    ]
    for path, body in posts:
        response = await post_prosody(hooks, path, body)
        assert response.status == 200, await response.text()
    await applied(hooks)
    assert {e.room for e in await rows(hooks, WebhookEvent)} == {"catchup"}
    stays = {s.occupant: s for s in await rows(hooks, Attendance)}
    assert {s.room for s in stays.values()} == {"catchup"}  # no meeting named by a uuid
    one, two = (stay_of(stays[occupant(n, T0)["occupant_jid"]]) for n in (1, 2))
    assert (one.joined_at, one.left_at, one.present) == (seconds(T0), seconds(T0 + 30), False)
    # Left the main room and joined the breakout room in the same second: still here.
    assert (two.joined_at, two.left_at, two.present) == (seconds(T0), seconds(T0 + 10), True)


async def metric(client: Client, source: str, status: int) -> float:
    text = await (await client.get("/metrics")).text()
    prefix = f'facilitate_webhook_rejected_total{{source="{source}",status="{status}"}} '
    found = [line for line in text.splitlines() if line.startswith(prefix)]
    return float(found[0].removeprefix(prefix)) if found else 0.0


async def test_refusals_are_logged_and_counted(
    hooks: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    wrong = prosody_headers("wrong-token-0123456789abcdefghij")
    assert (
        await post_prosody(hooks, "occupant/joined", joined(1, T0), headers=wrong)
    ).status == 401
    bad = {**joined(1, T0), "occupant": {"occupant_jid": "a@b/c"}}
    assert (await post_prosody(hooks, "occupant/joined", bad)).status == 400
    assert (await post_prosody(hooks, "occupant/joined", bad)).status == 400
    jaas = await post_jaas(hooks, envelope("PARTICIPANT_JOINED", "k1", participantId="p1"), at=1)
    assert jaas.status == 401
    assert (await post_prosody(hooks, "occupant/joined", joined(1, T0))).status == 200

    assert await metric(hooks, "prosody", 401) == 1
    assert await metric(hooks, "prosody", 400) == 2
    assert await metric(hooks, "jaas", 401) == 1
    assert await metric(hooks, "prosody", 200) == 0
    refusals = [r for r in caplog.records if r.name == "webhooks.routes"]
    assert [(r.levelno, r.getMessage().split(": ", 1)[0]) for r in refusals] == [
        (logging.WARNING, "refused a prosody webhook from 127.0.0.1"),
        (logging.WARNING, "refused a prosody webhook from 127.0.0.1"),
        (logging.WARNING, "refused a prosody webhook from 127.0.0.1"),
        (logging.WARNING, "refused a jaas webhook from 127.0.0.1"),
    ]
    messages = [r.getMessage() for r in refusals]
    assert "401" in messages[0] and "wrong Authorization" in messages[0]
    assert "occupant.joined_at" in messages[1]
    assert "timestamp" in messages[3]
    assert all(TOKEN not in m and "wrong-token" not in m for m in messages)


@pytest.mark.usefixtures("signed_in_facilitator")
async def test_the_assistants_roster_fills_what_event_sync_leaves_out(
    hooks: Client, client: Client
) -> None:
    session_id = await start(client, "https://meet.example.org/CatchUp")
    app = app_of(hooks)
    now = app[keys.CLOCK].now()
    t = int(now.timestamp())
    ana = occupant(1, t)["occupant_jid"]
    caller = occupant(2, t)["occupant_jid"]  # anonymous Jigasi: a JID like anyone's
    bot = occupant(3, t)["occupant_jid"]
    creator = occupant(4, t)["occupant_jid"]  # made the room: event_sync never reports it
    for n, how in [(1, "absent"), (2, "null"), (3, "absent")]:  # no JWT: no names
        body = unnamed(joined(n, t), how)
        assert (await post_prosody(hooks, "occupant/joined", body)).status == 200
    await applied(hooks)
    async with app[keys.DATABASE].session() as db:
        for jid, name, kind in [
            (ana.upper(), "Ana", "web"),  # the assistant saw the same JID (case aside)
            (caller.split("/")[0], "…123", "phone"),  # bare: the same connection
            (creator, "Cleo", "web"),
        ]:
            db.add(
                Participant(
                    session_id=session_id,
                    kind=kind,
                    display_name=name,
                    jitsi_id=name[:2],
                    joined_at=now,
                    real_jid=jid,
                )
            )
        db.add(AssistantConnection(jid=bot, session_id=session_id, seen_at=now))
        await db.commit()
        session = await sessions_db.get(db, session_id)
        assert session is not None
        stays = await attendance_db.for_session(db, session, now)
    found = {s.occupant: (s.name, s.kind.value, s.present) for s in stays}
    assert found == {
        ana: ("Ana", "web", True),
        caller: ("…123", "phone", True),
        creator: ("Cleo", "web", True),
    }
    page = await (await client.get(f"/sessions/{session_id}")).text()
    heard = page.split('id="attendance-heading"', 1)[1].split("</section>", 1)[0]
    assert "Ana" in heard and "Cleo" in heard and "…123" in heard
    assert "Someone" not in heard  # the assistant's own connection is not listed
