"""What both ways of reaching a live call share: the call, what to say, the settings, the
one error the rest of the service sees, and the single retry."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

log = logging.getLogger("plugin.phoneline")

PBX = "pbx"
TWIML = "twiml"
DIALECTS = (PBX, TWIML)
RETRY_AFTER = 0.2  # seconds before the one retry of a 5xx, a timeout or a failed connection
TAIL = 6  # how much of a call id a log line shows

# The call ids the PBX's own events carry (webhooks.pbx.CALL_ID): an Asterisk uniqueid
# "1700000000.42", a FreeSWITCH UUID, or a SIP Call-ID with its @host.
PBX_CALL_ID = re.compile(r"[A-Za-z0-9_.:@-]{1,128}")
# A Twilio CallSid: CA and 32 hex digits (Twilio's are lower case).
TWIML_CALL_SID = re.compile(r"CA[0-9a-fA-F]{32}")
# A room name or SIP header value that is plain text on one line.
ONE_LINE = re.compile(r"[^\x00-\x1f\x7f]{1,256}")

# The settings an admin sets, named in the errors that say one is missing (names, not values).
PBX_URL_SETTING = "FACILITATE_PBX_ACTIONS_URL"
PBX_SECRET_SETTING = "FACILITATE_PBX_ACTIONS_SECRET"  # noqa: S105
API_BASE_SETTING = "FACILITATE_VOICE_API_BASE"
ACCOUNT_SID_SETTING = "FACILITATE_VOICE_ACCOUNT_SID"
AUTH_TOKEN_SETTING = "FACILITATE_TWIML_AUTH_TOKEN"  # noqa: S105
BASE_URL_SETTING = "FACILITATE_BASE_URL"


class PhoneLineError(Exception):
    """An action that did not reach the call. The message is safe to show a facilitator
    and to log: never a phone number, a secret, a token or a URL with credentials."""


@dataclass(frozen=True)
class CallRef:
    dialect: str  # "pbx" | "twiml"
    call_id: str  # the PBX's call_id / the provider's CallSid


@dataclass(frozen=True)
class Spoken:
    """Something to say: the same shape as the `say` entries of the PBX replies, the
    translated `text` for text-to-speech and a `prompt` id for recorded prompts."""

    text: str
    prompt: str


@dataclass(frozen=True)
class PhoneLineConfig:
    pbx_actions_url: str | None = None  # where the PBX kit listens for actions
    pbx_actions_secret: bytes = b""  # the decoded whsec_ key (the HMAC key)
    provider_api_base: str | None = None  # e.g. "https://api.twilio.com"
    provider_account_sid: str | None = None
    provider_auth_token: str | None = None
    public_url: str = ""  # this service's public base URL, no trailing slash
    room_header: str = "X-Room-Name"  # the SIP header naming the Jitsi room
    timeout_seconds: float = 5.0

    def __repr__(self) -> str:
        # Never the secret or the token, whoever prints the config.
        return (
            f"PhoneLineConfig(pbx={'on' if self.pbx_actions_url else 'off'}, "
            f"provider={'on' if self.provider_api_base else 'off'})"
        )


class Transient(Exception):
    """A failure worth one more try: a 5xx, a timeout, a connection that failed. `reason`
    is safe to log and to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def tail(call_id: str) -> str:
    """The end of a call id, enough to follow one call through the logs."""
    return "..." + call_id[-TAIL:]


def missing(settings: dict[str, object]) -> str | None:
    """The names of the settings (name -> value) that are not set, as one phrase."""
    unset = [name for name, value in settings.items() if not value]
    return " and ".join(unset) if unset else None


async def with_one_retry(attempt: Callable[[], Awaitable[None]], what: str, who: str) -> None:
    """Run `attempt`; after a Transient failure wait RETRY_AFTER and run it once more.

    The caller makes the retry safe to repeat (the PBX drops a repeated webhook-id; a
    provider redirect to the same URL twice has the same result). PhoneLineError from an
    attempt ends it at once.
    """
    try:
        await attempt()
        return
    except Transient as first:
        log.info("phone line: %s: %s; trying once more", what, first.reason)
    await asyncio.sleep(RETRY_AFTER)
    try:
        await attempt()
    except Transient as second:
        raise PhoneLineError(f"{who} {second.reason}, twice; try again later") from None
