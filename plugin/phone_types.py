"""What the phone desk and its routes share: its refusals, and what waits for a commit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from facilitation.live_events import LiveEvent


class UnknownCall(LookupError):
    """No such call (or it belongs to the other dialect): the sender's mistake, 404."""


class CallOver(Exception):
    """The call has ended: nothing more can happen on it (409)."""


@dataclass
class Later:
    """What to tell consoles and the queue once the call's changes are committed."""

    events: list[tuple[str, LiveEvent, dict[str, Any]]] = field(default_factory=list)
    hands: list[tuple[str, str, bool]] = field(default_factory=list)  # session, who, up


HandHook = Callable[[str, str, bool], Awaitable[None]]
