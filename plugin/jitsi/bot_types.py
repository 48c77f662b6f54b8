"""What the connector, the commands and the pages share about a meeting bot: what it is
told (its config), where its events go, the states it reports and the errors it raises."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from facilitation.meeting_events import MeetingEvent
from plugin.jitsi.sasl import Credentials

Emit = Callable[[MeetingEvent], None]


class BotState(StrEnum):
    STARTING = "starting"
    CONNECTED = "connected"
    INTERRUPTED = "interrupted"
    REMOVED = "removed"  # a moderator sent it out: it stays out
    STOPPED = "stopped"


class JoinRefused(Exception):
    """The room would not let the bot in (other than a nickname clash)."""


class NotConnected(Exception):
    """A command while the bot is not in the meeting; the message is for the facilitator."""


@dataclass(frozen=True)
class BotConfig:
    # The WebSocket URL with room (and prefix, and a freshly signed token) in it; called for
    # every connection attempt, so a reconnect hours later does not carry an expired token.
    make_url: Callable[[], str]
    domain: str
    focus: str | None
    breakout: str
    polls: str
    display_name: str
    ping_seconds: float = 60.0
    ping_timeout: float = 20.0
    backoff_cap: float = 60.0
    rejoin_grace: float = 120.0
    # How long someone who left the main room while breakout rooms exist may take to
    # appear in one before they count as gone.
    move_grace: float = 10.0
    polls_style: str = "auto"  # auto | component | room (plugin.jitsi.polls)
    # The assistant's XMPP account (None: anonymous). A refused login is tried again after
    # login_retry_seconds (someone may be creating the account), login_attempts in all.
    credentials: Credentials | None = None
    login_retry_seconds: float = 300.0
    login_attempts: int = 3
    # Domains a Jigasi caller's real JID may come from (JIGASI_TRUSTED_DOMAINS; empty: any).
    jigasi_domains: tuple[str, ...] = ()
