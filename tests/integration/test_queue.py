"""The speaking queue through the console's forms (no JavaScript), shared by facilitators,
fed by every source, kept across a restart."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from facilitation.meeting_events import (
    AssistantJoined,
    ChatReceived,
    HandChanged,
    HandSource,
    KeypadHandPressed,
    MeetingEvent,
    Person,
    PersonJoined,
)
from plugin import keys
from tests.conftest import Client, app_of, csrf_from, login, post_form
from tests.support import meeting
from tests.support.app import app_for


async def _session(client: Client) -> str:
    response = await post_form(client, "/sessions", {"meeting": "https://meet.example.org/Circle"})
    return str(response.headers["Location"].rsplit("/", 1)[-1])


async def _joined(client: Client, session_id: str, nick: str, name: str, kind: str = "web") -> None:
    await meeting.seen(app_of(client), session_id, nick, name, kind)


def _publish(client: Client, event: MeetingEvent) -> None:
    app_of(client)[keys.BUS].publish(event)


def _seq(page: str) -> str:
    found = re.search(r'name="seq" value="(\d+)"', page)
    assert found
    return found.group(1)


async def _act(client: Client, session_id: str, action: str, **fields: str) -> Any:
    page = await (await client.get(f"/sessions/{session_id}")).text()
    data = {"action": action, "seq": fields.pop("seq", _seq(page)), **fields}
    data["csrf_token"] = await csrf_from(client, f"/sessions/{session_id}")
    return await client.post(f"/sessions/{session_id}/queue", data=data, allow_redirects=False)


def _order(page: str) -> list[str]:
    block = page.split('id="queue-list"', 1)[1].split("</ol>", 1)[0]
    return re.findall(r'<span class="name">([^<]+)</span>', block)


async def test_hands_from_every_source_in_one_queue_with_reasons(
    client: Client, signed_in_facilitator: None
) -> None:
    session_id = await _session(client)
    desk = app_of(client)[keys.QUEUE]
    clock = app_of(client)[keys.CLOCK]
    for nick, name, kind in (("a1", "Ann", "web"), ("b2", "Bob", "web"), ("p3", "…456", "phone")):
        await _joined(client, session_id, nick, name, kind)
    # Jitsi's raised hand carries Jitsi's own time: Ann raised first though it arrives last.
    early = int((clock.now() - timedelta(seconds=30)).timestamp() * 1000)
    _publish(client, ChatReceived(session_id, "b2", "Bob", "hand"))
    _publish(client, KeypadHandPressed(session_id, "p3"))
    _publish(client, HandChanged(session_id, "a1", early, HandSource.JITSI))
    await desk.settled()
    page = await (await client.get(f"/sessions/{session_id}")).text()
    assert _order(page) == ["Ann", "Bob", "…456"]
    assert "hand up at 09:59 UTC" in page
    assert (await _act(client, session_id, "next")).status == 303
    page = await (await client.get(f"/sessions/{session_id}")).text()
    assert 'id="queue-speaker">Ann<' in page
    assert _order(page) == ["Bob", "…456"]
    # "lower" in chat lowers it again.
    _publish(client, ChatReceived(session_id, "b2", "Bob", "/lower"))
    await desk.settled()
    page = await (await client.get(f"/sessions/{session_id}")).text()
    assert _order(page) == ["…456"]


async def test_moves_policy_and_undo_from_forms(
    client: Client, signed_in_facilitator: None
) -> None:
    session_id = await _session(client)
    for nick, name in (("a1", "Ann"), ("b2", "Bob"), ("c3", "Cat")):
        await _joined(client, session_id, nick, name)
        assert (await _act(client, session_id, "raise", participant=nick)).status == 303
    assert (await _act(client, session_id, "top", participant="c3")).status == 303
    page = await (await client.get(f"/sessions/{session_id}")).text()
    assert _order(page) == ["Cat", "Ann", "Bob"]
    assert "moved here by a facilitator" in page
    assert (await _act(client, session_id, "undo")).status == 303
    page = await (await client.get(f"/sessions/{session_id}")).text()
    assert _order(page) == ["Ann", "Bob", "Cat"]
    assert (await _act(client, session_id, "policy", policy="go_round")).status == 303
    page = await (await client.get(f"/sessions/{session_id}")).text()
    assert "next in the round" in page
    assert (await _act(client, session_id, "policy", policy="nonsense")).status == 400
    assert (await _act(client, session_id, "juggle")).status == 400
    assert (await _act(client, session_id, "skip")).status == 400  # whom?


async def test_two_facilitators_never_call_the_same_speaker_twice(
    client: Client, second_client: Client, signed_in_facilitator: None, add_account: Any
) -> None:
    session_id = await _session(client)
    await add_account("sam")
    await login(second_client, "sam")
    # Fran adds Sam as co-facilitator by username.
    added = await post_form(
        client,
        f"/sessions/{session_id}/facilitators",
        {"username": "sam"},
        f"/sessions/{session_id}",
    )
    assert added.status == 303
    for nick, name in (("a1", "Ann"), ("b2", "Bob")):
        await _joined(client, session_id, nick, name)
        await _act(client, session_id, "raise", participant=nick)
    page = await (await client.get(f"/sessions/{session_id}")).text()
    seen = _seq(page)
    first = await _act(client, session_id, "next", seq=seen)
    second = await _act(second_client, session_id, "next", seq=seen)  # pressed on the old view
    assert first.status == 303
    assert second.status == 303
    assert second.headers["Location"].endswith("?stale=1#queue")
    page = await (await second_client.get(second.headers["Location"])).text()
    assert "The queue changed while you were looking" in page
    assert 'id="queue-speaker">Ann<' in page
    assert _order(page) == ["Bob"]  # Bob was not called by the stale press
    json_reply = await second_client.post(
        f"/sessions/{session_id}/queue",
        data={
            "action": "next",
            "seq": seen,
            "csrf_token": await csrf_from(second_client, f"/sessions/{session_id}"),
        },
        headers={"Accept": "application/json"},
    )
    assert json_reply.status == 409
    assert (await json_reply.json())["seq"] > int(seen)


async def test_the_queue_survives_a_restart(
    client: Client, signed_in_facilitator: None, aiohttp_client: Any, settings: Any, clock: Any
) -> None:
    session_id = await _session(client)
    await _joined(client, session_id, "a1", "Ann")
    await _act(client, session_id, "raise", participant="a1")
    again = await aiohttp_client(app_for(settings, clock))
    queue = await app_of(again)[keys.QUEUE].load(session_id)
    assert [hand.participant for hand in queue.hands] == ["a1"]


async def test_a_bot_reconnect_keeps_the_queue_and_drops_who_left_meanwhile(
    client: Client, signed_in_facilitator: None
) -> None:
    session_id = await _session(client)
    desk = app_of(client)[keys.QUEUE]
    clock = app_of(client)[keys.CLOCK]
    stamp = int(clock.now().timestamp() * 1000)
    for nick, name in (("a1", "Ann"), ("b2", "Bob"), ("c3", "Cat")):
        await _joined(client, session_id, nick, name)
        _publish(client, HandChanged(session_id, nick, stamp, HandSource.JITSI))
    await _joined(client, session_id, "p3", "…456", "phone")
    _publish(client, KeypadHandPressed(session_id, "p3"))
    await desk.settled()
    # The assistant comes back and sees the room as it is now (as the bot reports it): Ann
    # still has her hand up, Bob left, Cat lowered hers while the assistant was away.
    here = (Person("a1", hand_raised_ms=stamp), Person("c3"), Person("p3"))
    _publish(client, AssistantJoined(session_id, "circle", "bot00001", "", "", people=here))
    _publish(client, PersonJoined(session_id, Person("a1", hand_raised_ms=stamp)))
    await desk.settled()
    queue = await desk.load(session_id)
    assert [hand.participant for hand in queue.hands] == ["a1", "p3"]
    ann = queue.hand_of("a1")
    assert ann is not None
    assert ann.raised_at == clock.now()  # Jitsi's time, not the time of the repeat


async def test_turns_and_who_has_not_spoken(client: Client, signed_in_facilitator: None) -> None:
    session_id = await _session(client)
    for nick, name in (("a1", "Ann"), ("b2", "Bob"), ("c3", "Cat")):
        await _joined(client, session_id, nick, name)
    await _act(client, session_id, "raise", participant="a1")
    await _act(client, session_id, "next")
    await _act(client, session_id, "next")  # Ann done
    page = await (await client.get(f"/sessions/{session_id}")).text()
    assert "Ann: 1 turn" in page
    assert "Not heard yet: Bob, Cat" in page


async def test_odd_input_is_a_clear_400(client: Client, signed_in_facilitator: None) -> None:
    session_id = await _session(client)
    await _joined(client, session_id, "a1", "Ann")
    assert (await _act(client, session_id, "next", seq="\u00b2")).status == 400  # "²".isdigit()
    assert (await _act(client, session_id, "next", seq="9" * 12)).status == 400
    ghost = await _act(client, session_id, "raise", participant="ghost<script>")
    assert ghost.status == 400  # only people in the meeting


async def test_a_meeting_that_cannot_be_reached_never_fails_next(
    client: Client, signed_in_facilitator: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from types import SimpleNamespace

    from plugin.jitsi.bot_types import NotConnected

    session_id = await _session(client)
    await _joined(client, session_id, "a1", "Ann")
    await _joined(client, session_id, "b2", "Bob")
    await _act(client, session_id, "raise", participant="a1")
    await _act(client, session_id, "raise", participant="b2")

    async def send(_stanza: object) -> None:
        raise NotConnected("reconnecting")

    broken: Any = SimpleNamespace(
        send=send,
        role="moderator",
        address=SimpleNamespace(jid="circle@muc", occupant=lambda nick: f"circle@muc/{nick}"),
        ready=True,
        login_refused=None,
        roster=SimpleNamespace(find={"a1": SimpleNamespace(hand_raised_at=1)}.get),
    )
    connector = app_of(client)[keys.CONNECTOR]
    monkeypatch.setattr(connector, "bot", lambda _session_id: broken)
    response = await _act(client, session_id, "next")
    assert response.status == 303  # the change is made; the meeting is told when it can be
    queue = await app_of(client)[keys.QUEUE].load(session_id)
    assert queue.speaker == "a1"


async def test_the_summary_counts_the_last_turn_and_everyone_who_came(
    client: Client, signed_in_facilitator: None
) -> None:
    session_id = await _session(client)
    for nick, name in (("a1", "Ann"), ("b2", "Bob")):
        await _joined(client, session_id, nick, name)
    await _act(client, session_id, "raise", participant="a1")
    await _act(client, session_id, "next")  # Ann is speaking when the session ends
    await post_form(client, f"/sessions/{session_id}/end", {}, page=f"/sessions/{session_id}")
    queue = await app_of(client)[keys.QUEUE].load(session_id)
    assert (queue.speaker, dict(queue.turns)) == (None, {"a1": 1})
    view = await app_of(client)[keys.QUEUE].view(session_id)
    assert [p["name"] for p in view["notHeard"]] == ["Bob"]  # though everyone has left now
