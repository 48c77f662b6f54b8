"""Turn a pasted Jitsi meeting link into a validated room reference.

Facilitators paste whatever their browser shows, so the parser is forgiving about
whitespace, a missing scheme, a trailing slash, query strings and `#config...` fragments,
and strict about everything that would make the bot join the wrong room.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from urllib.parse import unquote, urlsplit

# Jitsi Meet's welcome page refuses these characters in a room name; the rest come from
# the XMPP localpart rules (RFC 7622) that Prosody applies to the MUC JID.
_FORBIDDEN = re.compile(r"[?&:\"'%#/@<>\\\s]")
MAX_ROOM_LENGTH = 200

# Paths a Jitsi Meet web server answers itself; they are never rooms.
RESERVED_PATHS = frozenset(
    {
        "static",
        "libs",
        "css",
        "images",
        "sounds",
        "fonts",
        "lang",
        "connection_optimization",
        "http-bind",
        "xmpp-websocket",
        "colibri-ws",
        "external_api.js",
        "config.js",
        "interface_config.js",
        "logging_config.js",
        "about",
        "_unlock",
        "_api",
    }
)


class LinkProblem(Enum):
    """Why a link was refused; the web layer maps each to a plain-language message."""

    EMPTY = "empty"
    NOT_A_LINK = "not_a_link"
    WRONG_SERVER = "wrong_server"
    NO_ROOM = "no_room"
    TOO_MANY_PARTS = "too_many_parts"
    BAD_CHARACTERS = "bad_characters"
    TOO_LONG = "too_long"
    RESERVED = "reserved"


class MeetingLinkError(ValueError):
    def __init__(self, problem: LinkProblem, detail: str = "") -> None:
        super().__init__(f"{problem.value}: {detail}" if detail else problem.value)
        self.problem = problem
        self.detail = detail


@dataclass(frozen=True)
class JitsiBase:
    """One allowed Jitsi deployment: origin plus an optional path prefix."""

    scheme: str
    host: str
    port: int
    path: str  # "" or "/prefix" without a trailing slash

    @classmethod
    def parse(cls, url: str) -> JitsiBase:
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        if parts.query or parts.fragment:
            raise ValueError(f"a Jitsi base URL has no query or fragment: {url!r}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return cls(parts.scheme, parts.hostname.lower(), port, parts.path.rstrip("/"))

    @property
    def origin(self) -> str:
        default = 443 if self.scheme == "https" else 80
        port = "" if self.port == default else f":{self.port}"
        return f"{self.scheme}://{self.host}{port}"

    @property
    def url(self) -> str:
        return self.origin + self.path


@dataclass(frozen=True)
class MeetingRef:
    """A room on an allowed deployment. `room` and `tenant` are lowercased, as Jitsi does."""

    base: JitsiBase
    tenant: str | None
    room: str
    room_as_typed: str

    @property
    def key(self) -> str:
        """Identity of the live room: two links that reach the same room share it."""
        tenant = self.tenant or ""
        return f"{self.base.url}|{tenant}|{self.room}"

    @property
    def url(self) -> str:
        middle = f"/{self.tenant}" if self.tenant else ""
        return f"{self.base.url}{middle}/{self.room_as_typed}"


def _check_segment(segment: str) -> None:
    if not segment:
        raise MeetingLinkError(LinkProblem.NO_ROOM)
    if len(segment) > MAX_ROOM_LENGTH:
        raise MeetingLinkError(LinkProblem.TOO_LONG, str(len(segment)))
    bad = _FORBIDDEN.search(segment)
    if bad:
        raise MeetingLinkError(LinkProblem.BAD_CHARACTERS, bad.group(0))
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in segment):
        raise MeetingLinkError(LinkProblem.BAD_CHARACTERS, "control character")


def parse_meeting_link(text: str, allowed: tuple[JitsiBase, ...]) -> MeetingRef:
    """Validate `text` against the allowed deployments, or raise MeetingLinkError."""
    raw = text.strip()
    if not raw:
        raise MeetingLinkError(LinkProblem.EMPTY)
    if "://" not in raw:
        raw = "https://" + raw
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        raise MeetingLinkError(LinkProblem.NOT_A_LINK, str(exc)) from exc
    if port == 0:
        raise MeetingLinkError(LinkProblem.NOT_A_LINK, "port 0")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise MeetingLinkError(LinkProblem.NOT_A_LINK)
    host = parts.hostname.lower()
    port = port if port is not None else (443 if parts.scheme == "https" else 80)
    path = parts.path
    for base in allowed:
        if (parts.scheme, host, port) != (base.scheme, base.host, base.port):
            continue
        if base.path and not (path == base.path or path.startswith(base.path + "/")):
            continue
        return _ref_from_path(base, path[len(base.path) :])
    raise MeetingLinkError(LinkProblem.WRONG_SERVER, host)


def _ref_from_path(base: JitsiBase, path: str) -> MeetingRef:
    # Empty segments are dropped, as nginx's default merge_slashes does.
    try:
        segments = [unquote(s, errors="strict") for s in path.split("/") if s]
    except UnicodeDecodeError:
        raise MeetingLinkError(LinkProblem.BAD_CHARACTERS, "not UTF-8") from None
    if not segments:
        raise MeetingLinkError(LinkProblem.NO_ROOM)
    if len(segments) > 2:
        raise MeetingLinkError(LinkProblem.TOO_MANY_PARTS, str(len(segments)))
    for segment in segments:
        _check_segment(segment)
    room_typed = segments[-1]
    if any(segment.lower() in RESERVED_PATHS for segment in segments):
        raise MeetingLinkError(LinkProblem.RESERVED, room_typed)
    tenant = segments[0].lower() if len(segments) == 2 else None
    return MeetingRef(base=base, tenant=tenant, room=room_typed.lower(), room_as_typed=room_typed)
