"""The bot in a real Prosody: joining through the focus stand-in, the roster, Jingle."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from pydantic import SecretStr
from sqlmodel import select

from facilitation.live_events import LiveEvent
from plugin import keys
from plugin.clock import FixedClock
from plugin.db.models import Participant
from plugin.jitsi.jid import NICKNAME
from tests.conftest import Client, app_of, post_form
from tests.jitsi.conftest import MakeClient, joined, live_session, open_feed, start_session, until
from tests.support import prosody
from tests.support.jitsi_standin import JINGLE, JitsiStandIn
from tests.support.participant import body_of
from tests.support.xep0114 import q

pytestmark = pytest.mark.prosody


async def test_bot_joins_through_focus_and_follows_the_room(
    jitsi_client: Client, server: prosody.Prosody, standin: JitsiStandIn
) -> None:
    session_id, bot = await start_session(jitsi_client, "https://meet.example.org/TeaCircle")
    assert standin.conference_requests == [f"teacircle@{prosody.MUC}"]
    assert bot.address.jid == f"teacircle@{prosody.MUC}"
    # Jitsi Meet's nickname: the start of the name the server gave the connection.
    assert bot.stream is not None and bot.stream.jid is not None
    prefix = bot.stream.jid.local[:8]
    if NICKNAME.match(prefix):
        assert bot.nick == prefix
    else:  # Prosody's own anonymous ids may hold '-': 8 random hex digits instead
        assert len(bot.nick) == 8 and all(c in "0123456789abcdef" for c in bot.nick)
    feed = await open_feed(jitsi_client, session_id)

    alice = await joined(server, "teacircle", "Alice")
    # Participants see the assistant under the configured display name.
    bot_presence = alice.presences[f"teacircle@{prosody.MUC}/{bot.nick}"]
    shown = bot_presence.find("{http://jabber.org/protocol/nick}nick")
    assert shown is not None
    assert shown.text == "Facilitation assistant"
    event = await feed.next(LiveEvent.PARTICIPANT_JOINED, id=alice.nick)
    assert (event["displayName"], event["kind"], event["handRaised"]) == ("Alice", "web", 0)
    # The focus stand-in made the first joiner (the bot) a moderator, as Jicofo does.
    await until(lambda: bot.role == "moderator")

    caller = await joined(server, "teacircle", "Caller ...123", phone=True)
    event = await feed.next(LiveEvent.PARTICIPANT_JOINED, id=caller.nick)
    assert event["kind"] == "phone"

    raised_at = 1_790_000_000_123
    await alice.raise_hand(raised_at)
    event = await feed.next(LiveEvent.RAISE_HAND_UPDATED, id=alice.nick)
    assert event["handRaised"] == raised_at  # Jitsi's own timestamp, not arrival time

    await alice.rename("Alice B")
    event = await feed.next(LiveEvent.PARTICIPANT_UPDATED, id=alice.nick)
    assert (event["displayName"], event["changed"]) == ("Alice B", ["name"])

    await alice.lower_hand()
    assert (await feed.next(LiveEvent.RAISE_HAND_UPDATED, id=alice.nick))["handRaised"] == 0

    await caller.say("hand")
    event = await feed.next(LiveEvent.INCOMING_MESSAGE, **{"from": caller.nick})
    assert (event["message"], event["privateMessage"], event["nick"]) == (
        "hand",
        False,
        "Caller ...123",
    )

    await caller.leave()
    await feed.next(LiveEvent.PARTICIPANT_LEFT, id=caller.nick)
    assert set(bot.roster.members) == {alice.nick}

    await asyncio.wait_for(app_of(jitsi_client)[keys.PRESENCE].flush(), 5)
    # The caller's "hand" in the chat went into the speaking queue, and out when they left.
    queue_desk = app_of(jitsi_client)[keys.QUEUE]
    await asyncio.wait_for(queue_desk.settled(), 5)
    assert (await queue_desk.load(session_id)).hands == ()
    async with app_of(jitsi_client)[keys.DATABASE].session() as db:
        rows = (
            await db.exec(select(Participant).where(Participant.session_id == session_id))
        ).all()
    by_id = {row.jitsi_id: row for row in rows}
    assert set(by_id) == {alice.nick, caller.nick}
    assert by_id[alice.nick].display_name == "Alice B" and by_id[alice.nick].left_at is None
    assert by_id[caller.nick].kind == "phone" and by_id[caller.nick].left_at is not None

    # The console page lists who is in the room now.
    page = await (await jitsi_client.get(f"/sessions/{session_id}")).text()
    people = page.split('id="participants"', 1)[1].split("</ul>", 1)[0]
    assert "Alice B" in people and "Caller ...123" not in people
    # ...while the summary still counts the caller among those not heard yet.
    assert "Not heard yet: Alice B, Caller ...123" in page
    assert "In the meeting" in page

    # Jicofo's Jingle offer was acknowledged and declined (the bot has no media).
    await until(lambda: any(j.get("action") == "session-terminate" for j in standin.jingle_answers))
    terminate = next(j for j in standin.jingle_answers if j.get("action") == "session-terminate")
    assert terminate.find(f"{q(JINGLE, 'reason')}/{q(JINGLE, 'decline')}") is not None
    for person in (alice, caller):
        await person.close()


async def test_bot_ignores_its_own_echo_and_old_history(
    jitsi_client: Client, server: prosody.Prosody, standin: JitsiStandIn
) -> None:
    early = await joined(server, "history", "Early")
    await early.say("said before the bot came")
    _session_id, bot, feed = await live_session(jitsi_client, "https://meet.example.org/history")
    from plugin.jitsi import commands

    await commands.send_chat_message(bot, "Welcome, everyone")
    echo = await early.wait_for(lambda e: body_of(e) == "Welcome, everyone")
    assert echo.get("from") == f"history@{prosody.MUC}/{bot.nick}"
    await early.say("after")
    event = await feed.next(LiveEvent.INCOMING_MESSAGE)
    assert event["message"] == "after"  # neither the echo nor the replayed history came first
    await early.close()


async def test_ending_the_session_takes_the_bot_out(
    jitsi_client: Client, server: prosody.Prosody, standin: JitsiStandIn
) -> None:
    session_id, bot = await start_session(jitsi_client, "https://meet.example.org/Closing")
    watcher = await joined(server, "closing", "Watcher")
    feed = await open_feed(jitsi_client, session_id)
    response = await post_form(
        jitsi_client, f"/sessions/{session_id}/end", {}, page=f"/sessions/{session_id}"
    )
    assert response.status == 303
    left = await feed.next(LiveEvent.CONFERENCE_LEFT)
    assert left["roomName"] == "closing"
    gone = await watcher.wait_for(
        lambda e: (
            e.get("from") == f"closing@{prosody.MUC}/{bot.nick}" and e.get("type") == "unavailable"
        )
    )
    assert gone is not None
    assert bot.state.value == "stopped"
    # It stays out: no presence of it comes back.
    with pytest.raises(TimeoutError):
        await watcher.wait_for(lambda e: bot.nick in e.get("from", ""), timeout=1.5)
    async with app_of(jitsi_client)[keys.DATABASE].session() as db:
        rows = (
            await db.exec(select(Participant).where(Participant.session_id == session_id))
        ).all()
    assert [row.left_at is not None for row in rows] == [True]  # the end closed Watcher's row
    await watcher.close()


async def test_starting_and_ending_at_once_leaves_no_bot_behind(
    jitsi_client: Client, server: prosody.Prosody, standin: JitsiStandIn
) -> None:
    watcher = await joined(server, "hasty", "Watcher")
    response = await post_form(
        jitsi_client, "/sessions", {"meeting": "https://meet.example.org/Hasty"}
    )
    session_id = response.headers["Location"].rsplit("/", 1)[-1]
    connector = app_of(jitsi_client)[keys.CONNECTOR]
    bot = connector.bot(session_id)
    assert bot is not None
    await connector.stop(session_id)  # while the bot is still connecting
    assert bot.state.value == "stopped"
    with pytest.raises(TimeoutError):
        await watcher.wait_for(lambda e: bot.nick in e.get("from", ""), timeout=2)
    await watcher.close()


async def test_a_moderator_can_send_the_assistant_away(
    jitsi_client: Client, server: prosody.Prosody, standin: JitsiStandIn
) -> None:
    session_id, bot, feed = await live_session(jitsi_client, "https://meet.example.org/Away")
    standin.kick(f"away@{prosody.MUC}", bot.nick)
    event = await feed.next(LiveEvent.CONNECTION_INTERRUPTED)
    assert event["removed"] is True
    await until(lambda: bot.state.value == "removed")
    await asyncio.sleep(1.5)  # longer than the first backoff: it did not come back
    assert bot.state.value == "removed"
    page = await (await jitsi_client.get(f"/sessions/{session_id}")).text()
    assert "removed" in page.lower()


async def test_tenant_rooms_and_the_bots_token(
    make_client: MakeClient,
    server: prosody.Prosody,
    standin: JitsiStandIn,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "jwt-app-secret-for-the-test-0123456789"
    client = await make_client(jwt_app_id="facilitate", jwt_app_secret=SecretStr(secret))
    _, bot = await start_session(client, "https://meet.example.org/ACME/Council")
    assert bot.address.jid == f"council@{prosody.TENANT_MUC}"
    assert standin.conference_requests == [f"council@{prosody.TENANT_MUC}"]
    query = parse_qs(urlsplit(bot.config.make_url()).query)
    assert query["room"] == ["council"]
    assert query["prefix"] == ["acme"]
    claims = jwt.decode(query["token"][0], secret, algorithms=["HS256"], audience="jitsi")
    assert (claims["room"], claims["sub"]) == ("council", "acme")
    # Each connection attempt signs a fresh token: a reconnect hours later is not refused.
    connector = app_of(client)[keys.CONNECTOR]
    connector.clock = FixedClock(datetime.now(UTC) + timedelta(hours=5))
    later = parse_qs(urlsplit(bot.config.make_url()).query)["token"][0]
    later_claims = jwt.decode(
        later, secret, algorithms=["HS256"], audience="jitsi", options={"verify_nbf": False}
    )
    assert later_claims["exp"] - claims["exp"] >= 5 * 3600 - 60

    member = await joined(server, "council", "Member", muc=prosody.TENANT_MUC)
    await until(lambda: member.nick in bot.roster.members)
    await member.close()
    server.kill()  # an outage makes the connector log the URL it retries
    await until(lambda: bot.state.value == "interrupted")
    await until(lambda: "token=REDACTED" in caplog.text)  # a failed reconnect names the URL
    assert query["token"][0] not in caplog.text


async def test_without_a_focus_the_bot_joins_directly(
    make_client: MakeClient, standin: JitsiStandIn
) -> None:
    client = await make_client(use_focus=False)
    _, bot = await start_session(client, "https://meet.example.org/NoFocus")
    assert standin.conference_requests == []
    assert bot.role == "moderator"  # Prosody makes the creator of a new room its owner
    metrics = await (await client.get("/metrics")).text()
    assert 'facilitate_jitsi_bots{state="connected"} 1.0' in metrics


async def test_bot_waits_for_a_busy_focus_and_answers_disco_and_ping(
    jitsi_client: Client, server: prosody.Prosody, standin: JitsiStandIn
) -> None:
    standin.not_ready_replies = 1
    _, bot = await start_session(jitsi_client, "https://meet.example.org/Patience")
    assert standin.conference_requests == [f"patience@{prosody.MUC}"] * 2  # asked again
    peer = await joined(server, "patience", "Peer")
    assert peer.ws is not None
    occupant = f"patience@{prosody.MUC}/{bot.nick}"
    await peer.ws.send(
        f"<iq xmlns='jabber:client' type='get' id='d1' to='{occupant}'>"
        "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>"
    )
    disco = await peer.wait_for(lambda e: e.get("id") == "d1")
    assert disco.get("type") == "result"
    features = {f.get("var") for f in disco.iter("{http://jabber.org/protocol/disco#info}feature")}
    assert "urn:xmpp:ping" in features
    await peer.ws.send(
        f"<iq xmlns='jabber:client' type='get' id='p1' to='{occupant}'>"
        "<ping xmlns='urn:xmpp:ping'/></iq>"
    )
    assert (await peer.wait_for(lambda e: e.get("id") == "p1")).get("type") == "result"
    await peer.ws.send(
        f"<iq xmlns='jabber:client' type='set' id='x1' to='{occupant}'>"
        "<query xmlns='jabber:iq:version'/></iq>"
    )
    refused = await peer.wait_for(lambda e: e.get("id") == "x1")
    assert refused.get("type") == "error"
    await peer.close()
