"""The TwiML dialect (webhooks.twiml): signatures, forms, call fields and rendered TwiML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from defusedxml.ElementTree import fromstring

from facilitation import phone
from facilitation.phone import CallState, Connect, Gather, Hangup, Reply, Say, Step
from webhooks import twiml
from webhooks.body import Rejected

# Twilio's documented example (https://www.twilio.com/docs/usage/security).
TOKEN = b"12345"
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = [
    ("CallSid", "CA1234567890ABCDE"),
    ("Caller", "+12349013030"),
    ("Digits", "1234"),
    ("From", "+12349013030"),
    ("To", "+18005551212"),
]
EXPECTED = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="

ROOM = "room@conference.meet.jitsi"
GATHER_ACTION = "https://facilitate.example/webhooks/phone/twiml/gather"
DIAL_ACTION = "https://facilitate.example/webhooks/phone/twiml/dial-ended"
SIP = "sip:jigasi@jigasi.example"
VOICES = {"en": "en-GB", "cy": "cy-GB"}


def rejected(exc: pytest.ExceptionInfo[Rejected]) -> tuple[int, str, str | None]:
    return exc.value.status, exc.value.message, exc.value.field


# --- Signature -------------------------------------------------------------------------


def test_sign_reproduces_twilios_example() -> None:
    assert twiml.sign(TOKEN, URL, PARAMS) == EXPECTED


def test_verify_accepts_twilios_example() -> None:
    twiml.verify(TOKEN, URL, PARAMS, EXPECTED)


def test_parameter_order_as_sent_does_not_matter() -> None:
    twiml.verify(TOKEN, URL, list(reversed(PARAMS)), EXPECTED)


def test_repeated_names_sort_by_value() -> None:
    one = [("B", "2"), ("A", "y"), ("A", "x")]
    other = [("A", "x"), ("B", "2"), ("A", "y")]
    assert twiml.sign(TOKEN, URL, one) == twiml.sign(TOKEN, URL, other)
    # The signed text is URL + "Ax" + "Ay" + "B2".
    assert twiml.sign(TOKEN, URL, one) == twiml.sign(TOKEN, URL + "AxAyB2", [])


@pytest.mark.parametrize(
    ("token", "url", "params"),
    [
        pytest.param(b"12346", URL, PARAMS, id="wrong token"),
        pytest.param(TOKEN, URL.replace("https:", "http:"), PARAMS, id="scheme"),
        pytest.param(TOKEN, URL.replace(".com/", ".com:443/"), PARAMS, id="port"),
        pytest.param(TOKEN, URL.replace("bar=2", "bar=3"), PARAMS, id="query"),
        pytest.param(TOKEN, URL.split("?")[0], PARAMS, id="no query"),
        pytest.param(TOKEN, URL, [*PARAMS[:2], ("Digits", "1235"), *PARAMS[3:]], id="value"),
        pytest.param(TOKEN, URL, [*PARAMS, ("Extra", "")], id="added"),
        pytest.param(TOKEN, URL, PARAMS[1:], id="removed"),
    ],
)
def test_any_change_is_refused(token: bytes, url: str, params: list[tuple[str, str]]) -> None:
    with pytest.raises(Rejected) as exc:
        twiml.verify(token, url, params, EXPECTED)
    assert exc.value.status == 403
    assert exc.value.message.startswith("X-Twilio-Signature does not match")
    assert "12345" not in exc.value.message
    assert EXPECTED not in exc.value.message


@pytest.mark.parametrize("header", [None, ""])
def test_missing_signature_is_401(header: str | None) -> None:
    with pytest.raises(Rejected) as exc:
        twiml.verify(TOKEN, URL, PARAMS, header)
    assert rejected(exc) == (401, "missing X-Twilio-Signature header", None)


def test_empty_auth_token_verifies_nothing() -> None:
    with pytest.raises(Rejected) as exc:
        twiml.verify(b"", URL, PARAMS, twiml.sign(b"", URL, PARAMS))
    assert exc.value.status == 401


@pytest.mark.parametrize(
    "header",
    [
        # aiohttp hands undecodable header bytes over as surrogate escapes
        b"\xff\xfe0/KCTR6DLpKmkAf8muzZqo1nDgQ=".decode("utf-8", "surrogateescape"),
        "0/KCTR6DLpKmkAf8muzZqo1nDgQ\udc80",
        "\ud800",
        "é" * 28,
        "0/KCTR6DLpKmkAf8muzZqo1nDgQ=\x00",
        "0/KCTR6DLpKmkAf8muzZqo1nDgQ= ",
        "not base64 at all!",
        "x" * 10_000,
    ],
)
def test_garbage_signatures_are_403(header: str) -> None:
    with pytest.raises(Rejected) as exc:
        twiml.verify(TOKEN, URL, PARAMS, header)
    assert exc.value.status == 403


def test_unencodable_text_is_refused_not_raised() -> None:
    with pytest.raises(Rejected) as exc:
        twiml.verify(TOKEN, URL + "\ud800", [("From", "\udfff")], EXPECTED)
    assert exc.value.status == 403


# --- Form ------------------------------------------------------------------------------


def test_form_keeps_order_blanks_and_decodes() -> None:
    raw = b"CallSid=CA1&From=%2B441234567890&Digits=&Note=hello+there%21&Flag"
    assert twiml.parse_form(raw) == [
        ("CallSid", "CA1"),
        ("From", "+441234567890"),
        ("Digits", ""),
        ("Note", "hello there!"),
        ("Flag", ""),
    ]


def test_form_decodes_utf8() -> None:
    assert twiml.parse_form("Name=Siân%20Ó".encode()) == [("Name", "Siân Ó")]


def test_empty_form_is_empty() -> None:
    assert twiml.parse_form(b"") == []


def test_parsed_form_verifies_like_twilio_signed_it() -> None:
    raw = b"CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&From=%2B12349013030&To=%2B18005551212"
    twiml.verify(TOKEN, URL, twiml.parse_form(raw), EXPECTED)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        pytest.param(b"Name=\xff", "form body is not valid UTF-8", id="raw bytes"),
        pytest.param(b"Name=%FF", "form field percent-encodes bytes", id="percent-encoded"),
        pytest.param(b"Name=%ED%A0%80", "form field percent-encodes bytes", id="surrogate"),
        pytest.param(b"Name=a%00b", "Name: text with NUL", id="NUL value"),
        pytest.param(b"Na%00me=a", "form field name with NUL", id="NUL name"),
    ],
)
def test_form_refusals(raw: bytes, message: str) -> None:
    with pytest.raises(Rejected) as exc:
        twiml.parse_form(raw)
    assert exc.value.status == 400
    assert exc.value.message.startswith(message)


def test_nul_value_names_the_field() -> None:
    with pytest.raises(Rejected) as exc:
        twiml.parse_form(b"CallSid=CA1&From=%00")
    assert exc.value.field == "From"


def test_too_many_fields() -> None:
    raw = "&".join(f"f{n}=v" for n in range(101)).encode()
    with pytest.raises(Rejected) as exc:
        twiml.parse_form(raw)
    assert rejected(exc) == (400, "form has more than 100 fields", None)
    assert len(twiml.parse_form(raw, max_fields=101)) == 101
    with pytest.raises(Rejected):
        twiml.parse_form(b"a=1&b=2&c=3", max_fields=2)


# --- Call fields -----------------------------------------------------------------------


def test_call_request_reads_every_field() -> None:
    call = twiml.call_request(
        [
            ("CallSid", "CA0123456789abcdef_-"),
            ("From", "+441234567890"),
            ("Digits", "4817263#"),
            ("DialCallStatus", "completed"),
            ("AccountSid", "AC1"),
        ]
    )
    assert call == twiml.CallRequest(
        "CA0123456789abcdef_-", "+441234567890", "4817263#", "completed"
    )


def test_call_request_defaults() -> None:
    assert twiml.call_request([("CallSid", "CA1")]) == twiml.CallRequest("CA1", "", None, None)


def test_empty_digits_mean_no_keys() -> None:
    assert twiml.call_request([("CallSid", "CA1"), ("Digits", "")]).digits is None


@pytest.mark.parametrize("status", sorted(twiml.DIAL_STATUSES))
def test_every_dial_status(status: str) -> None:
    assert (
        twiml.call_request([("CallSid", "CA1"), ("DialCallStatus", status)]).dial_status == status
    )


def test_call_sid_required() -> None:
    with pytest.raises(Rejected) as exc:
        twiml.call_request([("From", "+44")])
    assert rejected(exc) == (400, "CallSid: required", "CallSid")


@pytest.mark.parametrize(
    "sid", ["", "CA 1", "CA1\n", "CA/1", "CA1.", "ÇA1", "CA١", "x" * 65, "CA1\x00"]
)
def test_bad_call_sid(sid: str) -> None:
    with pytest.raises(Rejected) as exc:
        twiml.call_request([("CallSid", sid)])
    assert exc.value.status == 400
    assert exc.value.field == "CallSid"


def test_longest_call_sid() -> None:
    assert twiml.call_request([("CallSid", "x" * 64)]).call_id == "x" * 64


def test_caller_length() -> None:
    assert twiml.call_request([("CallSid", "CA1"), ("From", "9" * 64)]).caller == "9" * 64
    with pytest.raises(Rejected) as exc:
        twiml.call_request([("CallSid", "CA1"), ("From", "9" * 65)])
    assert rejected(exc) == (400, "From: at most 64 characters", "From")


@pytest.mark.parametrize("digits", ["12a", "1 2", "1234567890123", "١٢٣", "12\n", "+1"])
def test_bad_digits(digits: str) -> None:
    with pytest.raises(Rejected) as exc:
        twiml.call_request([("CallSid", "CA1"), ("Digits", digits)])
    assert rejected(exc) == (400, "Digits: must be 1 to 12 of 0-9, * and #", "Digits")


@pytest.mark.parametrize("digits", ["1", "*9", "#", "123456789012", "*#0"])
def test_good_digits(digits: str) -> None:
    assert twiml.call_request([("CallSid", "CA1"), ("Digits", digits)]).digits == digits


@pytest.mark.parametrize("status", ["", "COMPLETED", "in-progress", "ringing", "cancelled"])
def test_bad_dial_status(status: str) -> None:
    with pytest.raises(Rejected) as exc:
        twiml.call_request([("CallSid", "CA1"), ("DialCallStatus", status)])
    assert exc.value.status == 400
    assert exc.value.field == "DialCallStatus"
    assert exc.value.message.startswith("DialCallStatus: must be one of")


@pytest.mark.parametrize("name", ["CallSid", "From", "Digits", "DialCallStatus"])
def test_repeated_field_is_refused(name: str) -> None:
    value = {"CallSid": "CA1", "From": "+44", "Digits": "1", "DialCallStatus": "busy"}[name]
    params = [("CallSid", "CA1"), (name, value), (name, value)]
    with pytest.raises(Rejected) as exc:
        twiml.call_request(params)
    assert rejected(exc) == (400, f"{name}: given more than once", name)


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
