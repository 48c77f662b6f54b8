"""The PBX dialect (webhooks.pbx): Standard Webhooks secrets and signatures."""

from __future__ import annotations

import base64
from typing import Any

import pytest

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
