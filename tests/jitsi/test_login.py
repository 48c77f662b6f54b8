"""The assistant logs in with an XMPP account, as on docker-jitsi-meet with ENABLE_AUTH=1,
AUTH_TYPE=internal and ENABLE_GUESTS=1: Jicofo makes logged-in users moderators, guests
join anonymously on the guest domain. Real Prosody (internal_hashed accounts on MEMBERS,
guests on the anonymous DOMAIN) and the Jicofo stand-in with XMPP authentication."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from facilitation.meeting_events import ConnectionInterrupted
from plugin import keys
from plugin.clock import Clock
from plugin.jitsi.bot import MeetingBot
from plugin.jitsi.bot_types import BotConfig, BotState
from plugin.jitsi.jid import RoomAddress
from plugin.jitsi.sasl import Credentials
from tests.conftest import app_of, post_form
from tests.jitsi.conftest import MakeClient, joined, start_session, until
from tests.support import prosody
from tests.support.jitsi_standin import JitsiStandIn
from tests.support.participant import FRAMING, Participant

USER = "facilitation"
PASSWORD = "correct horse: battery staple"
REFUSED = "the assistant's XMPP login was refused: not-authorized"
SASL = "urn:ietf:params:xml:ns:xmpp-sasl"


@pytest.fixture
def login_style() -> str:
    return "scram"


@pytest.fixture
def server(tmp_path: Path, login_style: str) -> Iterator[prosody.Prosody]:
    """Prosody with accounts on MEMBERS; the admin has registered the assistant's."""
    instance = prosody.Prosody(tmp_path / "prosody", login=login_style)
    instance.register(USER, PASSWORD)
    instance.register("host", "host password")
    instance.start()
    yield instance
    instance.stop()


@pytest.fixture
def authenticated(standin: JitsiStandIn) -> JitsiStandIn:
    """Jicofo with XMPP authentication on the login domain (docker: login-url XMPP_DOMAIN)."""
    standin.login_domain = prosody.MEMBERS
    return standin


def account(password: str = PASSWORD) -> dict[str, object]:
    return {
        "xmpp_username": USER,
        "xmpp_password": SecretStr(password),
        "xmpp_auth_domain": prosody.MEMBERS,
    }


class Member(Participant):
    """Someone who logs in on the login domain in Jitsi Meet (PLAIN: a loopback server)."""

    def __init__(self, server: prosody.Prosody, room: str, name: str, password: str) -> None:
        super().__init__(server, room, name)
        self.user, self.password = name.lower(), password

    async def connect(self) -> None:
        self.ws = await connect(
            f"{self.server.websocket_url}?room={self.room}", subprotocols=[Subprotocol("xmpp")]
        )
        await self._open_members()
        token = base64.b64encode(f"\0{self.user}\0{self.password}".encode()).decode()
        await self.ws.send(f"<auth xmlns='{SASL}' mechanism='PLAIN'>{token}</auth>")
        await self._expect("success")
        await self._open_members()
        await self.ws.send(
            "<iq xmlns='jabber:client' type='set' id='bind1'>"
            "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>"
        )
        bound = await self._expect("iq")
        jid = bound.find(".//{urn:ietf:params:xml:ns:xmpp-bind}jid")
        assert jid is not None and jid.text
        self.jid = jid.text
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _open_members(self) -> None:
        assert self.ws is not None
        await self.ws.send(f"<open xmlns='{FRAMING}' to='{prosody.MEMBERS}' version='1.0'/>")
        await self._expect("features")


def role_of(person: Participant) -> str:
    """The person's role as their own latest self-presence says."""
    presence = person.presences[f"{person.room_jid}/{person.nick}"]
    item = presence.find(".//{http://jabber.org/protocol/muc#user}item")
    return "" if item is None else item.get("role", "")


async def test_the_assistant_logs_in_with_scram_and_is_moderator_though_a_guest_came_first(
    make_client: MakeClient,
    server: prosody.Prosody,
    authenticated: JitsiStandIn,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="plugin.jitsi")
    # A host opens the room (only logged-in users may), a guest comes in, the host leaves:
    # the guest is alone in the room before the assistant, and is not a moderator.
    host = Member(server, "scram", "Host", "host password")
    await host.connect()
    await host.join()
    guest = await joined(server, "scram", "Guest")
    await host.leave()
    await until(lambda: host.nick not in authenticated.rooms[guest.room_jid].occupants)
    assert role_of(guest) == "participant"

    client = await make_client(**account())
    _, bot = await start_session(client, "https://meet.example.org/Scram")

    await until(lambda: bot.role == "moderator")
    assert bot.stream is not None and bot.stream.jid is not None
    assert bot.stream.jid.domain == prosody.MEMBERS
    assert f"logged in to {prosody.MEMBERS} as {USER} with SCRAM-SHA-1" in caplog.text
    await asyncio.sleep(0.3)
    assert role_of(guest) == "participant", "logging in gives no one else the seat"
    assert PASSWORD not in caplog.text
    assert PASSWORD not in repr(bot.config) and PASSWORD not in repr(app_of(client)[keys.SETTINGS])
    await host.close()
    await guest.close()


