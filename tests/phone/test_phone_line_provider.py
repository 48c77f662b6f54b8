"""The phone line against the Twilio-compatible Calls API stand-in (which checks basic auth
and then fetches the new Url, as the provider does), and what the line refuses before
sending anything, says when it is not set up, and never writes in a log."""

from __future__ import annotations

import logging

import pytest

from plugin.phoneline import CallRef, PhoneLine, PhoneLineConfig
from tests.phone.test_phone_line import (  # the same stand-ins and settings
    CALL_SID,
    CONFERENCE,
    KEY,
    PBX_CALL,
    REJOIN_TWIML,
    ROOM,
    SAY,
    SECRET_TEXT,
    Rejoin,
    pbx,
    pbx_config,
    provider,
    provider_config,
    refused,
    rejoin,
)
from tests.support.standin_pbx import PbxStandin
from tests.support.standin_voice_provider import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    CALLER,
    VoiceProviderStandin,
)

_FIXTURES = (pbx, provider, rejoin)  # used by name as pytest fixtures


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
