"""Sessions open only to their team: a facilitator who pastes the link of a meeting someone
else runs learns who runs it and may ask to join, and nothing more; the team says yes or no,
or adds co-facilitators by username."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestClient
from sqlmodel import select
from yarl import URL

from facilitation.live_events import LiveEvent
from facilitation.roles import Role
from plugin.db import audit
from plugin.db.engine import Database, make_engine
from plugin.db.models import SessionMember
from plugin.settings import Settings
from tests.conftest import AddAccount, Client, csrf_from, login, post_form
from tests.integration.test_sessions import start
from tests.jitsi.conftest import open_feed

LINK = "https://meet.example.org/CoproCircle"
NEW = "/sessions/new?" + urlencode({"meeting": LINK})
CONSOLE = {"X-Requested-With": "console"}  # what console.js sends for a panel


@pytest.fixture
async def running(client: Client, second_client: Client, add_account: AddAccount) -> str:
    """Fran runs CoproCircle in `client`; Kit, another facilitator, is signed in on
    `second_client`. Returns the session id."""
    await add_account("fran")
    await add_account("kit")
    await login(client, "fran")
    await login(second_client, "kit")
    return await start(client, LINK)


async def _ask(client: Client) -> Any:
    return await post_form(client, "/sessions/ask", {"meeting": LINK}, page=NEW)


async def _answer(client: Client, session_id: str, account_id: int, answer: str) -> Any:
    console = f"/sessions/{session_id}"
    return await post_form(
        client, f"{console}/requests/{account_id}", {"answer": answer}, page=console
    )


async def _add(client: Client, session_id: str, username: str) -> Any:
    console = f"/sessions/{session_id}"
    return await post_form(client, f"{console}/facilitators", {"username": username}, console)


async def _audit(settings: Settings, session_id: str) -> list[str]:
    database = Database(make_engine(settings.database_url))
    async with database.session() as db:
        entries = await audit.entries_for(db, f"session:{session_id}")
    await database.close()
    return [entry.action for entry in entries]


async def _kit_id(client: Client, session_id: str) -> int:
    """Kit's account id, read from the Approve form on Fran's console."""
    text = await (await client.get(f"/sessions/{session_id}")).text()
    marker = f"/sessions/{session_id}/requests/"
    assert marker in text, "no request on the console"
    return int(text.split(marker, 1)[1].split('"', 1)[0])


async def test_pasting_a_running_meeting_shows_who_runs_it_and_no_way_in(
    second_client: Client, running: str
) -> None:
    pasted = await post_form(
        second_client, "/sessions", {"meeting": "meet.example.org/coprocircle"}
    )
    text = await pasted.text()
    assert pasted.status == 409
    assert "This meeting is already being run by Fran." in text
    assert "Ask to join" in text
    assert 'action="/sessions/ask"' in text
    assert running not in text
    assert all(running not in value for value in pasted.headers.values())
    for path in (
        f"/sessions/{running}",
        f"/review/sessions/{running}",
        f"/sessions/{running}/queue",
    ):
        assert (await second_client.get(path)).status == 404, path
    for path in ("/", NEW, "/review"):
        response = await second_client.get(path)
        assert response.status == 200, path
        assert running not in await response.text(), path
    assert "CoproCircle" not in await (await second_client.get("/")).text()


async def test_ask_then_approve_lets_them_run_it(
    client: Client, second_client: Client, running: str, settings: Settings
) -> None:
    asked = await _ask(second_client)
    assert asked.status == 303
    target = URL(asked.headers["Location"])
    assert (target.path, target.query["meeting"]) == ("/sessions/new", LINK)
    assert (await _ask(second_client)).status == 303  # asking twice changes nothing
    assert (await second_client.get(f"/sessions/{running}")).status == 404
    waiting = await (await second_client.get(NEW)).text()
    assert "You have asked to join" in waiting
    assert running not in waiting
    for path in ("/", "/review"):  # a request is not membership: not listed, not reviewed
        assert running not in await (await second_client.get(path)).text(), path
    console = await (await client.get(f"/sessions/{running}")).text()
    assert "Kit (kit) asks to help run this session." in console
    assert console.count('value="approve"') == 1
    approved = await _answer(client, running, await _kit_id(client, running), "approve")
    assert approved.status == 303
    assert approved.headers["Location"].endswith("?team=approved#team")
    kit_console = await second_client.get(f"/sessions/{running}")
    assert kit_console.status == 200
    assert "End session now" in await kit_console.text()
    assert running in await (await second_client.get("/")).text()
    assert "asks to help run" not in await (await client.get(f"/sessions/{running}")).text()
    assert await _audit(settings, running) == [
        "session.started",
        "session.join_asked",
        "session.join_approved",
    ]


async def test_declined_request_keeps_the_session_closed(
    client: Client, second_client: Client, running: str, settings: Settings
) -> None:
    await _ask(second_client)
    kit = await _kit_id(client, running)
    declined = await _answer(client, running, kit, "decline")
    assert declined.headers["Location"].endswith("?team=declined#team")
    assert (await second_client.get(f"/sessions/{running}")).status == 404
    assert "asks to help run" not in await (await client.get(f"/sessions/{running}")).text()
    assert "Ask to join" in await (await second_client.get(NEW)).text()  # may ask again
    again = await _answer(client, running, kit, "approve")  # an old page's button
    assert again.headers["Location"].endswith("?team=answered#team")
    assert (await second_client.get(f"/sessions/{running}")).status == 404
    assert (await _answer(client, running, kit, "maybe")).status == 400
    assert await _audit(settings, running) == [
        "session.started",
        "session.join_asked",
        "session.join_declined",
    ]


async def test_only_the_team_answers_requests(
    client: Client, second_client: Client, running: str
) -> None:
    await _ask(second_client)
    kit = await _kit_id(client, running)
    # Kit, not yet let in, cannot say yes for himself: for him the session does not exist.
    response = await post_form(
        second_client, f"/sessions/{running}/requests/{kit}", {"answer": "approve"}, page=NEW
    )
    assert response.status == 404
    assert (await second_client.get(f"/sessions/{running}")).status == 404
    assert "asks to help run" in await (await client.get(f"/sessions/{running}")).text()


async def test_co_facilitator_added_by_username_can_run_it(
    client: Client, second_client: Client, running: str, add_account: AddAccount, settings: Settings
) -> None:
    await add_account("hana", Role.HOST)
    unknown = await _add(client, running, "nobody")
    text = await unknown.text()
    assert unknown.status == 400
    assert "There is no account with the username “nobody”." in text
    assert 'aria-invalid="true"' in text
    summary = text.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert "There is a problem" in summary and 'href="#facilitator-username"' in summary
    host = await _add(client, running, "hana")
    assert host.status == 400
    assert "hana has a host account" in await host.text()
    assert (await second_client.get(f"/sessions/{running}")).status == 404
    added = await _add(client, running, " Kit ")
    assert added.headers["Location"].endswith("?team=added#team")
    assert (await _add(client, running, "kit")).headers["Location"].endswith("?team=already#team")
    ended = await post_form(second_client, f"/sessions/{running}/end", {}, f"/sessions/{running}")
    assert ended.status == 303
    assert "End session now" not in await (await client.get(f"/sessions/{running}")).text()
    assert "session.facilitator_added" in await _audit(settings, running)


async def test_strangers_cannot_add_themselves(second_client: Client, running: str) -> None:
    response = await post_form(
        second_client, f"/sessions/{running}/facilitators", {"username": "kit"}
    )
    assert response.status == 404
    assert (await second_client.get(f"/sessions/{running}")).status == 404


async def test_admin_still_opens_it_directly(
    second_client: Client, running: str, add_account: AddAccount
) -> None:
    await add_account("root", Role.ADMIN)
    await login(second_client, "root")
    pasted = await post_form(second_client, "/sessions", {"meeting": LINK})
    assert pasted.status == 303
    assert pasted.headers["Location"] == f"/sessions/{running}"
    assert (await second_client.get(f"/sessions/{running}")).status == 200
    assert f'href="/sessions/{running}"' in await (await second_client.get(NEW)).text()


async def test_double_clicks_ask_once_and_join_once_with_both_roles(
    client: Client, second_client: Client, running: str, settings: Settings
) -> None:
    token = await csrf_from(second_client, NEW)
    asks = await asyncio.gather(
        *(
            second_client.post(
                "/sessions/ask",
                data={"meeting": LINK, "csrf_token": token},
                allow_redirects=False,
            )
            for _ in range(6)
        )
    )
    assert {r.status for r in asks} == {303}
    kit = await _kit_id(client, running)
    answers = await asyncio.gather(*(_answer(client, running, kit, "approve") for _ in range(3)))
    assert {r.status for r in answers} == {303}
    database = Database(make_engine(settings.database_url))
    async with database.session() as db:
        query = select(SessionMember.role).where(
            SessionMember.session_id == running, SessionMember.account_id == kit
        )
        roles = (await db.exec(query)).all()
    await database.close()
    assert sorted(roles) == ["facilitator", "host"]
    assert await _audit(settings, running) == [
        "session.started",
        "session.join_asked",
        "session.join_approved",
    ]


async def test_an_unknown_host_is_named_in_the_consoles_error_summary(
    client: Client, running: str
) -> None:
    response = await post_form(
        client, f"/sessions/{running}/hosts", {"username": "nobody"}, f"/sessions/{running}"
    )
    page = await (await client.get(response.headers["Location"])).text()
    summary = page.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert "There is a problem" in summary and 'href="#host-username"' in summary
    assert 'id="host-username"' in page


async def _team_panel(client: Client, session_id: str) -> tuple[int, str]:
    response = await client.get(f"/sessions/{session_id}/team", headers=CONSOLE)
    return response.status, await response.text()


async def test_the_team_panel_follows_requests_live(
    client: Client, second_client: Client, running: str, add_account: AddAccount
) -> None:
    await add_account("lou")
    third: Client = TestClient(client.server)  # Lou's browser
    await third.start_server()
    fran = await open_feed(client, running)
    try:
        await _ask(second_client)
        # Only the event's name and how the team changed: no names, no account ids.
        assert await fran.next(LiveEvent.TEAM_UPDATED) == {
            "event": "teamUpdated",
            "sessionId": running,
            "change": "asked",
        }
        status, panel = await _team_panel(client, running)
        assert status == 200 and "<html" not in panel
        assert "Kit (kit) asks to help run this session." in panel
        assert panel.count('value="approve"') == 1 and 'id="facilitator-username"' in panel
        opened = await client.get(f"/sessions/{running}/team", allow_redirects=False)
        assert opened.headers["Location"] == f"/sessions/{running}#team"  # a page: the console
        # Kit may not run it yet: the same refusal as for every other panel.
        for panel_name in ("team", "queue", "rights", "breakouts", "warmups"):
            refused = await second_client.get(f"/sessions/{running}/{panel_name}", headers=CONSOLE)
            assert refused.status == 404, panel_name
        console = await (await client.get(f"/sessions/{running}")).text()
        assert f'data-team-url="/sessions/{running}/team"' in console
        assert 'data-text-asked="Someone asked to help run this session."' in console

        await _answer(client, running, await _kit_id(client, running), "approve")
        assert (await fran.next(LiveEvent.TEAM_UPDATED))["change"] == "approved"
        status, panel = await _team_panel(client, running)
        assert "asks to help run" not in panel and "<li>Kit</li>" in panel

        # Kit, now a co-host, watches too: Lou asks and Fran says no.
        kit = await open_feed(second_client, running)
        await login(third, "lou")
        await post_form(third, "/sessions/ask", {"meeting": LINK}, page=NEW)
        assert (await kit.next(LiveEvent.TEAM_UPDATED))["change"] == "asked"
        assert "Lou (lou) asks" in (await _team_panel(second_client, running))[1]
        lou = int(
            (await _team_panel(client, running))[1].split("/requests/", 1)[1].split('"', 1)[0]
        )
        await _answer(client, running, lou, "decline")
        assert (await kit.next(LiveEvent.TEAM_UPDATED))["change"] == "declined"
        assert "asks to help run" not in (await _team_panel(second_client, running))[1]
        await kit.ws.close()
    finally:
        await fran.ws.close()
        await third.close()


async def test_hosts_do_not_get_the_team_panel(
    client: Client, second_client: Client, running: str, add_account: AddAccount
) -> None:
    await add_account("hana", Role.HOST)
    console = f"/sessions/{running}"
    await post_form(client, f"{console}/hosts", {"username": "hana"}, console)
    await login(second_client, "hana")
    page = await second_client.get(console)
    assert page.status == 200 and "data-team-url" not in await page.text()
    assert (await second_client.get(f"{console}/queue", headers=CONSOLE)).status == 200
    assert (await _team_panel(second_client, running))[0] == 403  # as for every run-only route
