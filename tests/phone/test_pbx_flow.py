"""Whole calls through the PBX dialect: signed JSON events (Standard Webhooks), JSON replies.
The PBX is a stand-in posting what the README's Asterisk dialplan posts; the last test runs
the dialplan's own helper script, scripts/facilitate-pbx-event, against a real server."""

from __future__ import annotations

import asyncio
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import select

from facilitation import phone
from facilitation.live_events import LiveEvent
from facilitation.phone.replies import prompt_id
from plugin import keys
from plugin.clock import Clock
from plugin.db.models import Checkout, Participant
from tests.conftest import Client, app_of, login
from tests.phone.conftest import PBX_SECRET, post_pbx, start_catchup

SCRIPT = Path(__file__).parents[2] / "scripts" / "facilitate-pbx-event"


def started(call_id: str, **fields: Any) -> dict[str, Any]:
    return {"type": "call.started", "call_id": call_id, "caller_id": "+447700900456", **fields}


def dtmf(call_id: str, digits: str) -> dict[str, Any]:
    return {"type": "dtmf", "call_id": call_id, "digits": digits}


async def _participants(client: Client) -> list[Participant]:
    async with app_of(client)[keys.DATABASE].session() as db:
        return list((await db.exec(select(Participant))).all())


async def _hands(client: Client, session_id: str) -> dict[str | None, datetime]:
    """The hands up, from the speaking queue (their one owner), once it has caught up."""
    desk = app_of(client)[keys.QUEUE]
    await asyncio.wait_for(desk.settled(), 5)
    return {hand.participant: hand.raised_at for hand in (await desk.load(session_id)).hands}


async def test_pin_then_star_9_raises_and_lowers_the_hand_then_checkout(
    client: Client, signed_in_facilitator: None
) -> None:
    session_id, pin = await start_catchup(client)
    hub = app_of(client)[keys.HUB]
    with hub.subscribe(session_id) as feed:
        reply = await post_pbx(client, started("c-1", pin=pin))
        assert reply.status == 200
        body = await reply.json()
        assert body["action"] == "connect"
        assert body["room"] == "catchup@muc.meet.jitsi"
        assert body["sip_headers"] == {"X-Room-Name": "catchup@muc.meet.jitsi"}
        assert "star then 9" in body["say"][0]["text"]

        up = await post_pbx(client, dtmf("c-1", "*9"))
        assert (await up.json())["action"] == "none"
        (caller,) = await _participants(client)
        assert caller.kind == "phone"
        assert caller.display_name == "…456"
        assert await _hands(client, session_id) == {
            caller.jitsi_id: app_of(client)[keys.CLOCK].now()
        }
        console = await (await client.get(f"/sessions/{session_id}")).text()
        assert "hand raised" in console

        await post_pbx(client, dtmf("c-1", "4"))  # a keypad warm-up answer
        await post_pbx(client, dtmf("c-1", "*9"))
        (caller,) = await _participants(client)
        assert await _hands(client, session_id) == {}

        events = []
        while not feed.empty():
            message = feed.get_nowait()
            assert message is not None
            events.append(message)
    hands = [e for e in events if e["event"] == LiveEvent.RAISE_HAND_UPDATED.value]
    assert [bool(e["handRaised"]) for e in hands] == [True, False]
    assert {e["id"] for e in hands} == {caller.jitsi_id}
    (answer,) = [e for e in events if e["event"] == LiveEvent.KEYPAD_ANSWER.value]
    assert answer["answer"] == 4

    checkout = await (
        await post_pbx(client, {"type": "call.left_meeting", "call_id": "c-1"})
    ).json()
    assert checkout["action"] == "gather"
    assert checkout["max_digits"] == 1
    assert "struggling" in checkout["say"][0]["text"]
    assert (await (await post_pbx(client, dtmf("c-1", "2"))).json())["action"] == "gather"
    assert (await (await post_pbx(client, dtmf("c-1", "2"))).json())["action"] == "hangup"
    ended = await post_pbx(client, {"type": "call.ended", "call_id": "c-1", "reason": "hangup"})
    assert (await ended.json())["action"] == "none"
    async with app_of(client)[keys.DATABASE].session() as db:
        (row,) = (await db.exec(select(Checkout))).all()
    assert (row.feeling, row.contact, row.flag_level) == ("not_sure", "none", "flag")
    assert row.flag_reasons == ["not_sure"]
    assert row.contact_detail is None


async def test_the_service_can_ask_for_the_pin_itself(
    client: Client, signed_in_facilitator: None
) -> None:
    _, pin = await start_catchup(client)
    first = await (await post_pbx(client, started("c-2"))).json()
    assert first["action"] == "gather"
    assert first["max_digits"] == 8
    connect = await (await post_pbx(client, dtmf("c-2", pin + "#"))).json()
    assert connect["action"] == "connect"


