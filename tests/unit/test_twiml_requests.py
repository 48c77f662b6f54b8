"""The TwiML dialect (webhooks.twiml): signatures, forms and the fields of a call."""

from __future__ import annotations

import pytest

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
