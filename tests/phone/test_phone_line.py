"""The phone line pushes actions to live calls: against the PBX stand-in (which checks the
Standard Webhooks signature as the PBX kit would). The provider's side, bad input and logs
are in test_phone_line_provider.py, with the stand-ins and settings from here."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from plugin.notify.webhook import signature
from plugin.phoneline import CallRef, PhoneLine, PhoneLineConfig, PhoneLineError, Spoken, common
from plugin.security.standard_webhooks import sign
from tests.support.standin_pbx import PbxStandin
from tests.support.standin_voice_provider import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    VoiceProviderStandin,
)
from webhooks import twiml

KEY = b"pbx-actions-key-for-tests-0123456789"
SECRET_TEXT = base64.b64encode(KEY).decode()  # what follows whsec_ in the setting
PBX_CALL = "1700000000.42"
CALL_SID = "CA" + "fedcba9876543210" * 2
TIMEOUT = 0.5
REJOIN_TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Dial><Sip>'
    "sip:jigasi@jigasi.meet.example.org?X-Room-Name=breakout-1%40muc.meet.jitsi"
    "</Sip></Dial></Response>"
)
SAY = (Spoken("Moving you to your group.", "moving-you-to-your-group"),)
ROOM, CONFERENCE = "breakout-1", "breakout-1@muc.meet.jitsi"


@pytest.fixture
async def pbx() -> AsyncIterator[PbxStandin]:
    async with PbxStandin(KEY, live_calls={PBX_CALL}) as standin:
        yield standin


@pytest.fixture
async def provider() -> AsyncIterator[VoiceProviderStandin]:
    async with VoiceProviderStandin(calls={CALL_SID}) as standin:
        yield standin


Rejoin = tuple[TestServer, list[dict[str, Any]]]


@pytest.fixture
async def rejoin(aiohttp_server: Callable[..., Awaitable[TestServer]]) -> Rejoin:
    """A tiny server in place of the service's rejoin endpoint: it checks the provider's
    X-Twilio-Signature with the service's own verifier and answers fixed TwiML."""
    seen: list[dict[str, Any]] = []

    async def answer(request: web.Request) -> web.Response:
        raw = await request.read()
        params = twiml.parse_form(raw)
        url = f"http://127.0.0.1:{request.url.port}{request.path_qs}"
        twiml.verify(AUTH_TOKEN.encode(), url, params, request.headers.get(twiml.HEADER))
        seen.append(dict(params))
        return web.Response(body=REJOIN_TWIML.encode(), content_type="text/xml")

    app = web.Application()
    app.router.add_post("/webhooks/phone/twiml/rejoin", answer)
    return await aiohttp_server(app), seen


def pbx_config(standin: PbxStandin, **changes: Any) -> PhoneLineConfig:
    values: dict[str, Any] = {
        "pbx_actions_url": standin.url,
        "pbx_actions_secret": KEY,
        "timeout_seconds": TIMEOUT,
    }
    return PhoneLineConfig(**(values | changes))


def provider_config(standin: VoiceProviderStandin, **changes: Any) -> PhoneLineConfig:
    values: dict[str, Any] = {
        "provider_api_base": standin.api_base,
        "provider_account_sid": ACCOUNT_SID,
        "provider_auth_token": AUTH_TOKEN,
        "public_url": "https://facilitate.example.org",
        "timeout_seconds": TIMEOUT,
    }
    return PhoneLineConfig(**(values | changes))


async def refused(sending: Awaitable[None]) -> str:
    with pytest.raises(PhoneLineError) as caught:
        await sending
    return str(caught.value)


# --- The shared signature ----------------------------------------------------------------


def test_the_alert_webhook_and_the_phone_line_sign_alike() -> None:
    signed = b"msg_1.1614265330." + b'{"a":1}'
    expected = "v1," + base64.b64encode(hmac.new(KEY, signed, hashlib.sha256).digest()).decode()
    assert sign(KEY, "msg_1", 1614265330, b'{"a":1}') == expected
    assert signature(KEY, "msg_1", 1614265330, b'{"a":1}') == expected


# --- PBX ---------------------------------------------------------------------------------


async def test_a_pbx_move_is_signed_and_accepted(pbx: PbxStandin) -> None:
    async with PhoneLine(pbx_config(pbx)) as line:
        assert line.can_move("pbx") and line.can_speak("pbx")
        await line.move(CallRef("pbx", PBX_CALL), say=SAY, room=ROOM, conference=CONFERENCE)
    assert pbx.actions == [
        {
            "type": "call.move",
            "call_id": PBX_CALL,
            "room": "breakout-1",
            "sip_headers": {"X-Room-Name": "breakout-1@muc.meet.jitsi"},
            "say": [{"text": "Moving you to your group.", "prompt": "moving-you-to-your-group"}],
        }
    ]
    (delivery,) = pbx.deliveries
    assert delivery.status == 200
    assert delivery.headers["Content-Type"] == "application/json"
    assert delivery.webhook_id and delivery.webhook_id.startswith("msg_")
    assert abs(int(delivery.headers["webhook-timestamp"]) - time.time()) < 5


async def test_a_pbx_move_uses_the_configured_room_header(pbx: PbxStandin) -> None:
    config = pbx_config(pbx, room_header="Jitsi-Conference-Room")
    async with PhoneLine(config) as line:
        await line.move(CallRef("pbx", PBX_CALL), room=ROOM, conference=CONFERENCE)
    assert pbx.actions[0]["sip_headers"] == {"Jitsi-Conference-Room": CONFERENCE}
    assert pbx.actions[0]["say"] == []


