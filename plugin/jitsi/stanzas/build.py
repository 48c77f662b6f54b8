"""Outbound stanzas, built as elements and serialised (never by string pasting)."""

from __future__ import annotations

import json
import re
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from plugin.jitsi.stanzas.values import (
    BIND,
    CLIENT,
    DISCO_INFO,
    FOCUS,
    FRAMING,
    JINGLE,
    JITMEET,
    MUC,
    MUC_ADMIN,
    NICK,
    PING,
    RAISED_HAND,
    SASL,
    SESSION,
    STANZA_ERRORS,
    Iq,
    q,
)

# Characters XML 1.0 forbids: one pasted into a chat message would break the stream.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _xml(element: Element) -> str:
    return tostring(element, encoding="unicode")


def _stanza(tag: str, **attrs: str) -> Element:
    element = Element(tag, {key: clean(value) for key, value in attrs.items() if value})
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


def disco_info_result(features: tuple[str, ...]) -> Element:
    query = Element("query", {"xmlns": DISCO_INFO})
    SubElement(query, "identity", {"category": "client", "type": "bot", "name": "facilitation"})
    for var in features:
        SubElement(query, "feature", {"var": var})
    return query


def disco_info_query() -> Element:
    return Element("query", {"xmlns": DISCO_INFO})


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
    SubElement(element, "nick", {"xmlns": NICK}).text = clean(display_name)
    if raised_hand:
        SubElement(element, RAISED_HAND).text = str(raised_hand)
    return _xml(element)


def leave_presence(occupant: str) -> str:
    return _xml(_stanza("presence", to=occupant, type="unavailable"))


def chat_message(to: str, body: str, *, private: bool) -> str:
    element = _stanza("message", to=to, type="chat" if private else "groupchat")
    SubElement(element, "body").text = clean(body)
    return _xml(element)


def json_message(
    to: str,
    payload: dict[str, Any],
    *,
    kind: str = "chat",
    message_id: str = "",
    attrs: dict[str, str] | None = None,
) -> str:
    """A Jitsi json-message; give `message_id` to recognise a bounce of it."""
    element = _stanza("message", to=to, type=kind, id=message_id)
    extra = {key: clean(value) for key, value in (attrs or {}).items()}
    node = SubElement(element, "json-message", {"xmlns": JITMEET, **extra})
    node.text = clean(json.dumps(payload, separators=(",", ":"), ensure_ascii=False))
    return _xml(element)


def breakout_command(to: str, action: str, **attrs: str) -> str:
    """A request to Jitsi's breakout component: everything rides in attributes."""
    element = _stanza("message", to=to)
    values = {key: clean(value) for key, value in attrs.items()}
    SubElement(element, "breakout_rooms", {"type": f"features/breakout-rooms/{action}", **values})
    return _xml(element)


def grant_owner(real_jid: str) -> Element:
    """What Jitsi Meet's "Grant moderator" sends to the room (muc#admin): owner
    affiliation for the person's bare real JID. Only an owner may grant it."""
    query = Element("query", {"xmlns": MUC_ADMIN})
    SubElement(query, "item", {"affiliation": "owner", "jid": clean(real_jid.split("/", 1)[0])})
    return query
