"""Whole calls through the TwiML dialect, with a provider's exact requests: form-encoded,
signed with X-Twilio-Signature, answered with TwiML. (The provider is a stand-in: these
tests post what Twilio's documentation says it posts.)"""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from facilitation.checkout import Answers, Contact, Feeling, flag_for
from plugin import keys
from plugin.db.checkouts import open_details
from plugin.db.models import Checkout, Participant, PhoneCall
from plugin.security.sealing import Sealer
from tests.conftest import Client, app_of
from tests.phone.conftest import SIP, parse_twiml, post_twiml, start_catchup, twilio_call
from tests.support import meeting

CALLER = "+447700900123"


async def _rows(client: Client, model: Any) -> list[Any]:
    async with app_of(client)[keys.DATABASE].session() as db:
        return list((await db.exec(select(model))).all())


def _says(root: Any) -> str:
    return " ".join(say.text for say in root.iter("Say"))


async def _connect(client: Client, call_sid: str, pin: str) -> Any:
    assert (await post_twiml(client, "incoming", twilio_call(call_sid))).status == 200
    response = await post_twiml(client, "gather", twilio_call(call_sid, Digits=pin + "#"))
    assert response.status == 200
    return parse_twiml(await response.text())


async def test_a_whole_call_pin_meeting_and_keypad_checkout(
    client: Client, signed_in_facilitator: None
) -> None:
    session_id, pin = await start_catchup(client)

    greeting = await post_twiml(client, "incoming", twilio_call("CA01"))
    assert greeting.status == 200
    assert greeting.content_type == "text/xml"
    root = parse_twiml(await greeting.text())
    gather = root.find("Gather")
    assert gather is not None
    assert gather.get("numDigits") == "8"
    assert gather.get("finishOnKey") == "#"
    assert gather.get("action") == "http://127.0.0.1:8080/webhooks/phone/twiml/gather"
    assert "type the meeting PIN" in _says(root)
    assert root.find("Redirect") is not None  # no keys in time: the same step again

    wrong = await post_twiml(client, "gather", twilio_call("CA01", Digits="1111111#"))
    help_text = _says(parse_twiml(await wrong.text()))
    assert "7 digit number on your invitation" in help_text

    dial = parse_twiml(
        await (await post_twiml(client, "gather", twilio_call("CA01", Digits=pin + "#"))).text()
    )
    sip = dial.find("Dial/Sip")
    assert sip is not None
    assert sip.text == f"{SIP}?X-Room-Name=catchup%40muc.meet.jitsi"
    assert dial.find("Dial").get("action").endswith("/webhooks/phone/twiml/dial-ended")
    assert "star then 9" in _says(dial)

    # No assistant in this meeting: the call itself lists the caller, masked.
    console = await (await client.get(f"/sessions/{session_id}")).text()
    assert "…123" in console
    assert CALLER not in console
    assert "7700900123" not in console

    # The meeting leg ends with the caller still there: the keypad check-out.
    feeling = await post_twiml(
        client,
        "dial-ended",
        twilio_call("CA01", DialCallStatus="completed", DialCallDuration="1800"),
    )
    asked = parse_twiml(await feeling.text())
    assert "Press 3 if you are struggling" in _says(asked)
    assert asked.find("Gather").get("numDigits") == "1"
    callback = parse_twiml(
        await (await post_twiml(client, "gather", twilio_call("CA01", Digits="3"))).text()
    )
    assert "call you back" in _says(callback)
    bye = parse_twiml(
        await (await post_twiml(client, "gather", twilio_call("CA01", Digits="1"))).text()
    )
    assert bye.find("Hangup") is not None
    assert "Someone will call you back on this number" in _says(bye)
    assert (
        await post_twiml(client, "status", twilio_call("CA01", CallStatus="completed"))
    ).status == 200

    (checkout,) = await _rows(client, Checkout)
    same_as_web = flag_for(Answers(Feeling.STRUGGLING, Contact.CALL_LATER))
    assert same_as_web is not None
    assert checkout.source == "phone"
    assert checkout.session_id == session_id
    assert checkout.feeling == "struggling"
    assert checkout.contact == "call_later"
    assert checkout.flag_level == same_as_web.level.value == "urgent"
    assert checkout.flag_reasons == [reason.value for reason in same_as_web.reasons]
    assert checkout.display_name == "…123"
    # The number is kept only because they asked for a call back, and only encrypted.
    assert checkout.contact_detail is not None
    assert CALLER not in checkout.contact_detail
    sealer = Sealer(app_of(client)[keys.SETTINGS].secret())
    assert open_details(sealer, checkout.contact_detail) == {"phone": CALLER}
    (call,) = await _rows(client, PhoneCall)
    assert call.caller_sealed is None  # dropped from the call when it ended
    assert call.ended_at is not None