async def test_a_pbx_speak_is_signed_and_accepted(pbx: PbxStandin) -> None:
    say = (Spoken("Ten minutes left.", "ten-minutes-left"), Spoken("Diolch.", "diolch"))
    async with PhoneLine(pbx_config(pbx)) as line:
        await line.speak(CallRef("pbx", PBX_CALL), say)
    assert pbx.actions == [
        {
            "type": "call.play",
            "call_id": PBX_CALL,
            "say": [
                {"text": "Ten minutes left.", "prompt": "ten-minutes-left"},
                {"text": "Diolch.", "prompt": "diolch"},
            ],
        }
    ]


async def test_each_action_has_its_own_webhook_id(pbx: PbxStandin) -> None:
    async with PhoneLine(pbx_config(pbx)) as line:
        await line.speak(CallRef("pbx", PBX_CALL), SAY)
        await line.speak(CallRef("pbx", PBX_CALL), SAY)
    assert len(pbx.actions) == 2
    assert len({delivery.webhook_id for delivery in pbx.deliveries}) == 2


async def test_a_wrong_secret_is_refused_by_the_standin(pbx: PbxStandin) -> None:
    config = pbx_config(pbx, pbx_actions_secret=b"not-the-pbx-kit-key-0123456789abcd")
    async with PhoneLine(config) as line:
        message = await refused(
            line.move(CallRef("pbx", PBX_CALL), room=ROOM, conference=CONFERENCE)
        )
    assert "401" in message and "FACILITATE_PBX_ACTIONS_SECRET" in message
    assert pbx.actions == []
    assert [delivery.status for delivery in pbx.deliveries] == [401]  # not retried


async def test_the_standin_refuses_a_stale_timestamp_and_drops_a_repeated_id(
    pbx: PbxStandin,
) -> None:
    raw = json.dumps({"type": "call.play", "call_id": PBX_CALL, "say": []}).encode()

    def headers(webhook_id: str, at: int) -> dict[str, str]:
        return {
            "content-type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": str(at),
            "webhook-signature": sign(KEY, webhook_id, at, raw),
        }

    now = int(time.time())
    async with aiohttp.ClientSession() as client:
        for webhook_id, at in (("msg_old", now - 301), ("msg_a", now), ("msg_a", now + 1)):
            async with client.post(pbx.url, data=raw, headers=headers(webhook_id, at)):
                pass
    assert [delivery.status for delivery in pbx.deliveries] == [401, 200, 200]
    assert len(pbx.actions) == 1


async def test_a_503_is_retried_once_with_the_same_webhook_id(pbx: PbxStandin) -> None:
    pbx.fail_next(503)
    async with PhoneLine(pbx_config(pbx)) as line:
        await line.move(CallRef("pbx", PBX_CALL), room=ROOM, conference=CONFERENCE)
    first, second = pbx.deliveries
    assert (first.status, second.status) == (503, 200)
    assert first.webhook_id == second.webhook_id
    assert first.body == second.body
    assert len(pbx.actions) == 1


async def test_two_failures_are_an_error(pbx: PbxStandin) -> None:
    pbx.fail_next(503, times=2)
    async with PhoneLine(pbx_config(pbx)) as line:
        message = await refused(line.speak(CallRef("pbx", PBX_CALL), SAY))
    assert "503" in message and "twice" in message
    assert [delivery.status for delivery in pbx.deliveries] == [503, 503]
    assert len({delivery.webhook_id for delivery in pbx.deliveries}) == 1
    assert pbx.actions == []


async def test_a_pbx_that_hangs_is_an_error_within_the_timeouts(pbx: PbxStandin) -> None:
    pbx.hang_next(10, times=2)
    async with PhoneLine(pbx_config(pbx)) as line:
        started = time.monotonic()
        message = await refused(
            line.move(CallRef("pbx", PBX_CALL), room=ROOM, conference=CONFERENCE)
        )
        elapsed = time.monotonic() - started
    assert "could not be reached" in message and "twice" in message
    assert 2 * TIMEOUT <= elapsed < 2 * TIMEOUT + common.RETRY_AFTER + 1.0
    assert pbx.actions == []


async def test_a_hang_then_an_answer_acts_once(pbx: PbxStandin) -> None:
    pbx.hang_next(10)
    async with PhoneLine(pbx_config(pbx)) as line:
        await line.move(CallRef("pbx", PBX_CALL), room=ROOM, conference=CONFERENCE)
    assert len(pbx.actions) == 1
    await pbx.close()  # the hung first try ends now, refused: still one action
    assert len(pbx.actions) == 1


async def test_a_call_the_pbx_does_not_know_has_ended(pbx: PbxStandin) -> None:
    async with PhoneLine(pbx_config(pbx)) as line:
        message = await refused(
            line.move(CallRef("pbx", "1700000000.99"), room=ROOM, conference=CONFERENCE)
        )
    assert message == "the call has ended"
    assert len(pbx.deliveries) == 1


@pytest.mark.parametrize("status", [410, 404])
async def test_gone_is_the_call_has_ended(pbx: PbxStandin, status: int) -> None:
    pbx.fail_next(status)
    async with PhoneLine(pbx_config(pbx)) as line:
        message = await refused(line.speak(CallRef("pbx", PBX_CALL), SAY))
    assert message == "the call has ended"


async def test_another_4xx_is_not_retried(pbx: PbxStandin) -> None:
    pbx.fail_next(422)
    async with PhoneLine(pbx_config(pbx)) as line:
        message = await refused(line.speak(CallRef("pbx", PBX_CALL), SAY))
    assert "422" in message
    assert len(pbx.deliveries) == 1


async def test_speaking_nothing_sends_nothing(pbx: PbxStandin) -> None:
    async with PhoneLine(pbx_config(pbx)) as line:
        await line.speak(CallRef("pbx", PBX_CALL), ())
    assert pbx.deliveries == []


# --- TwiML provider ----------------------------------------------------------------------
