"""Telling hosts about flags: who is told what, when, and how often a failed send is
retried. Pure: the outbox (plugin/db/outbox.py) stores what this decides, the sender
(plugin/notify/) delivers it.

A notice never carries health content. It says that someone should act, how soon, and
where to look after signing in; not who checked out, not what they answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    URGENT = "urgent"  # one flag became urgent: at once
    DIGEST = "digest"  # the session's other flags, once its check-out window has closed
    TEST = "test"  # from `facilitate notify-test`


class Channel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class Preference(StrEnum):
    """What a host asked to be emailed about (their account page)."""

    ALL = "all"
    URGENT = "urgent"


class State(StrEnum):
    PENDING = "pending"
    RETRYING = "retrying"
    SENT = "sent"
    FAILED = "failed"


# After a failed try, wait this long before the next (seconds); then give up.
RETRY_DELAYS = (15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 3600, 3600)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


def wants(preference: str, kind: Kind) -> bool:
    """Whether someone with this preference gets an email of this kind."""
    if kind is Kind.DIGEST:
        return preference == Preference.ALL.value
    return True


def retry_in(attempts: int) -> int | None:
    """Seconds until the next try after `attempts` failed tries, or None: give up."""
    if attempts < 1 or attempts > len(RETRY_DELAYS):
        return None
    return RETRY_DELAYS[attempts - 1]


@dataclass(frozen=True)
class Notice:
    subject: str
    body: str


def urgent_notice(session_label: str, started: str, link: str) -> Notice:
    return Notice(
        subject=f"Urgent: a check-out from {session_label} needs someone today",
        body=(
            f"Someone's check-out after the session {session_label} ({started}) is marked "
            "urgent.\n\nPlease make sure one of the session's hosts acts on it today. Sign in "
            f"to see it:\n\n{link}\n\nThis email does not say who it is or what they said; "
            "that stays behind the sign-in.\n"
        ),
    )


def digest_notice(session_label: str, started: str, count: int, link: str) -> Notice:
    things = "1 check-out flag" if count == 1 else f"{count} check-out flags"
    return Notice(
        subject=f"{things} to follow up from {session_label}",
        body=(
            f"The check-out window for the session {session_label} ({started}) has closed. "
            f"{things.capitalize()} wait for a host.\n\nSign in to see them:\n\n{link}\n\n"
            "This email does not say who they are or what they said; that stays behind "
            "the sign-in.\n"
        ),
    )


def trial_notice(sent_by: str) -> Notice:
    return Notice(
        subject="Test message from the meeting helper",
        body=(
            f"This is a test sent with `facilitate notify-test` by {sent_by}. If you can "
            "read it, hosts will get urgent check-out alerts.\n"
        ),
    )


def webhook_event(
    kind: Kind, session_id: str, flag_id: int | None, count: int, link: str
) -> dict[str, object]:
    """The outgoing webhook's payload: the same facts as the email, nothing more."""
    data: dict[str, object] = {"session_id": session_id, "url": link}
    if flag_id is not None:
        data["flag_id"] = flag_id
    if kind is Kind.DIGEST:
        data["flags"] = count
    return {"type": f"checkout.flag.{kind.value}", "data": data}
