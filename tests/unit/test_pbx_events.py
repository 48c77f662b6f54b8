"""The PBX dialect (webhooks.pbx): the call events it takes and the JSON it answers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from webhooks import pbx
from webhooks.body import Rejected

ROOM = "catchup@muc.meet.jitsi"


def rejected(exc: pytest.ExceptionInfo[Rejected]) -> tuple[int, str, str | None]:
    return exc.value.status, exc.value.message, exc.value.field


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
