"""Wrong meeting codes on the join page (/join/{code}, and a group's page) from one address
are limited, like those on the check-out code form; a right code always goes through."""

from __future__ import annotations

import math
import re
from datetime import timedelta

from sqlmodel import col, func, select

from plugin import keys
from plugin.clock import FixedClock
from plugin.db.models import LoginFailure, MeetingSession
from tests.checkout.conftest import join_code, start_session
from tests.conftest import CSRF_INPUT, Client, app_of

TOO_MANY = re.compile(
    r"Too many wrong meeting links from here\. Please wait (\d+) (minutes?) and try again, "
    r"or ask the person who invited you for the link\."
)


async def counted(client: Client) -> int:
    async with app_of(client)[keys.DATABASE].session() as db:
        query = select(func.count()).where(col(LoginFailure.key).startswith("join:"))
        return int((await db.exec(query)).one())


async def test_wrong_codes_are_limited_but_a_right_code_always_goes_through(
    client: Client, second_client: Client, signed_in_facilitator: None, clock: FixedClock
) -> None:
    code = await join_code(client, await start_session(client))
    # The guesser and the person beside them (a day centre: one address) are not signed in.
    guesser, neighbour = second_client, client
    for n in range(19):
        assert (await guesser.get(f"/join/WRONG{n:03d}")).status == 404
    assert (await guesser.get("/join/WRONG019/groups/1")).status == 404  # groups count too
    assert await counted(client) == 20
    assert (await neighbour.get(f"/join/{code}")).status == 200  # right codes are not counted
    assert await counted(client) == 20

    blocked = await guesser.get("/join/WRONG999")
    assert blocked.status == 429
    wait = int(blocked.headers["Retry-After"])
    assert 0 < wait <= 601
    assert blocked.headers["Referrer-Policy"] == "no-referrer"
    found = TOO_MANY.search(await blocked.text())
    assert found, await blocked.text()
    assert int(found.group(1)) == math.ceil(wait / 60)
    assert (await guesser.get("/join/WRONG999/groups/2")).status == 429
    assert await counted(client) == 20  # refused misses are not written down

    # Over the limit, a right code still opens the meeting (and its group links still work).
    assert (await neighbour.get(f"/join/{code}")).status == 200
    assert (await guesser.get(f"/join/{code.lower()}")).status == 200
    group = await guesser.get(f"/join/{code}/groups/1", allow_redirects=False)
    assert group.status == 303  # no groups open: back to the main meeting, not refused
    assert group.headers["Location"] == f"/join/{code}"

    clock.advance(timedelta(minutes=9, seconds=30))
    nearly = await guesser.get("/join/WRONG999")
    assert nearly.status == 429
    found = TOO_MANY.search(await nearly.text())
    assert found and found.group(1, 2) == ("1", "minute")
    clock.advance(timedelta(seconds=31))
    assert (await guesser.get("/join/WRONG999")).status == 404
    assert await counted(client) == 21


async def test_a_purged_session_counts_as_a_wrong_code(
    client: Client, signed_in_facilitator: None, clock: FixedClock
) -> None:
    session_id = await start_session(client)
    code = await join_code(client, session_id)
    async with app_of(client)[keys.DATABASE].session() as db:
        session = await db.get(MeetingSession, session_id)
        assert session is not None
        session.purged_at = clock.now()
        db.add(session)
        await db.commit()
    assert (await client.get(f"/join/{code}")).status == 404
    assert (await client.get(f"/join/{code}/groups/1")).status == 404
    assert await counted(client) == 2


async def test_the_join_pages_check_out_button_shares_the_limit(
    client: Client, second_client: Client, signed_in_facilitator: None
) -> None:
    """POST /join/{code}/checkout answers the same question as the page: its misses count
    against the same limit, and past it they are refused unwritten."""
    await start_session(client)
    guesser = second_client
    form = await guesser.get("/checkout")
    token = CSRF_INPUT.search(await form.text())
    assert token
    for n in range(10):
        sent = await guesser.post(
            f"/join/WRONG{n:03d}/checkout",
            data={"csrf_token": token.group(1)},
            allow_redirects=False,
        )
        assert sent.status == 404, await sent.text()
        assert (await guesser.get(f"/join/OTHER{n:03d}")).status == 404
    assert await counted(client) == 20
    sent = await guesser.post(
        "/join/WRONG999/checkout", data={"csrf_token": token.group(1)}, allow_redirects=False
    )
    assert sent.status == 429
    assert int(sent.headers["Retry-After"]) > 0
    assert (await guesser.get("/join/OTHER999")).status == 429
    assert await counted(client) == 20
