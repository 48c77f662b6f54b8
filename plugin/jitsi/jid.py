"""XMPP addresses, and how Jitsi names a meeting's room, its occupants and its components."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

MAX_PART = 1023  # RFC 7622 limit per part, in bytes; characters are a fair bound here
# Jitsi Meet's rule for a MUC nickname (the participant id); the bot uses 8 hex digits too.
NICKNAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_]*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Jid:
    local: str
    domain: str
    resource: str = ""

    @classmethod
    def parse(cls, text: str) -> Jid:
        if not text or _CONTROL.search(text):
            raise ValueError("empty address or control characters in it")
        bare, _, resource = text.partition("/")
        local, at, domain = bare.rpartition("@")
        if not at:
            local, domain = "", bare
        if not domain or "@" in local or len(local) > MAX_PART or len(resource) > MAX_PART:
            raise ValueError(f"not an XMPP address: {text[:80]!r}")
        if len(domain) > MAX_PART or " " in domain:
            raise ValueError(f"bad domain in {text[:80]!r}")
        return cls(local, domain.lower(), resource)

    @property
    def bare(self) -> str:
        return f"{self.local}@{self.domain}" if self.local else self.domain

    def __str__(self) -> str:
        return f"{self.bare}/{self.resource}" if self.resource else self.bare


def new_nickname() -> str:
    """Eight hex characters, the shape Jitsi Meet gives its own participants."""
    return secrets.token_hex(4)


def nickname_for(jid: Jid | None) -> str:
    """The MUC nickname for a connection: Jitsi Meet's clients take the first 8 characters
    of the local part the server assigned, and Jitsi's mod_muc_resource_validate (shipped by
    docker-jitsi-meet) refuses anything else from anonymous and token logins when
    `anonymous_strict` is on. A local part that is not a valid nickname (an account name
    such as `fa.bot`) gets 8 random hex digits, which that module accepts from accounts."""
    prefix = jid.local[:8] if jid is not None else ""
    return prefix if NICKNAME.match(prefix) else new_nickname()


@dataclass(frozen=True)
class RoomAddress:
    """Where one meeting lives in XMPP, given the deployment's domains and the tenant.

    With a tenant, Jitsi Meet joins `room@conference.TENANT.DOMAIN`; Prosody's domain
    mapper turns that into `[tenant]room@conference.DOMAIN` internally.
    """

    room: str
    tenant: str | None
    muc_domain: str

    @property
    def muc(self) -> str:
        if not self.tenant:
            return self.muc_domain
        head, _, rest = self.muc_domain.partition(".")
        return f"{head}.{self.tenant}.{rest}" if rest else f"{self.muc_domain}.{self.tenant}"

    @property
    def jid(self) -> str:
        return f"{self.room}@{self.muc}"

    def occupant(self, nick: str) -> str:
        return f"{self.jid}/{nick}"
