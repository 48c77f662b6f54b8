"""The PBX dialect (webhooks.pbx): Standard Webhooks signatures, events and JSON replies."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from facilitation import phone
from facilitation.phone import CallState, Connect, Gather, Hangup, Reply, Say, Step
from plugin.security.standard_webhooks import decode_secret
from webhooks import pbx
from webhooks.body import Rejected

# The Standard Webhooks specification's own test vector.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
PAYLOAD = b'{"test": 2432232314}'
EXPECTED = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

KEY = decode_secret(SECRET)
OTHER_KEY = b"another-pbx-signing-key-0123456789"
TOLERANCE = 300
ROOM = "catchup@muc.meet.jitsi"
HEADER = "X-Room-Name"


def rejected(exc: pytest.ExceptionInfo[Rejected]) -> tuple[int, str, str | None]:
    return exc.value.status, exc.value.message, exc.value.field


def headers(
    signature: str = EXPECTED, webhook_id: str = MSG_ID, timestamp: str = str(TIMESTAMP)
) -> dict[str, str]:
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": signature,
    }


def verify(
    sent: dict[str, str],
    *,
    keys: tuple[bytes, ...] = (KEY,),
    raw: bytes = PAYLOAD,
    now: float = TIMESTAMP,
) -> str:
    return pbx.verify(keys, sent, raw, now, TOLERANCE)


def refused(sent: dict[str, str], **kwargs: Any) -> tuple[int, str, str | None]:
    with pytest.raises(Rejected) as exc:
        verify(sent, **kwargs)
    return rejected(exc)


# --- Secret ----------------------------------------------------------------------------


def test_decode_secret_is_the_base64_after_the_prefix() -> None:
    assert base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == KEY
    assert len(KEY) == 24


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "starts with whsec_"),
        ("WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "starts with whsec_"),
        ("whsec_not base64!!", "not valid base64"),
        ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", "not valid base64"),  # bad padding
        ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa\u00e9w", "not valid base64"),
        ("whsec_" + base64.b64encode(b"x" * 23).decode(), "at least 24"),
        ("whsec_", "at least 24"),
    ],
)
def test_decode_secret_refuses(value: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        decode_secret(value)


# --- Signature -------------------------------------------------------------------------


def test_sign_reproduces_the_specifications_test_vector() -> None:
    assert pbx.sign(KEY, MSG_ID, TIMESTAMP, PAYLOAD) == EXPECTED


def test_verify_accepts_the_test_vector_and_returns_the_id() -> None:
    assert verify(headers()) == MSG_ID


def test_header_names_are_case_insensitive() -> None:
    sent = {
        "Webhook-Id": MSG_ID,
        "WEBHOOK-TIMESTAMP": str(TIMESTAMP),
        "Webhook-Signature": EXPECTED,
    }
    assert verify(sent) == MSG_ID


def test_any_v1_entry_may_match_and_other_versions_are_ignored() -> None:
    wrong = "v1," + base64.b64encode(b"\x00" * 32).decode()
    sent = headers(f"v2,abc {wrong}  v1a,{EXPECTED[3:]} {EXPECTED}")
    assert verify(sent) == MSG_ID


def test_rotation_either_key_may_have_signed() -> None:
    new = pbx.sign(OTHER_KEY, MSG_ID, TIMESTAMP, PAYLOAD)
    assert verify(headers(new), keys=(KEY, OTHER_KEY)) == MSG_ID
    assert verify(headers(EXPECTED), keys=(KEY, OTHER_KEY)) == MSG_ID
    # The sender sending both during its own rotation.
    assert verify(headers(f"{new} {EXPECTED}"), keys=(OTHER_KEY,)) == MSG_ID
    assert refused(headers(new), keys=(KEY,))[0] == 401


def test_timestamp_at_the_tolerance_is_accepted_both_ways() -> None:
    assert verify(headers(), now=TIMESTAMP + TOLERANCE) == MSG_ID
    assert verify(headers(), now=TIMESTAMP - TOLERANCE) == MSG_ID


@pytest.mark.parametrize("offset", [TOLERANCE + 1, -(TOLERANCE + 1)])
def test_timestamp_beyond_the_tolerance_is_refused(offset: int) -> None:
    assert refused(headers(), now=TIMESTAMP + offset) == (
        401,
        "webhook-timestamp is too old or in the future (replay?)",
        None,
    )


@pytest.mark.parametrize("name", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_each_missing_header_is_refused(name: str) -> None:
    sent = headers()
    del sent[name]
    assert refused(sent) == (401, f"missing {name} header", None)
    sent[name] = ""
    assert refused(sent) == (401, f"missing {name} header", None)


def test_no_keys_configured_is_refused() -> None:
    assert refused(headers(), keys=())[0] == 401


@pytest.mark.parametrize(
    "stamp", ["16142653.30", "-1614265330", "１６１４２６５３３０", "²", "1e9", " 1"]
)
def test_a_timestamp_that_is_not_ascii_digits_is_a_400(stamp: str) -> None:
    assert refused(headers(timestamp=stamp)) == (
        400,
        "webhook-timestamp: must be unix seconds, 1 to 20 ASCII digits",
        "webhook-timestamp",
    )


def test_a_huge_timestamp_is_refused_not_an_exception() -> None:
    assert refused(headers(timestamp="9" * 20))[0] == 401
    assert refused(headers(timestamp="9" * 5000))[0] == 400


@pytest.mark.parametrize("webhook_id", ["msg 1", "msg/1", "a" * 129, "msg\n", "msgé"])
def test_a_malformed_webhook_id_is_a_400(webhook_id: str) -> None:
    status, message, field = refused(headers(webhook_id=webhook_id))
    assert (status, field) == (400, "webhook-id")
    assert message.startswith("webhook-id: must be 1 to 128")


def test_a_webhook_id_of_128_characters_is_fine() -> None:
    webhook_id = "msg_" + "a" * 124
    signature = pbx.sign(KEY, webhook_id, TIMESTAMP, PAYLOAD)
    assert verify(headers(signature, webhook_id=webhook_id)) == webhook_id


@pytest.mark.parametrize(
    "signature",
    [
        "v1," + base64.b64encode(b"\x00" * 32).decode(),  # wrong
        EXPECTED.replace("v1,", "v2,"),  # right bytes, another version only
        EXPECTED[3:],  # no version
        "v1",
        "v1,",
        EXPECTED.lower(),
    ],
)
def test_a_signature_that_does_not_match_is_refused(signature: str) -> None:
    assert refused(headers(signature)) == (401, "webhook-signature does not match", None)


def test_the_signature_covers_the_body_the_id_and_the_timestamp() -> None:
    assert refused(headers(), raw=PAYLOAD + b" ")[0] == 401
    assert refused(headers(webhook_id="msg_other"))[0] == 401
    assert refused(headers(timestamp=str(TIMESTAMP + 1)))[0] == 401


def test_surrogate_escaped_header_values_are_refused_not_exceptions() -> None:
    # aiohttp keeps bytes that are not UTF-8 as lone surrogates U+DC80..U+DCFF.
    bad = b"\xff\xfe".decode("utf-8", "surrogateescape")
    assert refused(headers(EXPECTED + bad)) == (401, "webhook-signature does not match", None)
    assert refused(headers(f"v1,{bad}"))[0] == 401
    assert refused(headers(f"{bad} {bad},x"))[0] == 401
    assert refused(headers(webhook_id=MSG_ID + bad))[:2] == (
        400,
        "webhook-id: must be 1 to 128 of A-Z, a-z, 0-9, _ . : and -",
    )
    assert refused(headers(timestamp=str(TIMESTAMP) + bad))[0] == 400
    assert refused(headers(webhook_id="\ud800"))[0] == 400  # not even surrogateescape's range


# --- Events ----------------------------------------------------------------------------


def body(**fields: Any) -> bytes:
    return json.dumps(fields).encode()


def parse_refused(raw: bytes) -> tuple[int, str, str | None]:
    with pytest.raises(Rejected) as exc:
        pbx.parse(raw)
    return rejected(exc)


def test_call_started_with_a_pin() -> None:
    event = pbx.parse(
        body(
            type="call.started",
            call_id="1700000000.42",
            caller_id="+447700900123",
            pin="12345678",
            language="pt-BR",
        )
    )
    assert event == pbx.CallStarted(
        type="call.started",
        call_id="1700000000.42",
        caller_id="+447700900123",
        pin="12345678",
        language="pt-BR",
    )
    assert isinstance(event, pbx.CallStarted)
    assert event.room is None


def test_call_started_with_a_room_or_neither() -> None:
    event = pbx.parse(
        body(type="call.started", call_id="c@pbx:1", caller_id="anonymous", room=ROOM)
    )
    assert isinstance(event, pbx.CallStarted)
    assert (event.room, event.pin, event.caller_id, event.language) == (
        ROOM,
        None,
        "anonymous",
        None,
    )
    bare = pbx.parse(body(type="call.started", call_id="c-1"))
    assert isinstance(bare, pbx.CallStarted)
    assert (bare.pin, bare.room, bare.caller_id) == (None, None, None)
    # The helper script sends an empty caller_id when the PBX has none.
    assert isinstance(
        pbx.parse(body(type="call.started", call_id="c-1", caller_id="")), pbx.CallStarted
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"pin": ""}, "pin"),
        ({"pin": "1" * 13}, "pin"),
        ({"pin": "1234#"}, "pin"),
        ({"pin": 12345678}, "pin"),
        ({"room": ""}, "room"),
        ({"room": "r" * 301}, "room"),
        ({"pin": "12345678", "room": ROOM}, "room"),
        ({"caller_id": "1" * 65}, "caller_id"),
        ({"language": "english"}, "language"),
        ({"language": "EN"}, "language"),
        ({"language": "e"}, "language"),
        ({"language": "en-"}, "language"),
        ({"call_id": "call id"}, "call_id"),
        ({"call_id": "c" * 129}, "call_id"),
        ({"call_id": "c-1\n"}, "call_id"),
        ({"call_id": ""}, "call_id"),
    ],
)
def test_call_started_refusals_name_the_field(fields: dict[str, Any], field: str) -> None:
    status, message, named = parse_refused(
        body(type="call.started", **{"call_id": "c-1", **fields})
    )
    assert (status, named) == (400, field)
    assert message.startswith(f"{field}: ")


def test_pin_or_room_not_both_says_so() -> None:
    assert parse_refused(body(type="call.started", call_id="c-1", pin="1234", room=ROOM)) == (
        400,
        "room: give pin or room, not both",
        "room",
    )


def test_language_limits() -> None:
    for code in ("en", "cy", "fil", "pt-BR", "zh-Hant", "sr-latn"):
        event = pbx.parse(body(type="call.started", call_id="c-1", language=code))
        assert isinstance(event, pbx.CallStarted)
        assert event.language == code


def test_dtmf() -> None:
    assert pbx.parse(body(type="dtmf", call_id="c-1", digits="*9")) == pbx.Dtmf(
        type="dtmf", call_id="c-1", digits="*9"
    )
    event = pbx.parse(body(type="dtmf", call_id="c-1", digits="0123456789*#"))
    assert isinstance(event, pbx.Dtmf)


@pytest.mark.parametrize("digits", ["12a", "1" * 13, "", "١", "1 2"])
def test_dtmf_bad_digits(digits: str) -> None:
    assert parse_refused(body(type="dtmf", call_id="c-1", digits=digits)) == (
        400,
        "digits: must be 1 to 12 of 0-9, * and #",
        "digits",
    )


def test_dtmf_digits_must_be_text() -> None:
    status, message, field = parse_refused(body(type="dtmf", call_id="c-1", digits=19))
    assert (status, field) == (400, "digits")
    assert message.startswith("digits: ")


def test_left_meeting_and_ended() -> None:
    left = pbx.parse(body(type="call.left_meeting", call_id="c-1"))
    assert left == pbx.LeftMeeting(type="call.left_meeting", call_id="c-1")
    ended = pbx.parse(body(type="call.ended", call_id="c-1", reason="hangup"))
    assert ended == pbx.CallEnded(type="call.ended", call_id="c-1", reason="hangup")
    quiet = pbx.parse(body(type="call.ended", call_id="c-1"))
    assert isinstance(quiet, pbx.CallEnded)
    assert quiet.reason is None
    assert parse_refused(body(type="call.ended", call_id="c-1", reason="r" * 65))[2] == "reason"


@pytest.mark.parametrize("kind", pbx.EVENT_TYPES)
def test_missing_call_id(kind: str) -> None:
    extra = {"digits": "1"} if kind == "dtmf" else {}
    assert parse_refused(body(type=kind, **extra)) == (400, "call_id: Field required", "call_id")


def test_dtmf_needs_digits() -> None:
    assert parse_refused(body(type="dtmf", call_id="c-1")) == (
        400,
        "digits: Field required",
        "digits",
    )


@pytest.mark.parametrize(
    "raw",
    [
        body(type="call.exploded", call_id="c-1"),
        body(type="DTMF", call_id="c-1", digits="1"),
        body(type=5, call_id="c-1"),
        body(type=None, call_id="c-1"),
        body(type=["dtmf"], call_id="c-1"),
        body(call_id="c-1", digits="1"),
    ],
)
def test_unknown_or_missing_type(raw: bytes) -> None:
    assert parse_refused(raw) == (
        400,
        "type: must be one of call.started, dtmf, call.left_meeting, call.ended",
        "type",
    )


def test_extra_fields_are_ignored() -> None:
    event = pbx.parse(
        body(
            type="dtmf",
            call_id="c-1",
            digits="1",
            channel="PJSIP/provider-000001",
            nested={"anything": [1, 2]},
        )
    )
    assert event == pbx.Dtmf(type="dtmf", call_id="c-1", digits="1")
    assert not hasattr(event, "channel")


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"[]", b'"dtmf"', b'{"type": "dtmf", "call_id": NaN}', b"\xff"],
)
def test_bodies_that_are_not_a_json_object(raw: bytes) -> None:
    assert parse_refused(raw)[0] == 400


def test_nul_in_text_is_refused() -> None:
    status, _, field = parse_refused(
        b'{"type": "call.started", "call_id": "c-1", "room": "a\\u0000"}'
    )
    assert (status, field) == (400, "room")


# --- Reply -----------------------------------------------------------------------------


def english(language: str, text: str) -> str:
    return text


def render(reply: Reply | None, translate: Any = english) -> dict[str, Any]:
    return pbx.render(reply, translate=translate, room_header=HEADER)


def spoken(*says: Say) -> list[dict[str, str]]:
    return [
        {
            "text": s.text % s.values if s.values else s.text,
            "prompt": pbx.prompt_id(s.text),
            "language": "en",
        }
        for s in says
    ]


def test_render_nothing() -> None:
    assert render(None) == {"action": "none"}


def test_render_gather_from_the_start_of_a_call() -> None:
    reply = phone.start(("en",), 7).reply
    assert render(reply) == {
        "action": "gather",
        "language": "en",
        "say": [
            {
                "text": "Welcome to the meeting line.",
                "prompt": pbx.prompt_id(phone.WELCOME.text),
                "language": "en",
            },
            {
                "text": "Please type the meeting PIN, then press the hash key.",
                "prompt": pbx.prompt_id(phone.ASK_PIN.text),
                "language": "en",
            },
        ],
        "max_digits": 8,
        "timeout_seconds": 10,
    }


def test_render_connect() -> None:
    state = CallState(Step.PIN, "en")
    outcome = phone.press(
        state, "1234567#", languages=("en",), pin_length=7, lookup=lambda pin: ROOM
    )
    assert outcome.reply is not None
    assert isinstance(outcome.reply.then, Connect)
    assert render(outcome.reply) == {
        "action": "connect",
        "language": "en",
        "say": spoken(phone.CONNECTING),
        "room": ROOM,
        "sip_headers": {HEADER: ROOM},
    }


def test_render_hangup() -> None:
    reply = Reply((phone.GOODBYE,), Hangup(), "en")
    assert render(reply) == {
        "action": "hangup",
        "language": "en",
        "say": [
            {
                "text": "Thank you for coming. Take care. Goodbye.",
                "prompt": pbx.prompt_id(phone.GOODBYE.text),
                "language": "en",
            }
        ],
    }


def test_render_hangup_with_nothing_to_say() -> None:
    assert render(Reply((), Hangup(), "en")) == {"action": "hangup", "language": "en", "say": []}


def test_render_uses_the_translation_and_applies_values() -> None:
    calls: list[tuple[str, str]] = []

    def translate(language: str, text: str) -> str:
        calls.append((language, text))
        if language == "cy" and text == phone.CHOOSE_LANGUAGE:
            return "Ar gyfer %(language)s, pwyswch %(key)s."
        return f"[{language}] " + text

    reply = phone.start(("cy", "en"), 7).reply
    assert reply is not None
    assert render(reply, translate) == {
        "action": "gather",
        "language": "cy",
        "say": [
            {
                "text": "Ar gyfer Cymraeg, pwyswch 1.",
                "prompt": pbx.prompt_id(phone.CHOOSE_LANGUAGE),
                "language": "cy",
            },
            {
                "text": "[en] For English, press 2.",
                "prompt": pbx.prompt_id(phone.CHOOSE_LANGUAGE),
                "language": "en",
            },
        ],
        "max_digits": 1,
        "timeout_seconds": 10,
    }
    # Each choice is offered in its own language.
    assert calls == [("cy", phone.CHOOSE_LANGUAGE), ("en", phone.CHOOSE_LANGUAGE)]


def test_render_pin_help_fills_in_the_length() -> None:
    outcome = phone.press(
        CallState(Step.PIN, "en"), "99#", languages=("en",), pin_length=7, lookup=lambda pin: None
    )
    body = render(outcome.reply)
    assert body["say"][0]["text"].startswith("Sorry, that PIN did not work. The PIN is the 7 digit")
    assert body["say"][0]["prompt"] == pbx.prompt_id(phone.PIN_HELP.text)


def test_a_broken_translation_falls_back_to_english() -> None:
    say = Say(phone.CHOOSE_LANGUAGE, {"language": "English", "key": "1"})
    reply = Reply((say,), Gather(1), "xx")
    body = render(reply, lambda language, text: "Pour %(langue)s, appuyez %(key)s.")
    assert body["say"][0]["text"] == "For English, press 1."


def test_a_percent_in_a_translation_without_values_is_left_alone() -> None:
    reply = Reply((phone.GOODBYE,), Hangup(), "xx")
    assert render(reply, lambda language, text: "100 % merci")["say"][0]["text"] == "100 % merci"


def test_render_is_json() -> None:
    reply = phone.start(("en", "cy"), 7).reply
    assert json.loads(json.dumps(render(reply))) == render(reply)


def test_render_refuses_a_bad_room_header() -> None:
    with pytest.raises(ValueError, match="room_header"):
        pbx.render(None, translate=english, room_header="Room: x")


# --- Prompt ids ------------------------------------------------------------------------


def test_prompt_id_is_the_first_six_words_and_a_short_hash() -> None:
    assert pbx.prompt_id(phone.WELCOME.text).startswith("welcome-to-the-meeting-line-")
    assert pbx.prompt_id(phone.ASK_PIN.text).startswith("please-type-the-meeting-pin-then-")
    assert pbx.prompt_id(phone.CHOOSE_LANGUAGE).startswith("for-language-press-key-")
    for text in (phone.WELCOME.text, phone.CHOOSE_LANGUAGE):
        assert len(pbx.prompt_id(text).rsplit("-", 1)[1]) == 6
    assert pbx.prompt_id("...") == pbx.prompt_id("...")  # no words: just the hash
    assert len(pbx.prompt_id("...")) == 6


def test_prompt_ids_are_stable_and_distinct() -> None:
    texts = {value.text for value in vars(phone).values() if isinstance(value, Say)}
    texts.add(phone.CHOOSE_LANGUAGE)
    ids = {pbx.prompt_id(text) for text in texts}
    assert len(ids) == len(texts)
    # PIN_HELP and LOCKED_OUT share their first six words; the hash keeps them apart.
    assert pbx.prompt_id(phone.PIN_HELP.text) != pbx.prompt_id(phone.LOCKED_OUT.text)
    assert pbx.prompt_id("Welcome to the meeting line.") == "welcome-to-the-meeting-line-637513"
    for prompt in ids:
        assert prompt.replace("-", "").isalnum()
        assert prompt.isascii()
        assert prompt == prompt.lower()
