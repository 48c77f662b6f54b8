"""The breakout round's clock: when it ends, and when to warn that it is ending. Pure.

Time is passed in, never read. Warnings go out in the chat and are spoken to phone callers
2 minutes and 30 seconds before the end. A warning whose moment has already gone when the
round starts (a 1-minute round has no 2-minute warning) counts as given, so nobody hears a
late, wrong "2 minutes left"; and only the most urgent warning due is ever given, never two
at once. Extending the round re-arms the warnings that are in the future again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

WARNINGS = (120, 30)  # seconds before the end: chat and spoken warnings
MAX_MINUTES = 180
MAX_EXTEND = 60


class TimerError(ValueError):
    """A time the clock refuses; str(exc) says why in plain English."""


@dataclass(frozen=True)
class Round:
    opened_at: datetime
    ends_at: datetime
    warned: tuple[int, ...] = ()  # thresholds given (or gone before they could be), largest first


def _aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise TimerError("Times must carry their time zone.")


def _gone(ends_at: datetime, now: datetime) -> tuple[int, ...]:
    """Thresholds whose moment is now or past."""
    return tuple(t for t in WARNINGS if ends_at - timedelta(seconds=t) <= now)


def start(now: datetime, minutes: int) -> Round:
    _aware(now)
    if not 1 <= minutes <= MAX_MINUTES:
        raise TimerError(f"A round lasts from 1 to {MAX_MINUTES} minutes.")
    ends_at = now + timedelta(minutes=minutes)
    return Round(opened_at=now, ends_at=ends_at, warned=_gone(ends_at, now))


def extend(round_: Round, minutes: int, now: datetime) -> Round:
    """More time: added to the end, or to now if the round is already over."""
    _aware(now)
    if not 1 <= minutes <= MAX_EXTEND:
        raise TimerError(f"A round can be extended by 1 to {MAX_EXTEND} minutes at a time.")
    ends_at = max(round_.ends_at, now) + timedelta(minutes=minutes)
    return replace(round_, ends_at=ends_at, warned=_gone(ends_at, now))


def due(round_: Round, now: datetime) -> int | None:
    """The warning to give now: the most urgent threshold passed and not yet given."""
    _aware(now)
    if is_over(round_, now):
        return None
    passed = [t for t in _gone(round_.ends_at, now) if t not in round_.warned]
    return min(passed) if passed else None


def mark_warned(round_: Round, threshold: int) -> Round:
    """That warning was given: it and every earlier (larger) one are done."""
    if threshold not in WARNINGS:
        raise TimerError(f"There is no {threshold}-second warning.")
    warned = {t for t in WARNINGS if t >= threshold} | set(round_.warned)
    return replace(round_, warned=tuple(t for t in WARNINGS if t in warned))


def seconds_left(round_: Round, now: datetime) -> int:
    """Whole seconds to the end, rounded up, never below 0."""
    _aware(now)
    left = (round_.ends_at - now).total_seconds()
    return max(0, math.ceil(left))


def is_over(round_: Round, now: datetime) -> bool:
    _aware(now)
    return now >= round_.ends_at
