"""What the phone desk and its routes share: its refusals, and what waits for a commit."""

from __future__ import annotations

from dataclasses import dataclass, field

from facilitation.meeting_events import MeetingEvent


class UnknownCall(LookupError):
    """No such call (or it belongs to the other dialect): the sender's mistake, 404."""


class CallOver(Exception):
    """The call has ended: nothing more can happen on it (409)."""


@dataclass
class Later:
    """What to publish on the bus once the call's changes are committed."""

    events: list[MeetingEvent] = field(default_factory=list)
