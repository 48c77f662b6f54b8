"""The TwiML dialect (webhooks.twiml): the TwiML it answers."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from defusedxml.ElementTree import fromstring

from facilitation import phone
from facilitation.phone import CallState, Connect, Gather, Hangup, Reply, Say, Step
from webhooks import twiml

# Twilio's documented example (https://www.twilio.com/docs/usage/security).

ROOM = "room@conference.meet.jitsi"
GATHER_ACTION = "https://facilitate.example/webhooks/phone/twiml/gather"
DIAL_ACTION = "https://facilitate.example/webhooks/phone/twiml/dial-ended"
SIP = "sip:jigasi@jigasi.example"
VOICES = {"en": "en-GB", "cy": "cy-GB"}


# --- Rendering -------------------------------------------------------------------------


def english(language: str, text: str) -> str:
    return text


def render(
    reply: Reply | None,
    translate=english,
    sip_uri: str = SIP,
    room_header: str = "X-Room-Name",
) -> bytes:
    return twiml.render(
        reply,
        translate=translate,
        voice_language=lambda code: VOICES.get(code, code),
        gather_action=GATHER_ACTION,
        sip_uri=sip_uri,
        room_header=room_header,
        dial_action=DIAL_ACTION,
    )


def parse(body: bytes) -> ET.Element:
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = fromstring(body)
    assert root.tag == "Response"
    return root


def test_content_type() -> None:
    assert twiml.CONTENT_TYPE in ("text/xml; charset=utf-8", "application/xml")


def test_gather_speaks_inside_and_redirects_after() -> None:
    reply = phone.start(("en",), 7).reply
    assert reply is not None
    root = parse(render(reply))
    assert [child.tag for child in root] == ["Gather", "Redirect"]
    gather, redirect = root
    assert gather.attrib == {
        "input": "dtmf",
        "numDigits": "8",
        "finishOnKey": "#",
        "timeout": "10",
        "action": GATHER_ACTION,
        "method": "POST",
    }
    assert [(say.tag, say.attrib, say.text) for say in gather] == [
        ("Say", {"language": "en-GB"}, phone.WELCOME.text),
        ("Say", {"language": "en-GB"}, phone.ASK_PIN.text),
    ]
    assert redirect.attrib == {"method": "POST"}
    assert redirect.text == GATHER_ACTION
    assert len(redirect) == 0


def test_gather_timeout_is_passed_through() -> None:
    root = parse(render(Reply((), Gather(1, 5), "en")))
    assert root[0].get("numDigits") == "1"
    assert root[0].get("timeout") == "5"
    assert len(root[0]) == 0


def test_language_menu_fills_in_values() -> None:
    reply = phone.start(("en", "cy"), 7).reply
    assert reply is not None
    gather = parse(render(reply))[0]
    assert [say.text for say in gather] == ["For English, press 1.", "For Cymraeg, press 2."]


def test_connect_dials_jigasi_with_the_room_header() -> None:
    state = CallState(Step.PIN, "en")
    outcome = phone.press(
        state, "4817263#", languages=("en",), pin_length=7, lookup={"4817263": ROOM}.get
    )
    assert outcome.reply is not None
    assert outcome.reply.then == Connect(ROOM)
    root = parse(render(outcome.reply))
    assert [child.tag for child in root] == ["Say", "Dial"]
    say, dial = root
    assert say.attrib == {"language": "en-GB"}
    assert say.text == phone.CONNECTING.text
    assert dial.attrib == {"action": DIAL_ACTION, "method": "POST"}
    assert [child.tag for child in dial] == ["Sip"]
    assert dial[0].text == f"{SIP}?X-Room-Name=room%40conference.meet.jitsi"


def test_connect_quotes_every_special_character_in_the_room() -> None:
    root = parse(render(Reply((), Connect("a b&c=d?e/f@muc"), "en")))
    sip = root.find("Dial/Sip")
    assert sip is not None
    assert sip.text == f"{SIP}?X-Room-Name=a%20b%26c%3Dd%3Fe%2Ff%40muc"


def test_connect_joins_an_existing_query_with_ampersand() -> None:
    body = render(Reply((), Connect(ROOM), "en"), sip_uri=SIP + "?X-Other=1", room_header="X-Room")
    sip = parse(body).find("Dial/Sip")
    assert sip is not None
    assert sip.text == f"{SIP}?X-Other=1&X-Room=room%40conference.meet.jitsi"


@pytest.mark.parametrize(
    "header",
    ["Room", "X-", "X-Room Name", "X-Room\r\nEvil: 1", "X-Room=1", "X-" + "a" * 65, "x-room"],
)
def test_bad_room_header_is_refused(header: str) -> None:
    with pytest.raises(ValueError, match="room_header"):
        render(Reply((), Connect(ROOM), "en"), room_header=header)


def test_hangup_says_then_hangs_up() -> None:
    reply = Reply((phone.LOCKED_OUT,), Hangup(), "cy")
    root = parse(render(reply))
    assert [child.tag for child in root] == ["Say", "Hangup"]
    assert root[0].attrib == {"language": "cy-GB"}
    assert root[0].text == phone.LOCKED_OUT.text
    assert root[1].attrib == {}
    assert len(root[1]) == 0
    assert root[1].text is None


def test_hangup_with_nothing_to_say() -> None:
    root = parse(render(Reply((), Hangup(), "en")))
    assert [child.tag for child in root] == ["Hangup"]


def test_unknown_voice_language_is_passed_through() -> None:
    root = parse(render(Reply((phone.GOODBYE,), Hangup(), "es")))
    assert root[0].get("language") == "es"


def test_none_is_an_empty_response() -> None:
    root = parse(render(None))
    assert len(root) == 0
    assert root.attrib == {}
    assert not (root.text or "").strip()


def test_markup_in_values_is_escaped() -> None:
    reply = Reply((Say("Hello %(name)s", {"name": "<script>&\"'"}),), Hangup(), "en")
    body = render(reply)
    assert b"<script>" not in body
    assert b"&lt;script&gt;&amp;" in body
    root = parse(body)
    assert [child.tag for child in root] == ["Say", "Hangup"]
    assert root[0].text == "Hello <script>&\"'"


def test_characters_xml_cannot_carry_are_dropped() -> None:
    reply = Reply((Say("a%(x)sb", {"x": "\x00\x01\x1b\ufffe"}),), Hangup(), "en")
    assert parse(render(reply))[0].text == "ab"


def test_translation_is_used_then_values_applied() -> None:
    calls: list[tuple[str, str]] = []

    def welsh(language: str, text: str) -> str:
        calls.append((language, text))
        return {phone.PIN_HELP.text: "Mae'r PIN yn %(length)s digid."}.get(text, "CY: " + text)

    state = CallState(Step.PIN, "cy")
    outcome = phone.press(state, "1#", languages=("cy",), pin_length=7, lookup=lambda _pin: None)
    assert outcome.reply is not None
    gather = parse(render(outcome.reply, translate=welsh))[0]
    assert [say.text for say in gather] == ["Mae'r PIN yn 7 digid."]
    assert [say.get("language") for say in gather] == ["cy-GB"]
    assert calls == [("cy", phone.PIN_HELP.text)]

    root = parse(render(Reply((phone.GOODBYE,), Hangup(), "cy"), translate=welsh))
    assert root[0].text == "CY: " + phone.GOODBYE.text


def test_percent_in_a_translation_without_values_is_left_alone() -> None:
    root = parse(render(Reply((Say("Full"),), Hangup(), "en"), translate=lambda _l, _t: "100%"))
    assert root[0].text == "100%"


def test_broken_translation_falls_back_to_the_source() -> None:
    reply = Reply((Say("Press %(key)s.", {"key": "1"}),), Hangup(), "fr")
    root = parse(render(reply, translate=lambda _l, _t: "Appuyez sur %(touche)s."))
    assert root[0].text == "Press 1."
