"""Prosody event_sync: exact payloads, auth, refusals, idempotency, reconciliation."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from plugin import keys
from plugin.clock import FixedClock
from plugin.db.models import Attendance, WebhookEvent
from tests.conftest import Client, app_of, post_form
from tests.webhooks.conftest import applied, post_prosody, prosody_headers

ROOM_JID = "catchup@muc.meet.jitsi"
T0 = 1_790_000_000  # seconds, as event_sync sends them


def occupant(n: int, joined: int, left: int | None = None, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "occupant_jid": f"{n:08x}-user@meet.jitsi/res{n}",
        "joined_at": joined,
        "name": f"Person {n}",
        **extra,
    }
    if left is not None:
        data["left_at"] = left
    return data


def joined(n: int, at: int) -> dict[str, Any]:
    return {
        "event_name": "muc-occupant-joined",
        "room_name": "catchup",
        "room_jid": ROOM_JID,
        "is_breakout": False,
        "active_occupants_count": 1,
        "occupant": occupant(n, at),
    }


def left(n: int, joined_at: int, at: int) -> dict[str, Any]:
    return {
        "event_name": "muc-occupant-left",
        "room_name": "catchup",
        "room_jid": ROOM_JID,
        "is_breakout": False,
        "active_occupants_count": 0,
        "occupant": occupant(n, joined_at, at, total_dominant_speaker_time=1200),
    }


def destroyed(at: int, everyone: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "event_name": "muc-room-destroyed",
        "room_name": "catchup",
        "room_jid": ROOM_JID,
        "is_breakout": False,
        "created_at": T0,
        "destroyed_at": at,
        "all_occupants": everyone,
    }


async def rows(client: Client, model: Any) -> list[Any]:
    async with app_of(client)[keys.DATABASE].session() as db:
        return list((await db.exec(select(model))).all())


async def test_each_endpoint_takes_event_syncs_own_payloads(hooks: Client) -> None:
    created = {
        "event_name": "muc-room-created",
        "room_name": "catchup",
        "room_jid": ROOM_JID,
        "is_breakout": False,
        "created_at": T0,
    }
    for path, body in [
        ("room/created", created),
        ("occupant/joined", joined(1, T0 + 5)),
        ("occupant/left", left(1, T0 + 5, T0 + 65)),
        ("room/destroyed", destroyed(T0 + 70, [occupant(1, T0 + 5, T0 + 65)])),
    ]:
        response = await post_prosody(hooks, path, body)
        assert response.status == 200, await response.text()
        assert await response.json() == {"stored": True, "duplicate": False}
    stored = await rows(hooks, WebhookEvent)
    assert [e.event_type for e in stored] == [
        "muc-room-created",
        "muc-occupant-joined",
        "muc-occupant-left",
        "muc-room-destroyed",
    ]
    await applied(hooks)
    [stay] = await rows(hooks, Attendance)
    assert (stay.room, stay.name, stay.kind) == ("catchup", "Person 1", "web")
    assert stay.joined_at == datetime.fromtimestamp(T0 + 5, UTC)
    assert stay.left_at == datetime.fromtimestamp(T0 + 65, UTC)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Content-Type": "application/json"}, "missing"),
        (prosody_headers("wrong-token-0123456789abcdefghij"), "wrong"),
        ({**prosody_headers(), "Authorization": "Basic abc"}, "missing"),
    ],
)
async def test_wrong_or_missing_token_is_401(
    hooks: Client, headers: dict[str, str], reason: str
) -> None:
    response = await post_prosody(hooks, "occupant/joined", joined(1, T0), headers=headers)
    assert response.status == 401
    assert reason in (await response.json())["error"]
    assert await rows(hooks, WebhookEvent) == []


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("occupant/joined", b"{not json", 400, None),
        ("occupant/joined", b"[1, 2]", 400, None),
        (
            "occupant/joined",
            {**joined(1, T0), "occupant": {"occupant_jid": "a@b/c"}},
            400,
            "occupant.joined_at",
        ),
        (
            "occupant/joined",
            {**joined(1, T0), "event_name": "muc-occupant-left"},
            400,
            "event_name",
        ),
        ("occupant/joined", {**joined(1, T0), "event_name": "party"}, 400, "event_name"),
        (
            "occupant/left",
            {**left(1, T0, T0 + 1), "occupant": occupant(1, T0)},
            400,
            "occupant.left_at",
        ),
        ("room/destroyed", {**destroyed(T0, []), "all_occupants": None}, 400, "all_occupants"),
        (
            "room/created",
            {"event_name": "muc-room-created", "room_jid": ROOM_JID},
            400,
            "room_name",
        ),
        (
            "occupant/joined",
            {**joined(1, T0), "occupant": {**occupant(1, T0), "joined_at": -5}},
            400,
            "occupant.joined_at",
        ),
        ("occupant/joined", b"x" * (1024 * 1024 + 1), 413, None),
    ],
)
async def test_bad_bodies_are_refused_naming_the_field(
    hooks: Client, path: str, body: Any, status: int, field: str | None
) -> None:
    response = await post_prosody(hooks, path, body)
    assert response.status == status
    answer = await response.json()
    assert answer["error"]
    if field is not None:
        assert answer["field"] == field
        assert field in answer["error"]
    assert await rows(hooks, WebhookEvent) == []


async def test_the_same_delivery_100_times_50_at_once_is_stored_once(hooks: Client) -> None:
    body = joined(7, T0)
    for _ in range(2):
        answers = await asyncio.gather(
            *(post_prosody(hooks, "occupant/joined", body) for _ in range(50))
        )
        assert {a.status for a in answers} == {200}
    duplicates = [(await a.json())["duplicate"] for a in answers]
    assert duplicates.count(False) == 0  # the second wave found it stored
    assert len(await rows(hooks, WebhookEvent)) == 1
    await applied(hooks)
    assert len(await rows(hooks, Attendance)) == 1


async def test_room_destroyed_repairs_what_was_missed(hooks: Client) -> None:
    # The service saw only Ana's join; Ben's join and both leaves happened while it was down.
    assert (await post_prosody(hooks, "occupant/joined", joined(1, T0))).status == 200
    await applied(hooks)
    everyone = [occupant(1, T0, T0 + 3600), occupant(2, T0 + 60, T0 + 1800)]
    assert (
        await post_prosody(hooks, "room/destroyed", destroyed(T0 + 3600, everyone))
    ).status == 200
    await applied(hooks)
    stays = {s.name: s for s in await rows(hooks, Attendance)}
    assert set(stays) == {"Person 1", "Person 2"}
    assert stays["Person 2"].joined_at == datetime.fromtimestamp(T0 + 60, UTC)
    assert stays["Person 2"].left_at == datetime.fromtimestamp(T0 + 1800, UTC)
    assert stays["Person 1"].left_at == datetime.fromtimestamp(T0 + 3600, UTC)


async def test_phone_callers_and_jicofo(hooks: Client) -> None:
    caller = joined(3, T0)
    caller["occupant"]["occupant_jid"] = "jigasi@auth.meet.jitsi/call-1"
    caller["occupant"]["name"] = "+44 7700 900123"
    focus = joined(4, T0)
    focus["occupant"]["occupant_jid"] = "focus@auth.meet.jitsi/focus"
    for body in (caller, focus):
        assert (await post_prosody(hooks, "occupant/joined", body)).status == 200
    await applied(hooks)
    [stay] = await rows(hooks, Attendance)  # Jicofo is not a person
    assert stay.kind == "phone"
    assert stay.name == "…123"  # Jigasi names callers by their number: never stored whole


async def test_tenant_rooms(hooks: Client) -> None:
    body = joined(5, T0)
    body["room_jid"] = "[acme]council@muc.meet.jitsi"
    body["room_name"] = "[acme]council"
    assert (await post_prosody(hooks, "occupant/joined", body)).status == 200
    await applied(hooks)
    [stay] = await rows(hooks, Attendance)
    assert (stay.tenant, stay.room) == ("acme", "council")


@pytest.mark.usefixtures("signed_in_facilitator")
async def test_a_session_started_later_picks_up_the_rooms_attendance(
    hooks: Client, client: Client
) -> None:
    # Events arrive for a room with no session yet: stored and answered like any other.
    now = int(app_of(hooks)[keys.CLOCK].now().timestamp())
    body = joined(9, now - 600)
    body["occupant"]["name"] = "Early Bird"
    assert (await post_prosody(hooks, "occupant/joined", body)).status == 200
    await applied(hooks)
    # `client` runs on the same database file: start the session there.
    response = await post_form(client, "/sessions", {"meeting": "https://meet.example.org/CatchUp"})
    page = await (await client.get(response.headers["Location"])).text()
    assert "Early Bird" in page


async def test_database_down_is_503_so_the_sender_retries(
    aiohttp_client: Any, hook_settings: Any, clock: Any
) -> None:
    from tests.support.app import app_for

    down = hook_settings.model_copy(
        update={"database_url": "postgresql://postgres@127.0.0.1:9/nowhere"}
    )
    client = await aiohttp_client(app_for(down, clock))
    response = await post_prosody(client, "occupant/joined", joined(1, T0))
    assert response.status == 503
    assert response.headers["Retry-After"]


async def test_keys_are_kept_at_least_72_hours_then_purged(hooks: Client) -> None:
    app = app_of(hooks)
    clock = app[keys.CLOCK]
    assert isinstance(clock, FixedClock)
    body = joined(8, T0)
    assert (await post_prosody(hooks, "occupant/joined", body)).status == 200
    await applied(hooks)
    keep, retention = timedelta(hours=72), timedelta(days=90)
    clock.advance(timedelta(hours=71))
    await app[keys.INTAKE].purge(keep, retention)
    again = await post_prosody(hooks, "occupant/joined", body)
    assert (await again.json())["duplicate"] is True  # still remembered
    clock.advance(timedelta(hours=2))
    await app[keys.INTAKE].purge(keep, retention)
    assert await rows(hooks, WebhookEvent) == []
    assert len(await rows(hooks, Attendance)) == 1  # attendance follows the retention period
    clock.advance(retention)
    await app[keys.INTAKE].purge(keep, retention)
    assert await rows(hooks, Attendance) == []
