"""The meeting-code form at /checkout (where Jitsi's close page sends people): wrong codes
from one address are limited; a right code always goes through."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import col, func, select

from plugin import keys
from plugin.db.models import LoginFailure
from tests.checkout.conftest import join_code, start_session
from tests.conftest import CSRF_INPUT, Client, app_of


async def send_code(client: Client, code: str) -> Any:
    page = await client.get("/checkout")
    csrf = CSRF_INPUT.search(await page.text())
    assert csrf
    data = {"code": code, "csrf_token": csrf.group(1)}
    return await client.post("/checkout", data=data, allow_redirects=False)


async def counted(client: Client) -> int:
    async with app_of(client)[keys.DATABASE].session() as db:
        query = select(func.count()).where(col(LoginFailure.key).startswith("checkout:"))
        return int((await db.exec(query)).one())


async def test_wrong_codes_are_limited_but_a_right_code_always_goes_through(
    client: Client, signed_in_facilitator: None
) -> None:
    session_id = await start_session(client)
    code = await join_code(client, session_id)
    for n in range(20):
        assert (await send_code(client, f"WRONG{n:03d}")).status == 400
    assert (await send_code(client, code)).status == 303  # right codes are not counted
    assert await counted(client) == 20
    blocked = await send_code(client, "WRONG999")
    assert blocked.status == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "Too many" in await blocked.text()
    assert await counted(client) == 20  # refused misses are not written down
    # Someone beside the guesser (a day centre, one address) still checks out.
    right = await send_code(client, code.lower())
    assert right.status == 303
    assert right.headers["Location"].startswith("/checkout/")
    app_of(client)[keys.CLOCK].advance(timedelta(minutes=11))  # type: ignore[attr-defined]
    assert (await send_code(client, "WRONG999")).status == 400


async def test_a_malformed_code_counts_as_a_wrong_one(
    client: Client, signed_in_facilitator: None
) -> None:
    for n in range(20):
        assert (await send_code(client, f"no-such code! {n}")).status == 400
    assert (await send_code(client, "")).status == 429
