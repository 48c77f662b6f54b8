"""The TwiML dialect: phone providers that speak Twilio's request and response shapes.

In: the provider POSTs `application/x-www-form-urlencoded` fields (`CallSid`, `From`,
`Digits`, `DialCallStatus`, ...) and signs each request with `X-Twilio-Signature`: base64
HMAC-SHA1, keyed with the account's auth token, of the full URL it requested (scheme,
host, path and query string exactly) followed by every POST field's name and value, the
fields sorted by name (then value, for a repeated name). The signature is checked before
anything in the form is trusted.

Out: a TwiML document, `<Response>` holding verbs the provider runs in order. A `Gather`
speaks its prompts while listening for keys and posts them to its action; when the
caller presses nothing it times out and falls through to the next verb, so a `Redirect`
after it posts back with no `Digits`. A `Dial` to a `Sip` URI puts the caller into the
meeting through Jigasi; the room travels as a custom `X-` SIP header, which Twilio takes
as a query parameter on the URI. The document is built with ElementTree, so nothing the
caller or a translation supplies can change its structure.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import assert_never
from urllib.parse import parse_qsl, quote

from facilitation.phone import Connect, Gather, Hangup, Reply, Say, spoken
from webhooks.body import Rejected

HEADER = "X-Twilio-Signature"
CONTENT_TYPE = "text/xml; charset=utf-8"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>'
CALL_SID = re.compile(r"[A-Za-z0-9_-]{1,64}")
DIGITS = re.compile(r"[0-9*#]{1,12}")
# Twilio passes on only custom SIP headers whose names start with X-.
ROOM_HEADER = re.compile(r"X-[A-Za-z0-9-]{1,64}")
MAX_CALLER = 64
CALL_STATUSES = frozenset(
    {
        "queued",
        "initiated",
        "ringing",
        "in-progress",
        "completed",
        "busy",
        "failed",
        "no-answer",
        "canceled",
    }
)
DIAL_STATUSES = frozenset({"completed", "answered", "busy", "no-answer", "failed", "canceled"})
# Characters XML 1.0 cannot carry at all, not even escaped.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# --- Signature -------------------------------------------------------------------------


def sign(auth_token: bytes, url: str, params: Sequence[tuple[str, str]]) -> str:
    """The `X-Twilio-Signature` the provider sends for a POST of `params` to `url`."""
    signed = url + "".join(name + value for name, value in sorted(params))
    # surrogatepass: text parse_form would refuse still signs (and fails to match) rather
    # than raising here.
    digest = hmac.new(auth_token, signed.encode("utf-8", "surrogatepass"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def verify(
    auth_token: bytes, url: str, params: Sequence[tuple[str, str]], header: str | None
) -> None:
    """Raise Rejected(401) without a signature, Rejected(403) unless it matches."""
    if not auth_token:
        raise Rejected(401, "TwiML phone calls are not configured (empty auth token)")
    if not header:
        raise Rejected(401, f"missing {HEADER} header")
    # A base64 signature is ASCII: anything else cannot match (and compare_digest
    # refuses non-ASCII text rather than answering).
    if not header.isascii() or not hmac.compare_digest(sign(auth_token, url, params), header):
        raise Rejected(
            403,
            f"{HEADER} does not match: sign the full URL requested with every POST "
            "parameter, using this service's auth token",
        )


# --- Form ------------------------------------------------------------------------------


def _bad_text(text: str) -> bool:
    return "\x00" in text or any("\ud800" <= c <= "\udfff" for c in text)


def parse_form(raw: bytes, max_fields: int = 100) -> list[tuple[str, str]]:
    """The form's fields in the order sent, names and values percent-decoded as UTF-8."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Rejected(400, "form body is not valid UTF-8") from exc
    try:
        params = parse_qsl(
            text,
            keep_blank_values=True,
            strict_parsing=False,
            errors="strict",
            max_num_fields=max_fields,
        )
    except UnicodeDecodeError as exc:  # before ValueError: it is one
        raise Rejected(400, "form field percent-encodes bytes that are not UTF-8") from exc
    except ValueError as exc:
        raise Rejected(400, f"form has more than {max_fields} fields") from exc
    for name, value in params:
        if _bad_text(name):
            raise Rejected(400, "form field name with NUL or unpaired surrogates")
        if _bad_text(value):
            raise Rejected(400, f"{name}: text with NUL or unpaired surrogates", name)
    return params


