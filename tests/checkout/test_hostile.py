"""Odd and hostile input on the check-out and review surfaces: a clear 4xx, never a 5xx,
and nothing already saved is lost."""

from __future__ import annotations

import random

import pytest
from sqlmodel import select

from plugin import keys
from plugin.db.models import Checkout
from tests.checkout.conftest import add_people, personal_link, send_checkout, start_session
from tests.conftest import CSRF_INPUT, Client, app_of, csrf_from

FIELDS = ["feeling", "contact", "phone", "good_time", "other_way", "note", "feedback", "name"]
VALUES = [
    "",
    "ok",
    "struggling",
    "call_later",
    "other",
    "none",
    "0",
    "+44",
    "07700 900123",
    "x" * 2001,
    "\u202e\u0000",
    "é" * 300,
    "<script>alert(1)</script>",
    "'; DROP TABLE checkout; --",
    "\r\n" * 50,
    "🙂" * 100,
]


async def test_generated_check_out_posts_never_fail_and_never_lose_the_saved_answers(
    client: Client, signed_in_facilitator: None
) -> None:
    session_id = await start_session(client)
    ids = await add_people(client, session_id, ("Ann", "web"))
    path = await personal_link(client, session_id, ids["Ann"])
    assert (
        await send_checkout(client, path, {"feeling": "not_sure", "note": "keep me"})
    ).status == 303
    match = CSRF_INPUT.search(await (await client.get(path)).text())
    assert match
    rng = random.Random(7)
    statuses: set[int] = set()
    for _ in range(300):
        data = {
            name: rng.choice(VALUES) for name in rng.sample(FIELDS, rng.randint(0, len(FIELDS)))
        }
        data["csrf_token"] = match.group(1)
        if rng.random() < 0.2:
            data["feeling"] = "nope"
        if rng.random() < 0.5:  # one step of the page, or a step that does not exist
            data["step"] = rng.choice(["feeling", "contact", "details", "", "nope"])
        response = await client.post(path, data=data, allow_redirects=False)
        statuses.add(response.status)
        assert response.status < 500, (data, response.status)
        if response.status == 400:
            async with app_of(client)[keys.DATABASE].session() as db:
                (row,) = (await db.exec(select(Checkout))).all()
            assert row.feeling  # the last good answers are still there
    assert statuses <= {303, 400}
    assert statuses == {303, 400}


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"feeling=\xff\xfe", "application/x-www-form-urlencoded"),
        (b"feeling=ok", "application/x-www-form-urlencoded; charset=bogus"),
        (b"--x\r\n", "multipart/form-data"),
        (b'{"feeling": "ok"}', "application/json"),
    ],
)
async def test_unreadable_bodies_are_4xx(
    client: Client, signed_in_facilitator: None, body: bytes, content_type: str
) -> None:
    session_id = await start_session(client)
    path = await personal_link(client, session_id, None)
    token = CSRF_INPUT.search(await (await client.get(path)).text())
    assert token
    response = await client.post(
        path, data=body, headers={"Content-Type": content_type, "X-CSRF-Token": token.group(1)}
    )
    assert 400 <= response.status < 500


@pytest.mark.parametrize(
    "path",
    [
        "/review/flags/999999999999",  # past a 32-bit id: never reaches PostgreSQL
        "/review/flags/2147483648",
        "/review/flags/0",
        "/review/sessions/%00",
        "/review/sessions/" + "a" * 40,
        "/checkout/" + "é" * 20,
        "/join/" + "A" * 17 + "/checkout",
    ],
)
async def test_odd_ids_are_404(client: Client, signed_in_facilitator: None, path: str) -> None:
    assert (await client.get(path)).status == 404
    token = await csrf_from(client, "/")
    assert (await client.post(path, data={"csrf_token": token, "status": "open"})).status in (
        403,
        404,
        405,
    )
