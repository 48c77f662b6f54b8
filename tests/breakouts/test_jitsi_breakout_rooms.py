"""Breakout groups in Jitsi's breakout rooms, end to end in a real Prosody: a plan with 3
groups and 2 phone callers, opened, warned, broadcast to and closed.

STAND-INs (none of these can run here): Jitsi's breakout module
(prosody_modules/mod_muc_breakout_rooms_standin.lua), Jicofo (tests.support.standin_focus),
Jigasi (a client presenting itself as Jigasi does) and the PBX that carries out actions on
calls (tests.support.standin_pbx, checking the Standard Webhooks signature as the README's
Asterisk kit does). Jitsi cannot move a Jigasi participant, so the callers stay in the main
room as their own group and hear the warnings on their own calls.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from pydantic import SecretStr

from plugin import keys
from tests.breakouts.conftest import (
    Guest,
    breakout_post,
    guest,
    phone_caller,
    rows,
    time_passes,
    until_async,
)
from tests.conftest import Client, app_of
from tests.jitsi.conftest import MakeClient, live_session, until
from tests.phone.conftest import PBX_SECRET
from tests.support import prosody
from tests.support.standin_pbx import ACTIONS_KEY, ACTIONS_SECRET, PbxStandin

pytestmark = pytest.mark.prosody


async def test_three_groups_and_two_callers_in_jitsi_breakout_rooms(
    make_client: MakeClient, server: prosody.Prosody, guests: list[Guest]
) -> None:
    pbx = await PbxStandin(ACTIONS_KEY, live_calls=["ast-1", "ast-2"]).start()
    try:
        client = await make_client(
            pbx_webhook_secret=(SecretStr(PBX_SECRET),),
            pbx_actions_url=pbx.url,
            pbx_actions_secret=SecretStr(ACTIONS_SECRET),
        )
        await _run(client, server, guests, pbx)
    finally:
        await pbx.close()


async def _run(
    client: Client, server: prosody.Prosody, guests: list[Guest], pbx: PbxStandin
) -> None:
    app = app_of(client)
    session_id, bot, _feed = await live_session(client, "https://meet.example.org/Workshop")
    await until(lambda: bot.role == "moderator")
    mapping = await client.get(
        "/dial-in/conference-mapper", params={"conference": f"workshop@{prosody.MUC}"}
    )
    pin = str((await mapping.json())["id"])
    for name in ("Ann", "Ben", "Cat", "Dan"):
        guests.append(await guest(server, "workshop", name))
    callers = [
        await phone_caller(client, server, "workshop", pin, "ast-1", "+447700900111"),
        await phone_caller(client, server, "workshop", pin, "ast-2", "+447700900222"),
    ]
    guests.extend(callers)
    await until_async(lambda: _count(client, session_id, 6))

    plan = {"action": "plan", "mode": "jitsi", "method": "balanced", "count": "3"}
    assert (await breakout_post(client, session_id, plan)).status == 303
    view = await app[keys.BREAKOUTS].view(session_id)
    assert view["state"] == "planning"
    web_groups = [g for g in view["groups"] if not g["mainRoom"]]
    (phone_group,) = [g for g in view["groups"] if g["mainRoom"]]
    assert len(web_groups) == 3
    assert sorted(len(g["members"]) for g in web_groups) == [1, 1, 2]
    assert {m["id"] for m in phone_group["members"]} == {c.nick for c in callers}
    assert all("main room" in m["route"] for m in phone_group["members"])
    assert "Nobody leads the phone group" in " ".join(view["problems"])
    # Nothing happened in the meeting yet: it is a preview.
    assert [r for r in bot.breakout_rooms.values() if not r.is_main] == []

    started = asyncio.get_running_loop().time()
    opened = await breakout_post(client, session_id, {"action": "open", "minutes": "10"})
    assert opened.status == 303, await opened.text()
    placed = {m["id"]: g["name"] for g in web_groups for m in g["members"]}

    async def all_in_rooms() -> bool:
        where = {r.jitsi_id: r.room for r in await rows(client, session_id)}
        return all(where.get(pid) == name for pid, name in placed.items())

    await until_async(all_in_rooms, within=15)
    took = asyncio.get_running_loop().time() - started
    assert took < 10
    view = await app[keys.BREAKOUTS].view(session_id)
    assert view["state"] == "open" and 590 <= view["secondsLeft"] <= 600
    assert view["notices"] == []
    for group in (g for g in view["groups"] if not g["mainRoom"]):
        assert {p["id"] for p in group["there"]} == {m["id"] for m in group["members"]}
    # The callers never moved: they are the main room's group.
    where = {r.jitsi_id: r.room for r in await rows(client, session_id)}
    assert [where[c.nick] for c in callers] == ["", ""]

    # The assistant is in every breakout room (for its chat), never listed as a person.
    groups = app[keys.CONNECTOR].groups

    def assistants_in_rooms() -> bool:
        rooms = groups.rooms(session_id)
        return len(rooms) == 3 and all(
            (bot := groups.bot(session_id, room)) is not None and bot.ready for room in rooms
        )

    await until(assistants_in_rooms, within=15)
    web = [g for g in guests if g not in callers]
    await time_passes(client, session_id, 100)
    await until_async(lambda: _all_heard(web + callers, "Two minutes left"), within=10)
    await pbx.wait_for(lambda p: _plays(p, "Two minutes left") == {"ast-1", "ast-2"})
    await time_passes(client, session_id, 25)
    await until_async(lambda: _all_heard(web + callers, "30 seconds left"), within=10)
    await pbx.wait_for(lambda p: _plays(p, "30 seconds left") == {"ast-1", "ast-2"})
    assert sum("Two minutes left" in body for _k, _f, body in web[0].chat) == 1  # once only

    said = {"action": "broadcast", "message": "Please pick one idea to share."}
    assert (await breakout_post(client, session_id, said)).status == 303
    await until_async(lambda: _all_heard(web + callers, "Please pick one idea"), within=10)

    closed = await breakout_post(client, session_id, {"action": "close"})
    assert closed.status == 303

    async def all_back() -> bool:
        return all(r.room == "" for r in await rows(client, session_id))

    await until_async(all_back, within=15)
    await until(lambda: [r for r in bot.breakout_rooms.values() if not r.is_main] == [])
    assert len(await rows(client, session_id)) == 6  # nobody lost on the way
    assert app[keys.CONNECTOR].groups.rooms(session_id) == []
    view = await app[keys.BREAKOUTS].view(session_id)
    assert view["state"] in ("closing", "closed")


async def _count(client: Client, session_id: str, expected: int) -> bool:
    return len(await rows(client, session_id)) == expected


async def _all_heard(people: list[Guest], words: str) -> bool:
    return all(one.heard(words) for one in people)


def _plays(pbx: PbxStandin, words: str) -> set[str]:
    return {
        str(a["call_id"])
        for a in pbx.actions
        if a.get("type") == "call.play" and words in json.dumps(a.get("say"))
    }


async def test_without_moderator_rights_nobody_moves_and_the_console_says_what_to_do(
    make_client: MakeClient, server: prosody.Prosody, guests: list[Guest]
) -> None:
    """Jicofo's auto-owner made Ann, who came first, the moderator: the assistant may not
    open breakout rooms, and must not take the seat from her."""
    guests.append(await guest(server, "studio", "Ann"))
    guests.append(await guest(server, "studio", "Ben"))
    client = await make_client()
    session_id, bot, _feed = await live_session(client, "https://meet.example.org/Studio")
    await until_async(lambda: _count(client, session_id, 2))
    assert bot.role != "moderator"
    plan = {"action": "plan", "mode": "jitsi", "method": "random", "count": "2"}
    assert (await breakout_post(client, session_id, plan)).status == 303
    assert (
        await breakout_post(client, session_id, {"action": "open", "minutes": "5"})
    ).status == 303
    view = await app_of(client)[keys.BREAKOUTS].view(session_id)
    assert view["state"] == "planning"
    assert "not a moderator" in view["notices"][0]["text"]
    assert [r for r in bot.breakout_rooms.values() if not r.is_main] == []
    assert {r.room for r in await rows(client, session_id)} == {""}
