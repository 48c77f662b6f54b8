"""The phone line pushes actions to live calls: against the PBX stand-in (which checks the
Standard Webhooks signature as the PBX kit would) and the Twilio-compatible Calls API
stand-in (which checks basic auth and then fetches the new Url, as the provider does)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
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
    CALLER,
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


async def test_a_provider_move_redirects_the_call_to_the_rejoin_url(
    provider: VoiceProviderStandin, rejoin: Rejoin
) -> None:
    server, seen = rejoin
    public = f"http://127.0.0.1:{server.port}"
    async with PhoneLine(provider_config(provider, public_url=public)) as line:
        assert line.can_move("twiml") and not line.can_speak("twiml")
        await line.move(CallRef("twiml", CALL_SID), say=SAY, room=ROOM, conference=CONFERENCE)
    (update,) = provider.updates
    assert update.call_sid == CALL_SID
    assert update.form == {"Url": f"{public}/webhooks/phone/twiml/rejoin", "Method": "POST"}
    await provider.wait_for(lambda standin: len(standin.fetches) == 1)
    (fetch,) = provider.fetches
    assert (fetch.status, fetch.body) == (200, REJOIN_TWIML)
    assert seen == [fetch.params]  # signed as the service's verifier expects
    assert seen[0]["CallSid"] == CALL_SID and seen[0]["From"] == CALLER


async def test_a_provider_move_without_fetching(provider: VoiceProviderStandin) -> None:
    provider.fetch_urls = False
    async with PhoneLine(provider_config(provider)) as line:
        await line.move(CallRef("twiml", CALL_SID), room=ROOM, conference=CONFERENCE)
    assert provider.updates[0].form["Url"] == (
        "https://facilitate.example.org/webhooks/phone/twiml/rejoin"
    )
    assert provider.fetches == []


async def test_a_wrong_auth_token_is_refused_by_the_provider(
    provider: VoiceProviderStandin,
) -> None:
    config = provider_config(provider, provider_auth_token="not-the-token")
    async with PhoneLine(config) as line:
        message = await refused(
            line.move(CallRef("twiml", CALL_SID), room=ROOM, conference=CONFERENCE)
        )
    assert message == "the provider refused our account details"
    assert provider.refused == [(f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{CALL_SID}.json", 401)]
    assert provider.updates == []


async def test_an_unknown_or_finished_provider_call_has_ended(
    provider: VoiceProviderStandin,
) -> None:
    provider.add_call("CA" + "1" * 32).status = "completed"
    async with PhoneLine(provider_config(provider)) as line:
        unknown = await refused(
            line.move(CallRef("twiml", "CA" + "0" * 32), room=ROOM, conference=CONFERENCE)
        )
        finished = await refused(
            line.move(CallRef("twiml", "CA" + "1" * 32), room=ROOM, conference=CONFERENCE)
        )
    assert unknown == finished == "the call has ended"
    assert [status for _, status in provider.refused] == [404, 400]


async def test_the_provider_message_is_not_passed_on(provider: VoiceProviderStandin) -> None:
    provider.fail_next(400, message=f"The 'From' number {CALLER} is not valid")
    async with PhoneLine(provider_config(provider)) as line:
        message = await refused(
            line.move(CallRef("twiml", CALL_SID), room=ROOM, conference=CONFERENCE)
        )
    assert "400" in message and CALLER not in message
    assert len(provider.refused) == 1  # not retried


async def test_a_provider_503_is_retried_once(provider: VoiceProviderStandin) -> None:
    provider.fetch_urls = False
    provider.fail_next(503)
    async with PhoneLine(provider_config(provider)) as line:
        await line.move(CallRef("twiml", CALL_SID), room=ROOM, conference=CONFERENCE)
    assert len(provider.refused) == 1 and len(provider.updates) == 1
    provider.fail_next(500, times=2)
    async with PhoneLine(provider_config(provider)) as line:
        message = await refused(
            line.move(CallRef("twiml", CALL_SID), room=ROOM, conference=CONFERENCE)
        )
    assert "500" in message and "twice" in message
    assert len(provider.refused) == 3 and len(provider.updates) == 1


async def test_a_provider_cannot_play_a_message(provider: VoiceProviderStandin) -> None:
    async with PhoneLine(provider_config(provider)) as line:
        message = await refused(line.speak(CallRef("twiml", CALL_SID), SAY))
    assert message == "this phone provider cannot play a message during the call"
    assert provider.refused == [] and provider.updates == []


async def test_a_plain_http_provider_address_is_refused_before_sending() -> None:
    config = PhoneLineConfig(
        provider_api_base="http://api.voice.example.com",
        provider_account_sid=ACCOUNT_SID,
        provider_auth_token=AUTH_TOKEN,
        public_url="https://facilitate.example.org",
    )
    async with PhoneLine(config) as line:
        message = await refused(
            line.move(CallRef("twiml", CALL_SID), room=ROOM, conference=CONFERENCE)
        )
    assert "FACILITATE_VOICE_API_BASE" in message and "https" in message


# --- Refused before sending --------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        CallRef("pbx", ""),
        CallRef("pbx", "x" * 129),
        CallRef("pbx", "1700000000.42/../admin"),
        CallRef("pbx", "1700000000.42 now"),
        CallRef("pbx", "caller\r\nX-Injected: 1"),
        CallRef("twiml", "CA123"),
        CallRef("twiml", "CA" + "g" * 32),
        CallRef("twiml", "../../Accounts/AC" + "0" * 32),
        CallRef("twiml", "CA" + "0" * 32 + "/Recordings"),
        CallRef("sip", PBX_CALL),
    ],
)
async def test_bad_call_ids_are_refused_before_sending(
    pbx: PbxStandin, provider: VoiceProviderStandin, call: CallRef
) -> None:
    config = provider_config(provider, pbx_actions_url=pbx.url, pbx_actions_secret=KEY)
    async with PhoneLine(config) as line:
        await refused(line.move(call, room=ROOM, conference=CONFERENCE))
    assert pbx.deliveries == [] and provider.refused == [] and provider.updates == []


@pytest.mark.parametrize("room", ["", "a\nb", "x" * 257])
async def test_bad_room_names_are_refused_before_sending(pbx: PbxStandin, room: str) -> None:
    async with PhoneLine(pbx_config(pbx)) as line:
        await refused(line.move(CallRef("pbx", PBX_CALL), room=room, conference="c@m"))
    assert pbx.deliveries == []


async def test_not_configured_names_the_missing_settings() -> None:
    async with PhoneLine(PhoneLineConfig()) as line:
        assert not line.can_move("pbx") and not line.can_move("twiml")
        assert not line.can_speak("pbx") and not line.can_speak("twiml")
        pbx_message = await refused(
            line.move(CallRef("pbx", PBX_CALL), room=ROOM, conference=CONFERENCE)
        )
        twiml_message = await refused(
            line.move(CallRef("twiml", CALL_SID), room=ROOM, conference=CONFERENCE)
        )
    assert "FACILITATE_PBX_ACTIONS_URL" in pbx_message
    assert "FACILITATE_PBX_ACTIONS_SECRET" in pbx_message
    for name in ("VOICE_API_BASE", "VOICE_ACCOUNT_SID", "TWIML_AUTH_TOKEN"):
        assert f"FACILITATE_{name}" in twiml_message
    half = PhoneLineConfig(pbx_actions_url="http://127.0.0.1:9/actions")
    async with PhoneLine(half) as line:
        message = await refused(line.speak(CallRef("pbx", PBX_CALL), SAY))
    assert "FACILITATE_PBX_ACTIONS_SECRET" in message
    assert "FACILITATE_PBX_ACTIONS_URL" not in message


async def test_a_line_that_was_not_opened_says_so(pbx: PbxStandin) -> None:
    line = PhoneLine(pbx_config(pbx))
    assert "not running" in await refused(line.speak(CallRef("pbx", PBX_CALL), SAY))
    await line.open()
    await line.close()
    assert "not running" in await refused(line.speak(CallRef("pbx", PBX_CALL), SAY))
    assert pbx.deliveries == []


# --- Logs --------------------------------------------------------------------------------


async def test_logs_name_the_action_and_never_the_caller_or_a_secret(
    pbx: PbxStandin,
    provider: VoiceProviderStandin,
    rejoin: Rejoin,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    server, _ = rejoin
    config = provider_config(
        provider,
        pbx_actions_url=pbx.url,
        pbx_actions_secret=KEY,
        public_url=f"http://127.0.0.1:{server.port}",
    )
    async with PhoneLine(config) as line:
        await line.move(CallRef("pbx", PBX_CALL), say=SAY, room=ROOM, conference=CONFERENCE)
        pbx.fail_next(503, times=2)
        await refused(line.speak(CallRef("pbx", PBX_CALL), SAY))
        await line.move(CallRef("twiml", CALL_SID), room=ROOM, conference=CONFERENCE)
        await provider.wait_for(lambda standin: len(standin.fetches) == 1)
        provider.fail_next(400, message=f"The 'From' number {CALLER} is not valid")
        await refused(line.move(CallRef("twiml", CALL_SID), room=ROOM, conference=CONFERENCE))
    wrong = PhoneLine(provider_config(provider, provider_auth_token=AUTH_TOKEN + "x"))
    async with wrong:
        await refused(wrong.move(CallRef("twiml", CALL_SID), room=ROOM, conference=CONFERENCE))
    text = caplog.text + repr(config)
    assert "call.move pbx call ...000.42: done" in text
    assert "call.play pbx call ...000.42: failed" in text
    assert f"call.move twiml call ...{CALL_SID[-6:]}: done" in text
    for never in (CALLER, CALLER.removeprefix("+"), AUTH_TOKEN, SECRET_TEXT, CALL_SID):
        assert never not in text
    assert KEY.decode() not in text
