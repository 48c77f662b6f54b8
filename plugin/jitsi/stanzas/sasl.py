"""SASL elements (RFC 6120 section 6) as the login sends and reads them."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from xml.etree.ElementTree import Element, tostring

from plugin.jitsi.stanzas.parse import parse_xml
from plugin.jitsi.stanzas.values import FRAMING, SASL, STREAM, StanzaError, q


@dataclass(frozen=True)
class SaslReply:
    kind: str  # challenge, success or failure
    data: str = ""  # the decoded payload of a challenge or success
    condition: str = ""


def sasl_element(tag: str, payload: str | None = None, **attrs: str) -> str:
    element = Element(tag, {"xmlns": SASL, **attrs})
    if payload is not None:  # RFC 6120 6.4.2: "=" is an empty payload, nothing is none
        element.text = base64.b64encode(payload.encode()).decode() or "="
    return tostring(element, encoding="unicode")


def parse_sasl_reply(text: str) -> SaslReply | None:
    """A challenge, success or failure; None for anything else. Raises StanzaError when
    the server ends the stream or sends something unreadable."""
    element = parse_xml(text)
    if element.tag in (q(FRAMING, "close"), q(STREAM, "error")):
        raise StanzaError("server ended the stream during the login")
    namespace, _, kind = element.tag[1:].partition("}")
    if namespace != SASL or kind not in ("challenge", "success", "failure"):
        return None
    if kind == "failure":
        names = [
            child.tag.rsplit("}", 1)[-1] for child in element if not child.tag.endswith("}text")
        ]
        return SaslReply(kind, condition=names[0] if names else "failure")
    raw = (element.text or "").strip()
    try:
        data = base64.b64decode(raw if raw != "=" else "", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise StanzaError(f"unreadable SASL {kind}") from exc
    return SaslReply(kind, data)
