"""The console WebSocket: who may connect, and what it pushes."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from facilitation.live_events import LiveEvent
from plugin import keys
from tests.conftest import AddAccount, Client, app_of, login, post_form
from tests.integration.test_sessions import start


async def _origin(client: Client) -> str:
    return str(client.make_url("/")).rstrip("/")


@pytest.mark.usefixtures("signed_in_facilitator")
async def test_console_receives_ready_participant_and_ended_events(client: Client) -> None:
    session_id = await start(client, "https://meet.example.org/Circle")
    async with client.ws_connect(
        f"/sessions/{session_id}/live", headers={"Origin": await _origin(client)}
    ) as ws:
        ready = await ws.receive_json(timeout=5)
        assert ready == {"event": "consoleReady", "sessionId": session_id, "ended": False}
        hub = app_of(client)[keys.HUB]
        delivered = hub.publish(
            session_id, LiveEvent.PARTICIPANT_JOINED, {"id": "abcd1234", "displayName": "Pat"}
        )
        assert delivered == 1
        joined = await ws.receive_json(timeout=5)
        assert joined == {
            "event": "participantJoined",
            "sessionId": session_id,
            "id": "abcd1234",
            "displayName": "Pat",
        }
        await post_form(client, f"/sessions/{session_id}/end", {}, page=f"/sessions/{session_id}")
        ended = await ws.receive_json(timeout=5)
        assert ended["event"] == "sessionEnded"


@pytest.mark.usefixtures("signed_in_facilitator")
async def test_events_stay_within_their_session(client: Client) -> None:
    one = await start(client, "https://meet.example.org/One")
    two = await start(client, "https://meet.example.org/Two")
    async with client.ws_connect(
        f"/sessions/{one}/live", headers={"Origin": await _origin(client)}
    ) as ws:
        await ws.receive_json(timeout=5)
        hub = app_of(client)[keys.HUB]
        assert hub.publish(two, LiveEvent.PARTICIPANT_JOINED, {"id": "x"}) == 0
        hub.publish(one, LiveEvent.PARTICIPANT_LEFT, {"id": "y"})
        assert (await ws.receive_json(timeout=5))["event"] == "participantLeft"


async def test_signed_out_foreign_origin_and_strangers_are_refused(
    client: Client, add_account: AddAccount, second_client: Client
) -> None:
    await add_account("fran")
    await add_account("kit")
    await login(client, "fran")
    session_id = await start(client, "https://meet.example.org/Circle")
    path = f"/sessions/{session_id}/live"
    with pytest.raises(aiohttp.WSServerHandshakeError) as anonymous:
        await second_client.ws_connect(path, headers={"Origin": await _origin(client)})
    assert anonymous.value.status == 401
    with pytest.raises(aiohttp.WSServerHandshakeError) as foreign:
        await client.ws_connect(path, headers={"Origin": "https://evil.example.com"})
    assert foreign.value.status == 403
    await login(second_client, "kit")
    with pytest.raises(aiohttp.WSServerHandshakeError) as stranger:
        await second_client.ws_connect(path, headers={"Origin": await _origin(client)})
    assert stranger.value.status == 404


async def test_signing_out_closes_an_open_console(
    client: Client, add_account: AddAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("plugin.web.routes_live.RECHECK_SECONDS", 0.2)
    await add_account("fran")
    await login(client, "fran")
    session_id = await start(client, "https://meet.example.org/Circle")
    async with client.ws_connect(
        f"/sessions/{session_id}/live", headers={"Origin": await _origin(client)}
    ) as ws:
        assert (await ws.receive_json(timeout=5))["event"] == "consoleReady"
        await asyncio.sleep(0.5)  # rechecks while still signed in keep the feed open
        assert not ws.closed
        await post_form(client, "/logout", {})
        closing = await ws.receive(timeout=5)
        assert closing.type == aiohttp.WSMsgType.CLOSE
        assert closing.data == 4401