async def test_refusals_are_clear_4xx(client: Client) -> None:
    now = int(app_of(client)[keys.CLOCK].now().timestamp())
    unsigned = await post_pbx(client, started("c-3"), headers={"Content-Type": "application/json"})
    assert unsigned.status == 401
    assert "webhook-" in (await unsigned.json())["error"]
    forged = await post_pbx(client, started("c-3"), key=b"another-key-entirely-0123456789")
    assert forged.status == 401
    stale = await post_pbx(client, started("c-3"), at=now - 301)
    assert stale.status == 401
    assert (await post_pbx(client, started("c-3"), webhook_id="msg_once")).status == 200
    replay = await post_pbx(client, dtmf("c-3", "1"), webhook_id="msg_once")
    assert replay.status == 409
    assert "replay" in (await replay.json())["error"]
    bad = await post_pbx(client, dtmf("c-3", "12a"))
    assert bad.status == 400
    assert (await bad.json())["field"] == "digits"
    unknown = await post_pbx(client, dtmf("c-404", "1"))
    assert unknown.status == 404
    wrong_type = await post_pbx(client, {"type": "call.exploded", "call_id": "c-3"})
    assert wrong_type.status == 400
    not_json = await post_pbx(client, b"{not json")
    assert not_json.status == 400
    ended = await post_pbx(client, {"type": "call.ended", "call_id": "c-3"})
    assert ended.status == 200
    after = await post_pbx(client, dtmf("c-3", "*9"))
    assert after.status == 409


async def test_the_dialplan_helper_script_against_a_real_server(
    aiohttp_server: Any, settings: Any, add_account: Any, tmp_path: Path
) -> None:
    from aiohttp.test_utils import TestClient

    from tests.support.app import app_for

    app = app_for(settings, Clock())  # the script signs with the real time
    server = await aiohttp_server(app)
    client = TestClient(server)
    await client.start_server()
    try:
        await add_account("fran")
        await login(client, "fran")
        _, pin = await start_catchup(client)
        env = {
            **os.environ,
            "FACILITATE_URL": str(server.make_url("")).rstrip("/"),
            "FACILITATE_PBX_WEBHOOK_SECRET": PBX_SECRET,
        }

        async def run(*args: str) -> str:
            process = await asyncio.create_subprocess_exec(
                "sh", str(SCRIPT), *args, env=env, stdout=asyncio.subprocess.PIPE
            )
            out, _ = await process.communicate()
            assert process.returncode == 0
            return out.decode().strip()

        def sounds(*says: Any) -> str:
            return "&".join(f"custom/facilitate-{prompt_id(say.text)}" for say in says)

        call = "1700000000.42"
        assert await run("call.started", call, "+447700900789", pin) == (
            f"connect catchup@muc.meet.jitsi {sounds(phone.CONNECTING)}"
        )
        assert await run("dtmf", call, "*9") == "none"
        assert await run("call.left_meeting", call) == f"gather 1 {sounds(phone.ASK_FEELING)}"
        assert await run("dtmf", call, "7") == (
            f"gather 1 {sounds(phone.NOT_AN_OPTION, phone.ASK_FEELING)}"
        )
        assert await run("dtmf", call, "1") == f"gather 1 {sounds(phone.ASK_CALLBACK)}"
        assert await run("dtmf", call, "#") == (
            f"gather 1 {sounds(phone.NO_DIGITS, phone.ASK_CALLBACK)}"
        )
        assert await run("dtmf", call, "2") == f"hangup {sounds(phone.THANKS)}"
        assert await run("call.ended", call) == "none"
        assert (await run("dtmf", "no-such-call", "1")).startswith("error 404")
        # The secret may come from a file instead of the environment.
        secret_file = tmp_path / "pbx-secret"
        secret_file.write_text(PBX_SECRET + "\n")
        del env["FACILITATE_PBX_WEBHOOK_SECRET"]
        env["FACILITATE_PBX_WEBHOOK_SECRET_FILE"] = str(secret_file)
        assert await run("call.started", "1700000000.43", "anonymous") == (
            f"gather 8 {sounds(phone.WELCOME, phone.ASK_PIN)}"
        )
    finally:
        await client.close()


async def test_after_being_served_star_9_raises_the_hand_again(
    client: Client, signed_in_facilitator: None
) -> None:
    from tests.conftest import csrf_from

    session_id, pin = await start_catchup(client)
    await post_pbx(client, started("c-9", pin=pin))
    await post_pbx(client, dtmf("c-9", "*9"))
    page = await (await client.get(f"/sessions/{session_id}")).text()
    seq = page.split('name="seq" value="', 1)[1].split('"', 1)[0]
    served = await client.post(
        f"/sessions/{session_id}/queue",
        data={
            "action": "next",
            "seq": seq,
            "csrf_token": await csrf_from(client, f"/sessions/{session_id}"),
        },
        allow_redirects=False,
    )
    assert served.status == 303
    (caller,) = await _participants(client)
    assert await _hands(client, session_id) == {}  # down once served
    await post_pbx(client, dtmf("c-9", "*9"))  # one press raises it again, not lowers
    assert list(await _hands(client, session_id)) == [caller.jitsi_id]
