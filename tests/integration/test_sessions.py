"""Starting a session from a meeting link, the console, the join page, ending."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from yarl import URL

from facilitation.roles import Role
from plugin.db import audit
from plugin.db.engine import Database, make_engine
from plugin.settings import Settings
from tests.conftest import AddAccount, Client, csrf_from, login, post_form

SESSION_URL = re.compile(r"^/sessions/([A-Za-z0-9_-]+)$")


async def start_many(client: Client, link: str, times: int) -> list[Any]:
    """The same Start click sent `times` times at once (double clicks, two tabs)."""
    token = await csrf_from(client, "/")
    data = {"meeting": link, "csrf_token": token}
    return await asyncio.gather(
        *(client.post("/sessions", data=data, allow_redirects=False) for _ in range(times))
    )


async def start(client: Client, link: str) -> str:
    response = await post_form(client, "/sessions", {"meeting": link})
    assert response.status == 303, await response.text()
    match = SESSION_URL.match(response.headers["Location"])
    assert match
    return match.group(1)


@pytest.mark.usefixtures("signed_in_facilitator")
async def test_start_from_link_shows_console_with_join_link(
    client: Client, settings: Settings
) -> None:
    session_id = await start(client, "https://meet.example.org/CoproCircle")
    console = await client.get(f"/sessions/{session_id}")
    text = await console.text()
    assert console.status == 200
    assert "<h1>CoproCircle" in text
    join = re.search(r"http://127\.0\.0\.1:8080/join/([A-Z0-9]{8})", text)
    assert join, "join link missing"
    for panel in ("Speaking queue", "Breakout groups", "Warm-ups", "Check-out"):
        assert panel in text
    assert f'data-live-url="/sessions/{session_id}/live"' in text
    join_page = await client.get(f"/join/{join.group(1)}")
    assert join_page.status == 200
    assert "https://meet.example.org/CoproCircle" in await join_page.text()
    database = Database(make_engine(settings.database_url))
    async with database.session() as db:
        entries = await audit.entries_for(db, f"session:{session_id}")
    await database.close()
    assert [e.action for e in entries] == ["session.started"]


@pytest.mark.parametrize(
    ("link", "message"),
    [
        ("", "paste the link"),
        ("https://zoom.example.com/j/123", "not on our Jitsi server"),
        ("https://meet.example.org/", "no meeting name"),
        ("https://meet.example.org/My%20Meeting", "cannot contain spaces"),
        ("https://meet.example.org/a/b/c", "too many parts"),
        ("https://meet.example.org/static", "not a meeting"),
        ("not a link at all", "not on our Jitsi server"),
        ("https://meet.example.org/" + "x" * 2100, "too long"),
    ],
)
@pytest.mark.usefixtures("signed_in_facilitator")
async def test_bad_links_get_a_plain_message_on_the_form(
    client: Client, link: str, message: str
) -> None:
    response = await post_form(client, "/sessions", {"meeting": link})
    assert response.status == 400
    text = await response.text()
    assert message in text
    assert 'aria-invalid="true"' in text
    assert "<title>Error:" in text


async def test_same_room_twice_gives_the_same_session(
    client: Client, add_account: AddAccount, second_client: Client
) -> None:
    await add_account("fran")
    await add_account("kit")
    await login(client, "fran")
    await login(second_client, "kit")
    first = await start(client, "https://meet.example.org/CoproCircle")
    assert await start(client, "meet.example.org/coprocircle/") == first
    # Another facilitator who pastes the same link is told it runs; they are not let in.
    other = await post_form(second_client, "/sessions", {"meeting": "meet.example.org/COPROCIRCLE"})
    assert other.status == 409
    assert (await second_client.get(f"/sessions/{first}")).status == 404
    other_tenant = await start(client, "https://meet.example.org/haven/CoproCircle")
    assert other_tenant != first


@pytest.mark.usefixtures("signed_in_facilitator")
async def test_concurrent_starts_make_one_session(client: Client) -> None:
    responses = await start_many(client, "https://meet.example.org/Race", 8)
    locations = {r.headers["Location"] for r in responses}
    assert [r.status for r in responses] == [303] * 8
    assert len(locations) == 1


async def test_bookmark_flow_confirms_before_starting(
    client: Client, add_account: AddAccount
) -> None:
    await add_account("fran")
    link = "https://video.example.net/jitsi/team/Weekly"
    anonymous = await client.get("/sessions/new", params={"meeting": link}, allow_redirects=False)
    assert anonymous.status == 303
    target = URL(anonymous.headers["Location"])
    assert target.path == "/login"
    assert URL(target.query["next"]).query["meeting"] == link
    await login(client, "fran")
    page = await client.get("/sessions/new", params={"meeting": link})
    text = await page.text()
    assert page.status == 200
    assert "Weekly" in text
    assert "(team)" in text
    assert "No sessions yet" in (await (await client.get("/")).text())
    session_id = await start(client, link)
    existing = await client.get("/sessions/new", params={"meeting": link})
    assert f"/sessions/{session_id}" in await existing.text()
    bad = await client.get("/sessions/new", params={"meeting": "https://elsewhere.example/x"})
    assert bad.status == 400
    assert "not on our Jitsi server" in await bad.text()


async def test_hosts_cannot_start_and_strangers_cannot_see(
    client: Client, add_account: AddAccount, second_client: Client
) -> None:
    await add_account("fran")
    await add_account("hana", Role.HOST)
    await login(client, "fran")
    session_id = await start(client, "https://meet.example.org/Private")
    await login(second_client, "hana")
    assert (
        await post_form(second_client, "/sessions", {"meeting": "https://meet.example.org/X"})
    ).status == 403
    assert (await second_client.get(f"/sessions/{session_id}")).status == 404
    assert "Private" not in await (await second_client.get("/")).text()


async def test_admin_sees_every_session(
    client: Client, add_account: AddAccount, second_client: Client
) -> None:
    await add_account("fran")
    await add_account("root", Role.ADMIN)
    await login(client, "fran")
    session_id = await start(client, "https://meet.example.org/Circle")
    await login(second_client, "root")
    assert (await second_client.get(f"/sessions/{session_id}")).status == 200


@pytest.mark.usefixtures("signed_in_facilitator")
async def test_ending_frees_the_room_for_a_new_session(client: Client) -> None:
    first = await start(client, "https://meet.example.org/Circle")
    response = await post_form(client, f"/sessions/{first}/end", {}, page=f"/sessions/{first}")
    assert response.status == 303
    console = await (await client.get(f"/sessions/{first}")).text()
    assert "ended" in console
    assert "End session now" not in console
    second = await start(client, "https://meet.example.org/Circle")
    assert second != first


async def test_unknown_join_code_is_404(client: Client) -> None:
    response = await client.get("/join/NOPE2345")
    assert response.status == 404
    assert "could not find" in await response.text()
