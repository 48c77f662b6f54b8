"""XMPP stanzas as Jitsi Meet speaks them: safe parsing into typed values, and builders.

Everything that touches XML lives here, apart from the connection and the room state.
Parsing never trusts the server: no DTDs, no entities, a size bound, and every failure is a
`StanzaError` the connection logs and skips.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element, ParseError, SubElement, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from plugin.jitsi.jid import Jid

MAX_STANZA_CHARS = 64 * 1024
MAX_JSON_CHARS = 16 * 1024

CLIENT = "jabber:client"
FRAMING = "urn:ietf:params:xml:ns:xmpp-framing"
STREAM = "http://etherx.jabber.org/streams"
SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
BIND = "urn:ietf:params:xml:ns:xmpp-bind"
SESSION = "urn:ietf:params:xml:ns:xmpp-session"
STANZA_ERRORS = "urn:ietf:params:xml:ns:xmpp-stanzas"
MUC = "http://jabber.org/protocol/muc"
MUC_USER = "http://jabber.org/protocol/muc#user"
NICK = "http://jabber.org/protocol/nick"
DISCO_INFO = "http://jabber.org/protocol/disco#info"
PING = "urn:xmpp:ping"
DELAY = "urn:xmpp:delay"
FOCUS = "http://jitsi.org/protocol/focus"
JITMEET = "http://jitsi.org/jitmeet"
JINGLE = "urn:xmpp:jingle:1"
JIGASI_FEATURE = "http://jitsi.org/protocol/jigasi"
RAISED_HAND = "jitsi_participant_raisedHand"


class StanzaError(ValueError):
    """A stanza we refuse to act on: malformed, hostile, oversized or missing a part."""


def q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


# --- parsed values -----------------------------------------------------------------------


@dataclass(frozen=True)
class StreamOpen:
    stream_id: str


@dataclass(frozen=True)
class StreamClose:
    pass


@dataclass(frozen=True)
class Features:
    mechanisms: tuple[str, ...]
    bind: bool
    session_required: bool


@dataclass(frozen=True)
class SaslResult:
    success: bool
    condition: str = ""


@dataclass(frozen=True)
class Presence:
    sender: Jid
    unavailable: bool
    nick: str  # the MUC resource: Jitsi's participant (endpoint) id
    display_name: str
    role: str
    affiliation: str
    real_jid: Jid | None
    raised_hand: int | None  # epoch ms; None when lowered
    raised_hand_unknown_time: bool  # old clients send "true" with no time
    is_jigasi: bool
    status_codes: frozenset[int]
    error: str = ""

    @property
    def is_self(self) -> bool:
        return 110 in self.status_codes


@dataclass(frozen=True)
class ChatMessage:
    sender: Jid
    private: bool
    body: str
    delayed: bool
    message_id: str


@dataclass(frozen=True)
class JsonMessage:
    sender: Jid
    payload: dict[str, Any]
    delayed: bool


@dataclass(frozen=True)
class Iq:
    sender: Jid | None
    iq_id: str
    kind: str  # get | set | result | error
    child: Element | None = field(compare=False)
    error: str = ""

    @property
    def child_tag(self) -> str:
        return self.child.tag if self.child is not None else ""


@dataclass(frozen=True)
class Ignored:
    reason: str


Parsed = (
    StreamOpen
    | StreamClose
    | Features
    | SaslResult
    | Presence
    | ChatMessage
    | JsonMessage
    | Iq
    | Ignored
)


# --- parsing -------------------------------------------------------------------------------


def parse_xml(text: str) -> Element:
    if len(text) > MAX_STANZA_CHARS:
        raise StanzaError(f"stanza of {len(text)} characters is over the {MAX_STANZA_CHARS} limit")
    try:
        return fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise StanzaError(f"refused hostile XML: {type(exc).__name__}") from exc
    except ParseError as exc:
        raise StanzaError(f"malformed XML: {exc}") from exc


def parse(text: str) -> Parsed:
    """Parse one RFC 7395 WebSocket message (one complete element)."""
    element = parse_xml(text)
    tag = element.tag
    if tag == q(FRAMING, "open"):
        return StreamOpen(element.get("id", ""))
    if tag == q(FRAMING, "close"):
        return StreamClose()
    if tag == q(STREAM, "features"):
        return _features(element)
    if tag == q(SASL, "success"):
        return SaslResult(True)
    if tag == q(SASL, "failure"):
        return SaslResult(False, _first_child_name(element) or "failure")
    if tag == q(STREAM, "error"):
        raise StanzaError(f"stream error: {_first_child_name(element) or 'unknown'}")
    if tag == q(CLIENT, "presence"):
        return _presence(element)
    if tag == q(CLIENT, "message"):
        return _message(element)
    if tag == q(CLIENT, "iq"):
        return _iq(element)
    return Ignored(f"unexpected element {tag[:80]!r}")


def _first_child_name(element: Element) -> str:
    for child in element:
        return child.tag.rsplit("}", 1)[-1]
    return ""


def _features(element: Element) -> Features:
    mechanisms = element.find(q(SASL, "mechanisms"))
    names = tuple(
        (child.text or "").strip()
        for child in (mechanisms if mechanisms is not None else ())
        if child.tag == q(SASL, "mechanism")
    )
    session = element.find(q(SESSION, "session"))
    session_required = session is not None and session.find(q(SESSION, "optional")) is None
    return Features(names, element.find(q(BIND, "bind")) is not None, session_required)


def _sender(element: Element, required: bool = True) -> Jid | None:
    raw = element.get("from")
    if raw is None:
        if required:
            raise StanzaError(f"{element.tag.rsplit('}', 1)[-1]} without a sender")
        return None
    try:
        return Jid.parse(raw)
    except ValueError as exc:
        raise StanzaError(f"bad sender address: {exc}") from exc


def _error_condition(element: Element) -> str:
    error = element.find(q(CLIENT, "error"))
    if error is None:
        return ""
    for child in error:
        if child.tag.startswith("{" + STANZA_ERRORS + "}") and not child.tag.endswith("}text"):
            return child.tag.rsplit("}", 1)[-1]
    return error.get("type", "error")


def _raised_hand(element: Element) -> tuple[int | None, bool]:
    node = element.find(q(CLIENT, RAISED_HAND))
    text = (node.text or "").strip() if node is not None else ""
    if text in ("", "0", "false"):
        return None, False
    if text == "true":
        return None, True
    if not text.isdigit() or len(text) > 16:
        raise StanzaError(f"raised-hand value {text[:20]!r} is not a time in milliseconds")
    value = int(text)
    return (value, False) if value > 0 else (None, False)


def _presence(element: Element) -> Presence:
    sender = _sender(element)
    assert sender is not None
    kind = element.get("type", "")
    item = element.find(f"{q(MUC_USER, 'x')}/{q(MUC_USER, 'item')}")
    real_jid = None
    if item is not None and item.get("jid"):
        try:
            real_jid = Jid.parse(item.get("jid", ""))
        except ValueError as exc:
            raise StanzaError(f"bad occupant address: {exc}") from exc
    codes = set()
    for status in element.iterfind(f"{q(MUC_USER, 'x')}/{q(MUC_USER, 'status')}"):
        code = status.get("code", "")
        if code.isdigit() and len(code) == 3:
            codes.add(int(code))
    nick_node = element.find(q(NICK, "nick"))
    display = " ".join((nick_node.text or "").split()) if nick_node is not None else ""
    features = {
        feature.get("var", "")
        for feature in element.iterfind(f"{q(CLIENT, 'features')}/{q(CLIENT, 'feature')}")
    }
    raised, unknown_time = _raised_hand(element) if kind != "unavailable" else (None, False)
    return Presence(
        sender=sender,
        unavailable=kind == "unavailable",
        nick=sender.resource,
        display_name=display[:120],
        role=item.get("role", "") if item is not None else "",
        affiliation=item.get("affiliation", "") if item is not None else "",
        real_jid=real_jid,
        raised_hand=raised,
        raised_hand_unknown_time=unknown_time,
        is_jigasi=JIGASI_FEATURE in features,
        status_codes=frozenset(codes),
        error=_error_condition(element) if kind == "error" else "",
    )


def _message(element: Element) -> Parsed:
    sender = _sender(element)
    assert sender is not None
    kind = element.get("type", "normal")
    if kind == "error":
        return Ignored(f"message error: {_error_condition(element)}")
    delayed = element.find(q(DELAY, "delay")) is not None
    json_node = element.find(q(JITMEET, "json-message"))
    if json_node is not None:
        text = json_node.text or ""
        if len(text) > MAX_JSON_CHARS:
            raise StanzaError("json-message too large")
        try:
            payload = json.loads(text)
        except ValueError as exc:
            raise StanzaError(f"json-message is not JSON: {exc}") from exc
        if not isinstance(payload, dict):
            raise StanzaError("json-message is not a JSON object")
        return JsonMessage(sender, payload, delayed)
    body = element.find(q(CLIENT, "body"))
    if body is None:
        return Ignored("message without a body")
    return ChatMessage(
        sender=sender,
        private=kind == "chat",
        body=(body.text or "")[:4000],
        delayed=delayed,
        message_id=element.get("id", "")[:100],
    )


def _iq(element: Element) -> Iq:
    kind = element.get("type", "")
    if kind not in ("get", "set", "result", "error"):
        raise StanzaError(f"iq of unknown type {kind[:20]!r}")
    iq_id = element.get("id", "")
    if not iq_id:
        raise StanzaError("iq without an id")
    children = [child for child in element if child.tag != q(CLIENT, "error")]
    if kind in ("get", "set") and len(children) != 1:
        raise StanzaError(f"iq {kind} must have exactly one child, has {len(children)}")
    return Iq(
        sender=_sender(element, required=False),
        iq_id=iq_id[:200],
        kind=kind,
        child=children[0] if children else None,
        error=_error_condition(element) if kind == "error" else "",
    )


# --- builders ------------------------------------------------------------------------------


def _xml(element: Element) -> str:
    return tostring(element, encoding="unicode")


def _stanza(tag: str, **attrs: str) -> Element:
    element = Element(tag, {key.rstrip("_"): value for key, value in attrs.items() if value})
    element.set("xmlns", CLIENT)
    return element


def stream_open(domain: str) -> str:
    return _xml(Element("open", {"xmlns": FRAMING, "to": domain, "version": "1.0"}))


def stream_close() -> str:
    return _xml(Element("close", {"xmlns": FRAMING}))


def sasl_anonymous() -> str:
    return _xml(Element("auth", {"xmlns": SASL, "mechanism": "ANONYMOUS"}))


def iq(kind: str, iq_id: str, to: str = "", child: Element | None = None) -> str:
    element = _stanza("iq", type=kind, id=iq_id, to=to)
    if child is not None:
        element.append(child)
    return _xml(element)


def bind_request() -> Element:
    return Element("bind", {"xmlns": BIND})


def session_request() -> Element:
    return Element("session", {"xmlns": SESSION})


def ping_request() -> Element:
    return Element("ping", {"xmlns": PING})


def conference_request(room: str, machine_uid: str) -> Element:
    element = Element("conference", {"xmlns": FOCUS, "room": room, "machine-uid": machine_uid})
    SubElement(element, "property", {"name": "rtcstatsEnabled", "value": "false"})
    return element


def parse_bound_jid(result: Iq) -> Jid:
    node = result.child.find(q(BIND, "jid")) if result.child is not None else None
    if node is None or not node.text:
        raise StanzaError("bind result without a jid")
    try:
        return Jid.parse(node.text.strip())
    except ValueError as exc:
        raise StanzaError(f"bind result with a bad jid: {exc}") from exc


def conference_ready(result: Iq) -> bool:
    child = result.child
    if child is None or child.tag != q(FOCUS, "conference"):
        raise StanzaError("focus answered without a conference element")
    return child.get("ready") == "true"


def disco_info_result(features: tuple[str, ...]) -> Element:
    query = Element("query", {"xmlns": DISCO_INFO})
    SubElement(query, "identity", {"category": "client", "type": "bot", "name": "facilitation"})
    for var in features:
        SubElement(query, "feature", {"var": var})
    return query


def error_reply(request: Iq, condition: str, kind: str = "cancel") -> str:
    element = _stanza("iq", type="error", id=request.iq_id, to=str(request.sender or ""))
    error = SubElement(element, "error", {"type": kind})
    SubElement(error, condition, {"xmlns": STANZA_ERRORS})
    return _xml(element)


def jingle_decline(offer: Iq, iq_id: str) -> str | None:
    """Session-terminate for a Jingle offer, or None when the iq is not a session-initiate."""
    jingle = offer.child
    if jingle is None or jingle.tag != q(JINGLE, "jingle"):
        return None
    if jingle.get("action") != "session-initiate" or not jingle.get("sid"):
        return None
    terminate = Element(
        "jingle",
        {
            "xmlns": JINGLE,
            "action": "session-terminate",
            "sid": jingle.get("sid", ""),
            "initiator": jingle.get("initiator", ""),
        },
    )
    reason = SubElement(terminate, "reason")
    SubElement(reason, "decline")
    SubElement(reason, "text").text = "facilitation assistant: no audio or video"
    return iq("set", iq_id, to=str(offer.sender or ""), child=terminate)


def join_presence(
    occupant: str, display_name: str, *, raised_hand: int | None = None, first: bool = True
) -> str:
    element = _stanza("presence", to=occupant)
    if first:
        muc = SubElement(element, "x", {"xmlns": MUC})
        # Old chat would replay as new messages ("hand" included): ask for none.
        SubElement(muc, "history", {"maxstanzas": "0"})
    SubElement(element, "nick", {"xmlns": NICK}).text = display_name
    if raised_hand:
        SubElement(element, RAISED_HAND).text = str(raised_hand)
    return _xml(element)


def leave_presence(occupant: str) -> str:
    return _xml(_stanza("presence", to=occupant, type="unavailable"))


def chat_message(to: str, body: str, *, private: bool) -> str:
    element = _stanza("message", to=to, type="chat" if private else "groupchat")
    SubElement(element, "body").text = body
    return _xml(element)


def json_message(to: str, payload: dict[str, Any], *, kind: str = "chat") -> str:
    element = _stanza("message", to=to, type=kind)
    node = SubElement(element, "json-message", {"xmlns": JITMEET})
    node.text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return _xml(element)


def breakout_command(to: str, action: str, **attrs: str) -> str:
    """A request to Jitsi's breakout component: everything rides in attributes."""
    element = _stanza("message", to=to)
    SubElement(element, "breakout_rooms", {"type": f"features/breakout-rooms/{action}", **attrs})
    return _xml(element)
