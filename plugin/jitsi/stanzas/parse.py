"""Safe parsing: no DTDs, no entities, a size bound; every failure is a StanzaError."""

from __future__ import annotations

import json
import logging
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from plugin.jitsi.jid import Jid
from plugin.jitsi.stanzas.values import (
    BIND,
    CLIENT,
    DELAY,
    DISCO_INFO,
    FOCUS,
    FRAMING,
    JIGASI_FEATURE,
    JITMEET,
    MAX_JSON_CHARS,
    MAX_STANZA_CHARS,
    MUC_USER,
    NICK,
    RAISED_HAND,
    SASL,
    SESSION,
    STANZA_ERRORS,
    STREAM,
    ChatMessage,
    DiscoInfo,
    Features,
    Ignored,
    Iq,
    JsonMessage,
    MessageError,
    Parsed,
    Presence,
    SaslResult,
    StanzaError,
    StreamClose,
    StreamOpen,
    q,
)

log = logging.getLogger(__name__)


def parse_xml(text: str) -> Element:
    if len(text) > MAX_STANZA_CHARS:
        raise StanzaError(f"stanza of {len(text)} characters is over the {MAX_STANZA_CHARS} limit")
    try:
        return fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise StanzaError(f"refused hostile XML: {type(exc).__name__}") from exc
    except ParseError as exc:
        raise StanzaError(f"malformed XML: {exc}") from exc
    except UnicodeError as exc:  # a lone surrogate cannot reach the XML parser as UTF-8
        raise StanzaError(f"text that is not Unicode: {type(exc).__name__}") from exc


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


def _error_text(element: Element) -> str:
    node = element.find(f"{q(CLIENT, 'error')}/{q(STANZA_ERRORS, 'text')}")
    return " ".join((node.text or "").split())[:200] if node is not None else ""


def _raised_hand(element: Element) -> tuple[int | None, bool]:
    """Jitsi's raised-hand time in ms. A value that is not a time counts as no hand, so the
    rest of the presence (and the person) still shows on the console."""
    node = element.find(q(CLIENT, RAISED_HAND))
    text = (node.text or "").strip() if node is not None else ""
    if text == "true":
        return None, True
    if not text.isdigit() or len(text) > 16:
        if text not in ("", "0", "false"):
            log.warning("ignored a raised-hand value that is not a time: %r", text[:20])
        return None, False
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
        # A bounce: its id is the one we gave the message, so the sender can tell which.
        return MessageError(
            sender=sender,
            message_id=element.get("id", "")[:200],
            condition=_error_condition(element) or "error",
            text=_error_text(element),
        )
    delayed = element.find(q(DELAY, "delay")) is not None
    json_node = element.find(q(JITMEET, "json-message"))
    if json_node is not None:
        text = json_node.text or ""
        if len(text) > MAX_JSON_CHARS:
            raise StanzaError("json-message too large")
        try:
            payload = json.loads(text)
        except (ValueError, RecursionError) as exc:  # deep nesting exhausts the parser
            raise StanzaError(f"json-message is not usable JSON: {type(exc).__name__}") from exc
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


def parse_bound_jid(result: Iq) -> Jid:
    node = result.child.find(q(BIND, "jid")) if result.child is not None else None
    if node is None or not node.text:
        raise StanzaError("bind result without a jid")
    try:
        return Jid.parse(node.text.strip())
    except ValueError as exc:
        raise StanzaError(f"bind result with a bad jid: {exc}") from exc


def parse_disco_info(result: Iq) -> DiscoInfo:
    """The identities and features in a disco#info result (XEP-0030)."""
    query = result.child
    if query is None or query.tag != q(DISCO_INFO, "query"):
        raise StanzaError("disco#info result without a query")
    identities = tuple(
        (node.get("category", ""), node.get("type", ""), node.get("name", ""))
        for node in query.iterfind(q(DISCO_INFO, "identity"))
    )
    features = frozenset(node.get("var", "") for node in query.iterfind(q(DISCO_INFO, "feature")))
    return DiscoInfo(identities[:100], features)


def conference_ready(result: Iq) -> bool:
    child = result.child
    if child is None or child.tag != q(FOCUS, "conference"):
        raise StanzaError("focus answered without a conference element")
    return child.get("ready") == "true"
