"""Raised hands on their way between the Jitsi meetings of one session.

Each Jitsi meeting knows a person on the web afresh (a breakout group's own call is a new
connection, so a new participant), and names are all it gives. So a hand whose owner left
is kept under their name for a while, and given back, in its place (its own time), to the
first person of that name who arrives in any room of the session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from facilitation.queue import Hand, Source

KEEP = timedelta(minutes=2)


@dataclass(frozen=True)
class Kept:
    raised_at: datetime
    source: Source
    left_at: datetime


class HandsInTransit:
    def __init__(self) -> None:
        self._kept: dict[tuple[str, str], Kept] = {}

    def keep(self, session_id: str, name: str, hand: Hand, now: datetime) -> None:
        self._forget_old(now)
        if name:
            self._kept[(session_id, name)] = Kept(hand.raised_at, hand.source, now)

    def take(self, session_id: str, name: str, now: datetime) -> Kept | None:
        kept = self._kept.pop((session_id, name), None)
        return kept if kept is not None and now - kept.left_at <= KEEP else None

    def _forget_old(self, now: datetime) -> None:
        for key in [k for k, kept in self._kept.items() if now - kept.left_at > KEEP]:
            del self._kept[key]
