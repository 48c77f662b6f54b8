"""Choosing a warm-up: the facilitator's filters, the no-repeat rule, and a surprise. Pure.

A group should not get the same warm-up again soon: anything played in its last
`NO_REPEAT_SESSIONS` sessions is left out of the list and of the surprise. The facilitator
can still pick one of those on purpose (the desk offers the whole catalogue for that).
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from facilitation.warmups.model import Energy, WarmUp

NO_REPEAT_SESSIONS = 10


@dataclass(frozen=True)
class Filters:
    phone_friendly: bool = False  # works from a phone keypad
    max_minutes: int | None = None
    energy: Energy | None = None
    no_disclosure: bool = False  # needs no personal disclosure
    camera_off: bool = False  # works with cameras off
    group_size: int | None = None  # fits a group of this many people


def fits(warmup: WarmUp, filters: Filters) -> bool:
    """Whether one warm-up fits the filters (the no-repeat rule aside)."""
    return (
        (warmup.keypad or not filters.phone_friendly)
        and (filters.max_minutes is None or warmup.minutes <= filters.max_minutes)
        and (filters.energy is None or warmup.energy is filters.energy)
        and (warmup.no_disclosure or not filters.no_disclosure)
        and (warmup.camera_off or not filters.camera_off)
        and (
            filters.group_size is None or warmup.group_min <= filters.group_size <= warmup.group_max
        )
    )


def matching(
    catalogue: Sequence[WarmUp], filters: Filters, recent: Collection[str] = ()
) -> list[WarmUp]:
    """The warm-ups that fit the filters and were not played recently, in catalogue order.

    `recent`: the ids played in the group's last sessions (see `recently_played`)."""
    return [w for w in catalogue if w.id not in recent and fits(w, filters)]


def recently_played(history: Sequence[Sequence[str]]) -> frozenset[str]:
    """The ids that the no-repeat rule leaves out. `history`: per session, newest first, the
    ids played in it; only the newest `NO_REPEAT_SESSIONS` sessions count."""
    return frozenset(ident for session in history[:NO_REPEAT_SESSIONS] for ident in session)


def surprise(
    catalogue: Sequence[WarmUp], filters: Filters, recent: Collection[str], rng: random.Random
) -> WarmUp | None:
    """One of `matching` at random; None when nothing matches, even when only the no-repeat
    rule is in the way (the facilitator can still pick a recent one on purpose)."""
    candidates = matching(catalogue, filters, recent)
    return rng.choice(candidates) if candidates else None


def default_filters(phone_callers_present: bool) -> Filters:
    """What the filters start as: phone friendly when someone has dialled in."""
    return Filters(phone_friendly=phone_callers_present)
