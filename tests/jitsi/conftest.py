"""Prosody on free loopback ports, the Jitsi stand-in, and the app wired to them."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from facilitation.live_events import LiveEvent
from plugin import keys
from plugin.clock import Clock
from plugin.jitsi.bot import MeetingBot
from plugin.settings import Settings
from tests.conftest import AddAccount, Client, app_of, login, post_form
from tests.support import prosody
from tests.support.app import app_for
from tests.support.jitsi_standin import JitsiStandIn
from tests.support.participant import Participant

pytestmark = pytest.mark.prosody

if shutil.which("prosody") is None:  # pragma: no cover - the Makefile installs it
    raise RuntimeError("Debian's prosody is missing: run `make test`, which installs it")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[prosody.Prosody]:
    instance = prosody.Prosody(tmp_path / "prosody")
    instance.start()
    yield instance
    instance.stop()


@pytest.fixture
async def standin(server: prosody.Prosody) -> AsyncIterator[JitsiStandIn]:
    instance = JitsiStandIn(server)
    await instance.start()
    yield instance
    await instance.close()


@pytest.fixture
def jitsi_settings(settings: Settings, server: prosody.Prosody) -> Settings:
    return settings.model_copy(
        update={
            "bot_enabled": True,
            "xmpp_websocket_url": server.websocket_url,
            "xmpp_domain": prosody.DOMAIN,
            "muc_domain": prosody.MUC,
            "focus_domain": prosody.FOCUS,
            "breakout_domain": prosody.BREAKOUT,
            "polls_domain": prosody.POLLS,
            "xmpp_ping_seconds": 2.0,
            "xmpp_ping_timeout_seconds": 2.0,
            "reconnect_max_seconds": 4.0,
        }
    )


MakeClient = Callable[..., Awaitable[Client]]


@pytest.fixture
def make_client(
    aiohttp_client: Callable[..., Awaitable[Client]],
    jitsi_settings: Settings,
    standin: JitsiStandIn,
    add_account: AddAccount,
) -> MakeClient:
    """A running app with the connector on, the real clock and any settings changed,
    signed in as facilitator "fran" (created on first use)."""
    made: list[Client] = []

    async def make(**changes: Any) -> Client:
        settings = jitsi_settings.model_copy(update=changes)
        client = await aiohttp_client(app_for(settings, Clock()))
        if not made:
            await add_account("fran")
        made.append(client)
        await login(client, "fran")
        return client

    return make


@pytest.fixture
async def jitsi_client(make_client: MakeClient) -> Client:
    return await make_client()


async def restart(server: prosody.Prosody) -> JitsiStandIn:
    """Start a killed Prosody again on the same ports, with a fresh focus stand-in."""
    server.start()
    replacement = JitsiStandIn(server)
    await replacement.start()
    return replacement


async def start_session(client: Client, link: str) -> tuple[str, MeetingBot]:
    response = await post_form(client, "/sessions", {"meeting": link})
    assert response.status == 303, await response.text()
    session_id = response.headers["Location"].rsplit("/", 1)[-1]
    bot = app_of(client)[keys.CONNECTOR].bot(session_id)
    assert bot is not None, "starting a session sends a bot"
    await asyncio.wait_for(bot.wait_ready(), 15)
    return session_id, bot


class ConsoleFeed:
    """The console WebSocket of one session, as a browser would hold it."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    async def next(self, event: LiveEvent, **match: Any) -> dict[str, Any]:
        async with asyncio.timeout(10):
            while True:
                message = await self.ws.receive_json()
                if message["event"] == event.value and all(
                    message.get(key) == value for key, value in match.items()
                ):
                    return dict(message)

    async def next_where(
        self, event: LiveEvent, accept: Callable[[dict[str, Any]], bool], within: float = 10.0
    ) -> dict[str, Any]:
        """The next `event` that `accept` takes (for lists sent again on every change)."""
        async with asyncio.timeout(within):
            while True:
                message = await self.next(event)
                if accept(message):
                    return message


async def open_feed(client: Client, session_id: str) -> ConsoleFeed:
    origin = str(client.make_url("/")).rstrip("/")
    ws = await client.ws_connect(f"/sessions/{session_id}/live", headers={"Origin": origin})
    feed = ConsoleFeed(ws)
    await feed.next(LiveEvent.CONSOLE_READY)
    return feed


async def joined(server: prosody.Prosody, room: str, name: str, **kw: Any) -> Participant:
    person = Participant(server, room, name, **kw)
    await person.connect()
    await person.join()
    return person


async def until(predicate: Callable[[], bool], within: float = 10.0) -> None:
    """Wait for a condition on state the bot updates from the network."""
    async with asyncio.timeout(within):
        while not predicate():
            await asyncio.sleep(0.02)


async def live_session(client: Client, link: str) -> tuple[str, MeetingBot, ConsoleFeed]:
    """Start a session, wait for its bot to be in the meeting, and watch its console."""
    session_id, bot = await start_session(client, link)
    return session_id, bot, await open_feed(client, session_id)
