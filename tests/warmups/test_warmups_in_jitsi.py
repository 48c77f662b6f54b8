"""Warm-ups end to end in a real Prosody, on both kinds of Jitsi deployment: a choice
answered by two people on the web through Jitsi's poll (the polls component of
docker-jitsi-meet stable-10532 and later, or the in-room polls of earlier releases) and by a
caller on the keypad gives one merged result on the console; a go round visits the caller.

STAND-INs (none can run here): Jicofo, the polls component / in-room mod_polls
(tests.support.standin_polls, prosody_modules/mod_polls_inroom_standin.lua), Jigasi (a
client presenting itself as Jigasi does) and the PBX (tests.support.standin_pbx).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from plugin import keys
from tests.conftest import Client, app_of, post_form
from tests.jitsi.conftest import MakeClient, joined, live_session, until
from tests.phone.conftest import PBX_SECRET, post_pbx
from tests.support import prosody
from tests.support.participant import Participant, body_of, json_of
from tests.support.standin_pbx import ACTIONS_KEY, ACTIONS_SECRET, PbxStandin

pytestmark = pytest.mark.prosody


@pytest.fixture(params=["component", "room"])
def server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[prosody.Prosody]:
    instance = prosody.Prosody(tmp_path / "prosody", polls_style=request.param)
    instance.start()
    yield instance
    instance.stop()


@pytest.fixture
async def pbx() -> AsyncIterator[PbxStandin]:
    standin = await PbxStandin(ACTIONS_KEY, live_calls=["ast-5"]).start()
    yield standin
    await standin.close()


async def answer(person: Participant, style: str, poll_id: str, picks: list[bool]) -> None:
    """What each release of Jitsi Meet sends for a vote."""
    assert person.ws is not None
    if style == "component":
        payload: dict[str, Any] = {"type": "polls", "command": "answer-poll", "pollId": poll_id}
        to, kind = prosody.POLLS, "chat"
    else:
        payload = {"type": "answer-poll", "pollId": poll_id, "voterId": person.nick}
        to, kind = person.room_jid, "groupchat"
    payload["answers"] = picks
    text = json.dumps(payload).replace("&", "&amp;").replace("<", "&lt;")
    await person.ws.send(
        f"<message xmlns='jabber:client' to='{to}' type='{kind}'>"
        f"<json-message xmlns='http://jitsi.org/jitmeet'>{text}</json-message></message>"
    )


async def test_a_choice_answered_by_polls_and_a_keypad_then_a_go_round(
    make_client: MakeClient, server: prosody.Prosody, pbx: PbxStandin
) -> None:
    client = await make_client(
        pbx_webhook_secret=(SecretStr(PBX_SECRET),),
        pbx_actions_url=pbx.url,
        pbx_actions_secret=SecretStr(ACTIONS_SECRET),
    )
    app = app_of(client)
    session_id, bot, _feed = await live_session(client, "https://meet.example.org/Circle")
    ann = await joined(server, "circle", "Ann")
    ben = await joined(server, "circle", "Ben")
    mapping = await client.get(
        "/dial-in/conference-mapper", params={"conference": f"circle@{prosody.MUC}"}
    )
    pin = str((await mapping.json())["id"])
    body = {"type": "call.started", "call_id": "ast-5", "caller_id": "+447700900555", "pin": pin}
    assert (await post_pbx(client, body)).status == 200
    caller = await joined(server, "circle", "+447700900555", phone=True)
    try:
        await _play(client, app, session_id, bot, server, pbx, ann, ben, caller)
    finally:
        for person in (ann, ben, caller):
            await person.close()


async def _play(
    client: Client,
    app: Any,
    session_id: str,
    bot: Any,
    server: prosody.Prosody,
    pbx: PbxStandin,
    ann: Participant,
    ben: Participant,
    caller: Participant,
) -> None:
    await until(lambda: caller.nick in bot.roster.members)
    run = await post_form(
        client,
        f"/sessions/{session_id}/warmups",
        {"action": "run", "warmup": "tea-or-coffee", "announce": "on"},
    )
    assert run.status == 303
    desk = app[keys.WARMUPS]
    poll_id = desk._running[session_id].poll_id
    assert poll_id, "the poll reached the meeting"
    shown = json_of(await ann.wait_for(lambda e: (json_of(e) or {}).get("pollId") == poll_id))
    assert shown is not None
    names = [a["name"] if isinstance(a, dict) else a for a in shown["answers"]]
    assert names == ["Tea", "Coffee", "Hot chocolate", "Something else", "Pass"]
    # The caller heard the question and the keys on their call.
    await pbx.wait_for(lambda p: any(a["type"] == "call.play" for a in p.actions))

    style = server.polls_style
    await answer(ann, style, poll_id, [True, False, False, False, False])
    await answer(ben, style, poll_id, [False, True, False, False, False])
    assert (
        await post_pbx(client, {"type": "dtmf", "call_id": "ast-5", "digits": "2"})
    ).status == 200

    async def merged() -> bool:
        await desk.settled()
        view = await desk.view(session_id)
        return [line["count"] for line in view["counts"]] == [1, 2, 0, 0]

    async with asyncio.timeout(10):
        while not await merged():
            await asyncio.sleep(0.05)
    page = await (await client.get(f"/sessions/{session_id}")).text()
    assert '<th scope="row">2. Coffee</th><td>2</td>' in page
    assert (
        await post_form(client, f"/sessions/{session_id}/warmups", {"action": "close"})
    ).status == 303
    # The facilitator chose to say the results in the meeting chat.
    said = await ben.wait_for(lambda e: "Warm-up results:" in body_of(e))
    assert "Tea: 1, Coffee: 2" in body_of(said) and "0 passed" in body_of(said)

    # A go round: the speaking queue goes round everyone, the caller too; 0 is their pass.
    go = next(w.id for w in app[keys.CATALOGUE] if w.format.value == "go_round")
    run = await post_form(
        client, f"/sessions/{session_id}/warmups", {"action": "run", "warmup": go}
    )
    assert run.status == 303
    queue = await app[keys.QUEUE].load(session_id)
    assert queue.policy.value == "go_round"
    assert caller.nick in queue.round
    assert (
        await post_pbx(client, {"type": "dtmf", "call_id": "ast-5", "digits": "0"})
    ).status == 200
    await desk.settled()
    await app[keys.QUEUE].settled()
    queue = await app[keys.QUEUE].load(session_id)
    assert caller.nick not in queue.round and caller.nick in queue.round_done
