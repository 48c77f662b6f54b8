"""Which SASL mechanism the assistant logs in with, and what a refused login means.

SCRAM-SHA-1 when there is an account and the server offers it; PLAIN only where the
password cannot be overheard; ANONYMOUS without an account (Jitsi's guest domain).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from plugin.jitsi.stanzas import StanzaError
from plugin.jitsi.urls import redact

SCRAM = "SCRAM-SHA-1"
PLAIN = "PLAIN"
ANONYMOUS = "ANONYMOUS"
# SASL failures (RFC 6120 6.5) that a later attempt may get past; any other means the
# account or the server's setup is wrong, and trying again at once only hammers the server.
PASSING_FAILURES = frozenset({"temporary-auth-failure", "aborted"})


class LoginRefused(Exception):
    """The server will not take the assistant's account (wrong password, no such account,
    no safe way to send it): the bot waits long between a few tries, then stays out."""

    def __init__(self, condition: str, detail: str = "") -> None:
        message = f"the assistant's XMPP login was refused: {condition}"
        super().__init__(f"{message} ({detail})" if detail else message)
        self.condition = condition


@dataclass(frozen=True)
class Credentials:
    """An XMPP account on `domain` for the assistant; the password stays out of reprs."""

    username: str
    domain: str
    password: str = field(repr=False)


def can_be_overheard(url: str) -> bool:
    """True when what we send travels unencrypted beyond this machine (ws:// elsewhere)."""
    parts = urlsplit(url)
    if parts.scheme != "ws":
        return False
    host = (parts.hostname or "").lower()
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def choose_mechanism(offered: Iterable[str], credentials: Credentials | None, url: str) -> str:
    """SCRAM-SHA-1 when there is an account and the server offers it (the password never
    crosses the wire), else PLAIN where it cannot be overheard; ANONYMOUS without one."""
    mechanisms = tuple(offered)
    if credentials is None:
        if ANONYMOUS in mechanisms:
            return ANONYMOUS
        raise StanzaError(
            f"server offers no SASL ANONYMOUS (offers {', '.join(mechanisms) or 'nothing'}): "
            "give the assistant an account (FACILITATE_XMPP_USERNAME and FACILITATE_XMPP_PASSWORD) "
            "or use the guest domain"
        )
    if SCRAM in mechanisms:
        return SCRAM
    if PLAIN in mechanisms:
        if can_be_overheard(url):
            raise LoginRefused(
                "encryption-required",
                f"the server only takes the password in clear (PLAIN) and {redact(url)} is "
                "not encrypted: use wss://",
            )
        return PLAIN
    raise LoginRefused(
        "invalid-mechanism",
        f"{credentials.domain} offers {', '.join(mechanisms) or 'no login'}, not {SCRAM} "
        "or PLAIN: is the account's domain (FACILITATE_XMPP_AUTH_DOMAIN) right?",
    )