async def test_no_call_back_keeps_no_number(client: Client, signed_in_facilitator: None) -> None:
    _, pin = await start_catchup(client)
    await _connect(client, "CA02", pin)
    await post_twiml(client, "dial-ended", twilio_call("CA02", DialCallStatus="completed"))
    await post_twiml(client, "gather", twilio_call("CA02", Digits="1"))
    await post_twiml(client, "gather", twilio_call("CA02", Digits="2"))
    await post_twiml(client, "status", twilio_call("CA02", CallStatus="completed"))
    (checkout,) = await _rows(client, Checkout)
    assert checkout.feeling == "ok"
    assert checkout.flag_level is None
    assert checkout.contact_detail is None
    (call,) = await _rows(client, PhoneCall)
    assert call.caller_sealed is None


async def test_three_wrong_pins_lock_the_call_out(client: Client) -> None:
    await post_twiml(client, "incoming", twilio_call("CA03"))
    for digits in ("1111111#", ""):
        again = parse_twiml(
            await (await post_twiml(client, "gather", twilio_call("CA03", Digits=digits))).text()
        )
        assert again.find("Gather") is not None
    locked = parse_twiml(
        await (await post_twiml(client, "gather", twilio_call("CA03", Digits="2222222#"))).text()
    )
    assert locked.find("Hangup") is not None
    assert "three times" in _says(locked)
    after = await post_twiml(client, "gather", twilio_call("CA03", Digits="4817263#"))
    assert after.status == 409
    assert "over" in (await after.json())["error"]


async def test_one_number_guessing_across_calls_is_locked_out(client: Client) -> None:
    for n in range(4):  # 4 calls x 3 wrong PINs: over the 10-in-30-minutes limit
        await post_twiml(client, "incoming", twilio_call(f"CAG{n}"))
        for _ in range(3):
            await post_twiml(client, "gather", twilio_call(f"CAG{n}", Digits="1111111#"))
    fresh = parse_twiml(await (await post_twiml(client, "incoming", twilio_call("CAG9"))).text())
    assert fresh.find("Hangup") is not None
    assert "three times" in _says(fresh)
    other_caller = parse_twiml(
        await (
            await post_twiml(client, "incoming", twilio_call("CAH1", caller="+447700900999"))
        ).text()
    )
    assert other_caller.find("Gather") is not None


async def test_an_unreachable_meeting_is_explained_without_a_checkout(
    client: Client, signed_in_facilitator: None
) -> None:
    _, pin = await start_catchup(client)
    await _connect(client, "CA04", pin)
    response = await post_twiml(client, "dial-ended", twilio_call("CA04", DialCallStatus="failed"))
    root = parse_twiml(await response.text())
    assert "could not be reached" in _says(root)
    assert root.find("Hangup") is not None
    assert await _rows(client, Checkout) == []


async def test_refusals_are_clear_4xx(client: Client) -> None:
    unsigned = await post_twiml(client, "incoming", twilio_call("CA05"), sign=False)
    assert unsigned.status == 401
    forged = await post_twiml(client, "incoming", twilio_call("CA05"), token="not-the-token-at-all")
    assert forged.status == 403
    assert (await post_twiml(client, "incoming", twilio_call("CA05"))).status == 200
    replayed_start = await post_twiml(client, "incoming", twilio_call("CA05"))
    assert replayed_start.status == 409
    bad_digits = await post_twiml(client, "gather", twilio_call("CA05", Digits="12a"))
    assert bad_digits.status == 400
    assert "Digits" in (await bad_digits.json())["error"]
    unknown = await post_twiml(client, "gather", twilio_call("CA99", Digits="1"))
    assert unknown.status == 404
    no_sid = await post_twiml(client, "incoming", {"From": CALLER})
    assert no_sid.status == 400
    assert "CallSid" in (await no_sid.json())["error"]


async def test_the_caller_is_one_participant_and_adopted_by_the_assistants_sighting(
    client: Client, signed_in_facilitator: None
) -> None:
    session_id, pin = await start_catchup(client)
    await _connect(client, "CA06", pin)
    # The assistant then sees Jigasi's participant for this caller.
    await meeting.seen(app_of(client), session_id, "a1b2c3d4", "…123", "phone")
    people = [p for p in await _rows(client, Participant) if p.left_at is None]
    assert [(p.jitsi_id, p.kind, p.display_name) for p in people] == [("a1b2c3d4", "phone", "…123")]


async def test_callers_choose_their_language_when_there_are_several(
    aiohttp_client: Any, settings: Any, clock: Any
) -> None:
    from tests.support.app import app_for

    both = settings.model_copy(update={"phone_languages": ("en", "es")})
    client = await aiohttp_client(app_for(both, clock))
    menu = parse_twiml(await (await post_twiml(client, "incoming", twilio_call("CA07"))).text())
    offers = [(say.get("language"), say.text) for say in menu.iter("Say")]
    assert offers == [("en-GB", "For English, press 1."), ("es-ES", "Para Español, pulse 2.")]
    spanish = parse_twiml(
        await (await post_twiml(client, "gather", twilio_call("CA07", Digits="2"))).text()
    )
    says = [(say.get("language"), say.text) for say in spanish.iter("Say")]
    assert ("es-ES", "Marque el PIN de la reunión y después pulse la tecla almohadilla.") in says
    wrong = parse_twiml(
        await (await post_twiml(client, "gather", twilio_call("CA07", Digits="1111111#"))).text()
    )
    assert "El PIN es el número de 7 cifras" in _says(wrong)
