"""Breakout groups as separate calls, end to end in a real Prosody: 3 groups, each its own
Jitsi room that the assistant joins; web participants get their group's link privately;
one caller on a PBX and one on a TwiML provider are moved by the phone line, warned on
their calls where the line can speak, and brought back at close.

STAND-INs (none of these can run here): Jicofo (tests.support.standin_focus), Jigasi (a
client presenting itself as Jigasi does: the tests make it leave one room and join the
next, as the PBX's new Dial does), the PBX that carries out actions
(tests.support.standin_pbx) and a Twilio-compatible provider's Calls API
(tests.support.standin_voice_provider).
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import AsyncIterator, Callable

import pytest
from pydantic import SecretStr
from sqlmodel import select

from plugin import keys
from plugin.db.models import Participant as Row
from plugin.db.models import PhoneCall
from tests.breakouts.conftest import Guest, breakout_post, guest, time_passes, until_async
from tests.conftest import Client, app_of, post_form
from tests.jitsi.conftest import MakeClient, live_session, until
from tests.phone.conftest import (
    PBX_SECRET,
    TWIML_TOKEN,
    parse_twiml,
    post_pbx,
    post_twiml,
    twilio_call,
)
from tests.support import prosody
from tests.support.standin_pbx import PbxStandin
from tests.support.standin_voice_provider import ACCOUNT_SID, VoiceProviderStandin

pytestmark = pytest.mark.prosody
ACTIONS_KEY = b"pbx-actions-key-0123456789abcdef"
ACTIONS_SECRET = "whsec_" + base64.b64encode(ACTIONS_KEY).decode()
CALL_SID = "CA" + "0123456789abcdef" * 2


async def rows(client: Client, session_id: str) -> list[Row]:
    await asyncio.wait_for(app_of(client)[keys.PRESENCE].flush(), 10)
    async with app_of(client)[keys.DATABASE].session() as db:
        query = select(Row).where(Row.session_id == session_id, Row.left_at == None)  # noqa: E711
        return list((await db.exec(query)).all())


async def calls(client: Client) -> dict[str, PhoneCall]:
    async with app_of(client)[keys.DATABASE].session() as db:
        return {c.call_key: c for c in (await db.exec(select(PhoneCall))).all()}


@pytest.fixture
async def line_standins() -> AsyncIterator[tuple[PbxStandin, VoiceProviderStandin]]:
    pbx = await PbxStandin(ACTIONS_KEY, live_calls=["ast-1"]).start()
    provider = await VoiceProviderStandin(
        ACCOUNT_SID, TWIML_TOKEN, calls=[CALL_SID], fetch_urls=False
    ).start()
    yield pbx, provider
    await pbx.close()
    await provider.close()


async def test_three_groups_as_separate_calls_with_a_pbx_and_a_twiml_caller(
    make_client: MakeClient,
    server: prosody.Prosody,
    guests: list[Guest],
    line_standins: tuple[PbxStandin, VoiceProviderStandin],
) -> None:
    pbx, provider = line_standins
    client = await make_client(
        pbx_webhook_secret=(SecretStr(PBX_SECRET),),
        pbx_actions_url=pbx.url,
        pbx_actions_secret=SecretStr(ACTIONS_SECRET),
        twiml_auth_token=SecretStr(TWIML_TOKEN),
        voice_api_base=provider.api_base,
        voice_account_sid=ACCOUNT_SID,
        jigasi_sip_uri="sip:jigasi@jigasi.meet.example.org",
    )
    app = app_of(client)
    session_id, _bot, _feed = await live_session(client, "https://meet.example.org/CatchUp")
    mapping = await client.get(
        "/dial-in/conference-mapper", params={"conference": f"catchup@{prosody.MUC}"}
    )
    pin = str((await mapping.json())["id"])
    for name in ("Ann", "Ben", "Cat", "Dan"):
        guests.append(await guest(server, "catchup", name))
    web = list(guests)
    # A PBX caller with the PIN, and a TwiML caller who types it.
    started = await post_pbx(
        client,
        {"type": "call.started", "call_id": "ast-1", "caller_id": "+447700900111", "pin": pin},
    )
    assert started.status == 200
    assert (
        await post_twiml(client, "incoming", twilio_call(CALL_SID, "+447700900222"))
    ).status == 200
    typed = await post_twiml(client, "gather", twilio_call(CALL_SID, "+447700900222", Digits=pin))
    assert "<Dial" in await typed.text()
    pbx_jigasi = await guest(server, "catchup", "+447700900111", phone=True)
    twiml_jigasi = await guest(server, "catchup", "+447700900222", phone=True)
    guests.extend([pbx_jigasi, twiml_jigasi])

    async def six() -> bool:
        return len(await rows(client, session_id)) == 6

    await until_async(six)

    plan = {"action": "plan", "mode": "calls", "method": "balanced", "count": "3"}
    assert (await breakout_post(client, session_id, plan)).status == 303
    view = await app[keys.BREAKOUTS].view(session_id)
    assert [len(g["members"]) for g in view["groups"]] == [2, 2, 2]
    phones = {m["id"]: g["number"] for g in view["groups"] for m in g["members"] if m["phone"]}
    assert set(phones) == {pbx_jigasi.nick, twiml_jigasi.nick}
    assert len(set(phones.values())) == 2  # balanced: the two callers in different groups
    assert all(
        m["route"]
        == ("moved by the phone line" if m["phone"] else "gets the group's link in private chat")
        for g in view["groups"]
        for m in g["members"]
    )
    group_of = {m["id"]: g["number"] for g in view["groups"] for m in g["members"]}

    # Ben has a hand up in the main room when the groups open.
    await web[1].person.raise_hand()
    await until_async(lambda: _has_hand(client, session_id, web[1].nick))
    opened = await breakout_post(client, session_id, {"action": "open", "minutes": "20"})
    assert opened.status == 303, await opened.text()
    rooms = {n: f"catchup-group-{n}" for n in (1, 2, 3)}
    # The assistant is in every group's room.
    groups = app[keys.CONNECTOR].groups
    await until(
        lambda: all(
            (b := groups.bot(session_id, r)) is not None and b.ready for r in rooms.values()
        )
    )

    # Web participants got their group's link, privately, from the assistant.
    for one in web:
        number = group_of[one.nick]
        link = re.compile(rf"http://127\.0\.0\.1:8080/join/[A-Z0-9]+/groups/{number}\b")
        await until(_got_link(one, link))
    # The PBX was told to move its call into its group's room, signed.
    pbx_room = rooms[phones[pbx_jigasi.nick]]
    await pbx.wait_for(lambda p: any(a.get("type") == "call.move" for a in p.actions))
    (move,) = [a for a in pbx.actions if a["type"] == "call.move"]
    assert move["call_id"] == "ast-1" and move["room"] == pbx_room
    assert move["sip_headers"] == {"X-Room-Name": f"{pbx_room}@{prosody.MUC}"}
    # The provider's live call was pointed at the rejoin address, which dials the group.
    await provider.wait_for(lambda p: len(p.updates) == 1)
    assert provider.updates[0].call_sid == CALL_SID
    assert provider.updates[0].form["Url"] == "http://127.0.0.1:8080/webhooks/phone/twiml/rejoin"
    twiml_room = rooms[phones[twiml_jigasi.nick]]
    fetched = await post_twiml(client, "rejoin", twilio_call(CALL_SID, "+447700900222"))
    dial = parse_twiml(await fetched.text())
    sip = dial.find("Dial/Sip")
    assert sip is not None and f"X-Room-Name={twiml_room}%40{prosody.MUC}" in (sip.text or "")
    assert (await calls(client))["pbx:ast-1"].group_room == pbx_room

    # Everyone arrives: web people by their links, the callers as Jigasi dials again.
    arrived: list[Guest] = []
    for one in [*web, pbx_jigasi, twiml_jigasi]:
        number = group_of[one.nick]
        await one.close()
        arrived.append(await guest(server, rooms[number], one.person.name, phone=one.person.phone))
    guests.extend(arrived)

    async def settled() -> bool:
        here = await rows(client, session_id)
        return sorted(r.room for r in here) == sorted(
            rooms[group_of[o.nick]] for o in [*web, pbx_jigasi, twiml_jigasi]
        )

    await until_async(settled, within=15)
    # Jitsi knows Ben afresh in his group's call; his hand came with him.
    await until_async(lambda: _has_hand(client, session_id, arrived[1].nick))
    assert not await _has_hand(client, session_id, web[1].nick)
    view = await app[keys.BREAKOUTS].view(session_id)
    assert [len(g["there"]) for g in view["groups"]] == [2, 2, 2]
    assert view["notices"] == []

    # A hand raised in a group stays in that group.
    await arrived[0].person.raise_hand()
    await until_async(lambda: _has_hand(client, session_id, arrived[0].nick))
    assert (
        await post_form(client, f"/sessions/{session_id}/queue", {"action": "next"})
    ).status == 303
    queue = await app[keys.QUEUE].load(session_id)
    assert queue.speaker is None  # nobody in the main room had a hand up
    assert queue.hand_of(arrived[0].nick) is not None
    panel = await client.get(
        f"/sessions/{session_id}/breakouts", headers={"X-Requested-With": "console"}
    )
    assert "hand up" in await panel.text()

    # Warnings: in every group's chat, and spoken on the PBX call (a provider cannot).
    await time_passes(client, session_id, 100)
    await until_async(lambda: _all_heard(arrived, "Two minutes left"), within=10)
    await pbx.wait_for(
        lambda p: any(
            a["type"] == "call.play" and "Two minutes" in json.dumps(a["say"]) for a in p.actions
        )
    )
    await time_passes(client, session_id, 25)
    await until_async(lambda: _all_heard(arrived, "30 seconds left"), within=10)

    closed = await breakout_post(client, session_id, {"action": "close"})
    assert closed.status == 303
    await until_async(lambda: _all_heard(arrived, "come back to the main meeting"), within=10)
    moves = [a for a in pbx.actions if a["type"] == "call.move"]
    assert moves[-1]["room"] == "catchup" and len(moves) == 2
    assert len(provider.updates) == 2
    back = await post_twiml(client, "rejoin", twilio_call(CALL_SID, "+447700900222"))
    sip = parse_twiml(await back.text()).find("Dial/Sip")
    assert sip is not None and f"X-Room-Name=catchup%40{prosody.MUC}" in (sip.text or "")
    assert all(c.group_room is None for c in (await calls(client)).values())
    # Once the group rooms are empty, the assistant leaves them.
    for one in arrived:
        await one.close()
    await app[keys.BREAKOUTS].tick()
    await until(lambda: groups.rooms(session_id) == [])
    # Back in the main meeting, the hand raised in the group comes back with its owner.
    back = await guest(server, "catchup", arrived[0].person.name)
    guests.append(back)
    await until_async(lambda: _has_hand(client, session_id, back.nick))


async def _has_hand(client: Client, session_id: str, person: str) -> bool:
    queue = await app_of(client)[keys.QUEUE].load(session_id)
    return queue.hand_of(person) is not None


async def _all_heard(people: list[Guest], words: str) -> bool:
    return all(one.heard(words) for one in people)


def _got_link(one: Guest, link: re.Pattern[str]) -> Callable[[], bool]:
    def check() -> bool:
        return any(kind == "chat" and link.search(body) for kind, _f, body in one.chat)

    return check
