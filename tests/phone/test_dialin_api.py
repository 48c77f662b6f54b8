"""Jitsi Meet's dial-in APIs: numbers and the conference mapper, and the PIN on the pages."""

from __future__ import annotations

import asyncio
import re

from sqlmodel import select

from plugin import keys
from plugin.db.models import ConferencePin
from tests.conftest import Client, app_of, post_form

CONFERENCE = "catchup@muc.meet.jitsi"
JITSI_ORIGIN = "https://meet.example.org"


async def test_numbers_in_jitsi_meets_array_format(client: Client) -> None:
    response = await client.get("/dial-in/numbers", params={"conference": CONFERENCE})
    assert response.status == 200
    assert await response.json() == [
        {
            "countryCode": "GB",
            "tollFree": False,
            "formattedNumber": "+44 20 7946 0000",
            "default": True,
        },
        {
            "countryCode": "GB",
            "tollFree": True,
            "formattedNumber": "+44 800 123 4567",
            "default": False,
        },
    ]


async def test_jitsi_meet_may_ask_from_its_own_origin(client: Client) -> None:
    response = await client.get("/dial-in/numbers", headers={"Origin": JITSI_ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == JITSI_ORIGIN
    other = await client.get("/dial-in/numbers", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


async def test_a_pin_is_allocated_on_first_request_and_stays(client: Client) -> None:
    first = await (
        await client.get("/dial-in/conference-mapper", params={"conference": CONFERENCE})
    ).json()
    assert first["conference"] == CONFERENCE
    assert first["message"] == "Successfully retrieved conference mapping"
    pin = first["id"]
    assert isinstance(pin, int)
    assert 1_000_000 <= pin <= 9_999_999  # 7 digits by default, no leading zero
    again = await (
        await client.get(
            "/dial-in/conference-mapper", params={"conference": "CatchUp@muc.meet.jitsi"}
        )
    ).json()
    assert again["id"] == pin  # stable (and room names are case-insensitive)
    back = await (await client.get("/dial-in/conference-mapper", params={"id": str(pin)})).json()
    assert back == {
        "message": "Successfully retrieved conference mapping",
        "id": pin,
        "conference": CONFERENCE,
    }


async def test_tenant_rooms_get_their_own_pins(client: Client) -> None:
    plain = await (
        await client.get("/dial-in/conference-mapper", params={"conference": CONFERENCE})
    ).json()
    tenant = await (
        await client.get(
            "/dial-in/conference-mapper", params={"conference": "catchup@muc.acme.meet.jitsi"}
        )
    ).json()
    assert tenant["conference"] == "catchup@muc.acme.meet.jitsi"
    assert tenant["id"] != plain["id"]


async def test_fifty_rooms_at_once_get_fifty_different_pins(client: Client) -> None:
    responses = await asyncio.gather(
        *(
            client.get(
                "/dial-in/conference-mapper", params={"conference": f"room{n}@muc.meet.jitsi"}
            )
            for n in range(50)
        ),
        *(
            client.get("/dial-in/conference-mapper", params={"conference": CONFERENCE})
            for _ in range(10)
        ),
    )
    bodies = [await r.json() for r in responses]
    assert {r.status for r in responses} == {200}
    rooms = {body["conference"]: body["id"] for body in bodies}
    assert len(rooms) == 51
    assert len(set(rooms.values())) == 51  # never shared
    assert (
        len({body["id"] for body in bodies[50:]}) == 1
    )  # one room asked 10 times at once: one PIN


async def test_unknown_pin_is_jitsis_not_found_shape(client: Client) -> None:
    response = await client.get("/dial-in/conference-mapper", params={"id": "4817263"})
    assert response.status == 200
    assert await response.json() == {
        "message": "No conference mapping was found",
        "id": 4817263,
        "conference": False,
    }


async def test_bad_requests_are_400_naming_the_problem(client: Client) -> None:
    cases = [
        ({"conference": "catchup@conference.other.org"}, "muc.meet.jitsi"),
        ({"conference": "catchup"}, "room@"),
        ({"conference": "x" * 700}, "too long"),
        ({"id": "12ab"}, "6 to 9 digits"),
        ({"id": "123"}, "6 to 9 digits"),
        ({}, "conference=ROOM@MUC or id=PIN"),
    ]
    for params, words in cases:
        response = await client.get("/dial-in/conference-mapper", params=params)
        assert response.status == 400, params
        assert words in (await response.json())["error"]
    other = await client.get("/dial-in/numbers", params={"conference": "a@other.org"})
    assert other.status == 400


async def test_guessing_pins_is_rate_limited(client: Client) -> None:
    for n in range(20):
        response = await client.get("/dial-in/conference-mapper", params={"id": str(5_000_000 + n)})
        assert response.status == 200
    blocked = await client.get("/dial-in/conference-mapper", params={"id": "5000999"})
    assert blocked.status == 429
    assert int(blocked.headers["Retry-After"]) > 0
    # Finding a room by name is not guessing: still allowed.
    named = await client.get("/dial-in/conference-mapper", params={"conference": CONFERENCE})
    assert named.status == 200


async def test_console_and_join_page_show_numbers_pin_and_a_tel_link(
    client: Client, signed_in_facilitator: None
) -> None:
    response = await post_form(client, "/sessions", {"meeting": "https://meet.example.org/CatchUp"})
    console = await (await client.get(response.headers["Location"])).text()
    pin = (
        await (
            await client.get("/dial-in/conference-mapper", params={"conference": CONFERENCE})
        ).json()
    )["id"]
    digits = str(pin)
    assert f"{digits[:3]} {digits[3:]} #" in console
    assert "+44 20 7946 0000" in console
    assert f'href="tel:+442079460000,,,{digits}%23"' in console
    join_path = re.search(r'href="(http://127\.0\.0\.1:8080)?(/join/[A-Z0-9]+)"', console)
    assert join_path
    join = await (await client.get(join_path.group(2))).text()
    assert f"tel:+448001234567,,,{digits}%23" in join
    assert "Free phone number" in join
    async with app_of(client)[keys.DATABASE].session() as db:
        rows = (await db.exec(select(ConferencePin))).all()
    assert [row.conference for row in rows] == [CONFERENCE]