# --- Call fields -----------------------------------------------------------------------


@dataclass(frozen=True)
class CallRequest:
    """The fields of a provider's request that the phone desk uses."""

    call_id: str
    caller: str
    digits: str | None
    dial_status: str | None
    call_status: str | None = None


def _field(params: Sequence[tuple[str, str]], name: str) -> str | None:
    values = [value for key, value in params if key == name]
    if len(values) > 1:
        raise Rejected(400, f"{name}: given more than once", name)
    return values[0] if values else None


def call_request(params: Sequence[tuple[str, str]]) -> CallRequest:
    """The checked call fields; Rejected(400) naming the first field that is wrong."""
    call_id = _field(params, "CallSid")
    if call_id is None:
        raise Rejected(400, "CallSid: required", "CallSid")
    if not CALL_SID.fullmatch(call_id):
        raise Rejected(400, "CallSid: must be 1 to 64 of A-Z, a-z, 0-9, _ and -", "CallSid")
    caller = _field(params, "From") or ""
    if len(caller) > MAX_CALLER:
        raise Rejected(400, f"From: at most {MAX_CALLER} characters", "From")
    digits = _field(params, "Digits") or None  # "" is a Gather that heard no keys
    if digits is not None and not DIGITS.fullmatch(digits):
        raise Rejected(400, "Digits: must be 1 to 12 of 0-9, * and #", "Digits")
    dial_status = _field(params, "DialCallStatus")
    if dial_status is not None and dial_status not in DIAL_STATUSES:
        raise Rejected(
            400,
            f"DialCallStatus: must be one of {', '.join(sorted(DIAL_STATUSES))}",
            "DialCallStatus",
        )
    call_status = _field(params, "CallStatus") or None
    if call_status is not None and call_status not in CALL_STATUSES:
        raise Rejected(
            400,
            f"CallStatus: must be one of {', '.join(sorted(CALL_STATUSES))}",
            "CallStatus",
        )
    return CallRequest(call_id, caller, digits, dial_status, call_status)


# --- Reply -----------------------------------------------------------------------------


def _spoken(say: Say, language: str, translate: Callable[[str, str], str]) -> str:
    return NOT_XML.sub("", spoken(say, language, translate))


def _says(
    parent: ET.Element,
    reply: Reply,
    translate: Callable[[str, str], str],
    voice_language: Callable[[str], str],
) -> None:
    for say in reply.say:
        language = say.language or reply.language  # a language menu speaks each in its own
        ET.SubElement(parent, "Say", language=voice_language(language)).text = _spoken(
            say, language, translate
        )


def _sip(sip_uri: str, room_header: str, room_jid: str) -> str:
    joiner = "&" if "?" in sip_uri else "?"
    return f"{sip_uri}{joiner}{room_header}={quote(room_jid, safe='')}"


def render(
    reply: Reply | None,
    *,
    translate: Callable[[str, str], str],
    voice_language: Callable[[str], str],
    gather_action: str,
    sip_uri: str,
    room_header: str,
    dial_action: str,
) -> bytes:
    """The reply as a TwiML document (None: an empty `<Response/>`, nothing more to do)."""
    if not ROOM_HEADER.fullmatch(room_header):
        raise ValueError("room_header must be X- followed by 1 to 64 of A-Z, a-z, 0-9 and -")
    root = ET.Element("Response")
    if reply is not None:
        then = reply.then
        if isinstance(then, Gather):
            gather = ET.SubElement(
                root,
                "Gather",
                input="dtmf",
                numDigits=str(then.max_digits),
                finishOnKey="#",
                timeout=str(then.timeout_seconds),
                action=gather_action,
                method="POST",
            )
            _says(gather, reply, translate, voice_language)
            # Reached only when the Gather timed out: post back with no Digits.
            ET.SubElement(root, "Redirect", method="POST").text = gather_action
        elif isinstance(then, Connect):
            _says(root, reply, translate, voice_language)
            dial = ET.SubElement(root, "Dial", action=dial_action, method="POST")
            ET.SubElement(dial, "Sip").text = _sip(sip_uri, room_header, then.room_jid)
        elif isinstance(then, Hangup):
            _says(root, reply, translate, voice_language)
            ET.SubElement(root, "Hangup")
        else:
            assert_never(then)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return XML_DECLARATION + document
