"""Namespaces, limits and the typed values stanzas parse into."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element

from plugin.jitsi.jid import Jid

# Prosody's own c2s_stanza_size_limit: nothing bigger can reach us through a sane server. A
# breakout-rooms update lists everyone in every room, so JSON may take most of it.
MAX_STANZA_CHARS = 256 * 1024
MAX_JSON_CHARS = 240 * 1024

CLIENT = "jabber:client"
FRAMING = "urn:ietf:params:xml:ns:xmpp-framing"
STREAM = "http://etherx.jabber.org/streams"
SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
BIND = "urn:ietf:params:xml:ns:xmpp-bind"
SESSION = "urn:ietf:params:xml:ns:xmpp-session"
STANZA_ERRORS = "urn:ietf:params:xml:ns:xmpp-stanzas"
MUC = "http://jabber.org/protocol/muc"
MUC_USER = "http://jabber.org/protocol/muc#user"
MUC_ADMIN = "http://jabber.org/protocol/muc#admin"
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
class MessageError:
    """A message bounced back to us: `message_id` is the id we gave the one we sent."""

    sender: Jid
    message_id: str
    condition: str  # an RFC 6120 defined condition, e.g. service-unavailable
    text: str = ""  # the server's own words, if it gave any


@dataclass(frozen=True)
class DiscoInfo:
    """An entity's disco#info answer: (category, type, name) identities and features."""

    identities: tuple[tuple[str, str, str], ...]
    features: frozenset[str]

    def named(self, category: str, kind: str) -> list[str]:
        return [name for cat, typ, name in self.identities if (cat, typ) == (category, kind)]


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
    | MessageError
    | Iq
    | Ignored
)