@pytest.mark.parametrize("login_style", ["plain"])
async def test_plain_when_the_server_offers_only_plain(
    make_client: MakeClient, authenticated: JitsiStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="plugin.jitsi")
    client = await make_client(**account())
    _, bot = await start_session(client, "https://meet.example.org/Plain")
    await until(lambda: bot.role == "moderator")
    assert f"logged in to {prosody.MEMBERS} as {USER} with PLAIN" in caplog.text


async def test_a_wrong_password_is_said_plainly_and_not_tried_again_at_once(
    make_client: MakeClient, authenticated: JitsiStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    client = await make_client(**account("not the password"))  # reconnects within 4 s
    seen: list[ConnectionInterrupted] = []
    app_of(client)[keys.BUS].subscribe(ConnectionInterrupted, seen.append)
    response = await post_form(client, "/sessions", {"meeting": "https://meet.example.org/Wrong"})
    assert response.status == 303, await response.text()
    bot = app_of(client)[keys.CONNECTOR].bot(response.headers["Location"].rsplit("/", 1)[-1])
    assert bot is not None

    await until(lambda: bot.state is BotState.INTERRUPTED)
    await asyncio.sleep(3)  # ordinary backoff would have tried two or three times by now
    refusals = [
        r for r in caplog.records if REFUSED in r.getMessage() and "interrupted" in r.getMessage()
    ]
    assert len(refusals) == 1
    assert [event.reason for event in seen] == [REFUSED], "the console is told why, once"
    assert not bot.ready and authenticated.conference_requests == []
    console = await (await client.get(response.headers["Location"])).text()
    assert "Jitsi refused the assistant's login (not-authorized)." in console
    assert "not the password" not in console


async def test_a_refused_login_gives_up_after_a_few_slow_tries(
    server: prosody.Prosody, authenticated: JitsiStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    events: list[object] = []
    config = BotConfig(
        make_url=lambda: f"{server.websocket_url}?room=giveup",
        domain=prosody.DOMAIN,
        focus=prosody.FOCUS,
        breakout=prosody.BREAKOUT,
        polls=prosody.POLLS,
        display_name="Facilitation assistant",
        credentials=Credentials(USER, prosody.MEMBERS, "not the password"),
        login_retry_seconds=0.2,
        login_attempts=3,
    )
    bot = MeetingBot("s1", RoomAddress("giveup", None, prosody.MUC), config, events.append, Clock())

    await asyncio.wait_for(bot.run(), 10)  # returns: it stays out instead of looping

    assert bot.state is BotState.STOPPED
    tries = [r for r in caplog.records if REFUSED in r.getMessage()]
    assert len([r for r in tries if "interrupted" in r.getMessage()]) == 3
    assert any("stays out" in r.getMessage() for r in tries)


async def test_auto_owner_elects_a_new_moderator_only_when_the_moderator_leaves(
    make_client: MakeClient, server: prosody.Prosody, standin: JitsiStandIn
) -> None:
    # No authentication: Jicofo's auto-owner keeps exactly one moderator.
    standin.trusted_domains = {prosody.DOMAIN}  # where this Jigasi logs in
    first = await joined(server, "owner", "First")
    caller = await joined(server, "owner", "Caller", phone=True)  # Jigasi: never elected
    second = await joined(server, "owner", "Second")
    third = await joined(server, "owner", "Third")
    client = await make_client()
    _, bot = await start_session(client, "https://meet.example.org/Owner")
    await until(lambda: role_of(first) == "moderator")
    await asyncio.sleep(0.3)
    assert [role_of(p) for p in (caller, second, third)] == ["participant"] * 3
    assert bot.role == "participant"

    await third.leave()  # someone else leaving changes nothing
    await asyncio.sleep(0.3)
    assert [role_of(p) for p in (caller, second)] == ["participant"] * 2

    await first.leave()
    await until(lambda: role_of(second) == "moderator")
    await until(lambda: bot.roster.members[second.nick].role == "moderator")
    await asyncio.sleep(0.3)
    assert role_of(caller) == "participant", "a phone caller is a robot to Jicofo"
    assert bot.role == "participant", "exactly one moderator at a time"
    for person in (first, caller, second, third):
        await person.close()
