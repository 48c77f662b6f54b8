"""Dealing people into breakout groups, for the random and balanced methods. Pure, seeded.

This works on ids alone; `plan` decides who is dealt and into how many groups, then builds
the plan's groups from the slots returned here.

Both methods deal "units": a together-set (people who asked for the same group) or one
person. Each unit goes to the best group by the method's measure; among groups that are
equally good, one that keeps apart pairs apart is preferred, so honouring an apart pair
never costs the balance. When no equally good group keeps a pair apart, a last pass swaps
one of the pair with someone alike (phone or web, facilitator or not) in another group,
which changes no count the method promised; only if no such swap exists does one of them
move, leaving a group one larger, because being kept apart matters more. A pair that still
shares a group (say both are in one together-set) shows as a problem on the plan.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

from facilitation.breakouts.model import Member, Method, Request
from facilitation.meeting_events import PersonKind


@dataclass(frozen=True)
class Crowd:
    """Who is dealt, and the facts the rules need about them."""

    units: tuple[tuple[str, ...], ...]  # together-sets and single people, in people order
    phones: frozenset[str] = frozenset()
    facilitators: tuple[str, ...] = ()  # in people order: the first are named leads first
    partners: dict[str, frozenset[str]] = field(default_factory=dict)  # id -> kept apart from


@dataclass
class Slot:
    """One group while dealing: mutable here, frozen into a `Group` by the plan."""

    members: list[str] = field(default_factory=list)
    facilitator: str | None = None
    phones: int = 0


Key = Callable[[Slot], tuple[int, ...]]


def deal(
    dealt: Sequence[Member],
    count: int,
    request: Request,
    together: Sequence[frozenset[str]],
    apart: Sequence[tuple[str, str]],
) -> list[Slot]:
    """The groups for `dealt`, by the request's method: empty ones when the facilitator
    places people by hand or people choose."""
    if request.method in (Method.HAND, Method.CHOOSE):
        return [Slot() for _ in range(count)]
    ids = [m.id for m in dealt]
    position = {p: i for i, p in enumerate(ids)}
    sets = [[p for p in ids if p in s] for s in together]
    sets = [s for s in sets if len(s) > 1]
    in_sets = {p for s in sets for p in s}
    units = [tuple(s) for s in sets] + [(p,) for p in ids if p not in in_sets]
    units.sort(key=lambda unit: position[unit[0]])
    partners: dict[str, set[str]] = {}
    for first, second in apart:
        partners.setdefault(first, set()).add(second)
        partners.setdefault(second, set()).add(first)
    crowd = Crowd(
        units=tuple(units),
        phones=frozenset(m.id for m in dealt if m.kind is PersonKind.PHONE),
        facilitators=tuple(m.id for m in dealt if m.facilitator),
        partners={p: frozenset(others) for p, others in partners.items()},
    )
    rng = random.Random(request.seed)  # noqa: S311 - a fair shuffle, not a secret
    if request.method is Method.RANDOM:
        return deal_random(crowd, count, rng)
    return deal_balanced(crowd, count, rng)


def deal_random(crowd: Crowd, groups: int, rng: random.Random) -> list[Slot]:
    """Shuffle, then deal round-robin: sizes differ by at most one (together-sets aside).
    Facilitators are dealt like everyone else; one who lands in a group is named its lead,
    so the group knows who can help."""
    slots = [Slot() for _ in range(groups)]
    units = list(crowd.units)
    rng.shuffle(units)
    units.sort(key=len, reverse=True)  # stable: the shuffle still orders equal sizes
    for unit in units:
        _put(slots, range(groups), unit, crowd, lambda s: (len(s.members),), lambda pool: pool[0])
    _keep_apart(slots, crowd, lambda _: ())
    leads = set(crowd.facilitators)
    for slot in slots:
        slot.facilitator = next((p for p in slot.members if p in leads), None)
    return slots


def deal_balanced(crowd: Crowd, groups: int, rng: random.Random) -> list[Slot]:
    """Facilitators first, one to a group; then phone callers, so every group has about as
    many; then everyone else, largest together-sets first, to the smallest group."""
    slots = [Slot() for _ in range(groups)]
    unit_of = {person: unit for unit in crowd.units for person in unit}
    placed: set[str] = set()

    def pick(pool: Sequence[int]) -> int:
        return pool[rng.randrange(len(pool))]

    def by_size(slot: Slot) -> tuple[int, ...]:
        return (len(slot.members), slot.phones)

    def by_phones(slot: Slot) -> tuple[int, ...]:
        return (slot.phones, len(slot.members))

    for lead in crowd.facilitators:
        free = [i for i, slot in enumerate(slots) if slot.facilitator is None]
        if not free:
            break
        if lead in placed:  # came with another facilitator's together-set: an extra
            continue
        unit = unit_of[lead]
        index = _put(slots, free, unit, crowd, by_size, pick)
        slots[index].facilitator = lead
        placed.update(unit)

    rest = [unit for unit in crowd.units if unit[0] not in placed]
    rng.shuffle(rest)
    # Largest first; among equal sizes, those with an apart pair first, while there is room.
    rest.sort(key=lambda unit: (-len(unit), not any(crowd.partners.get(p) for p in unit)))
    with_phone = [unit for unit in rest if any(p in crowd.phones for p in unit)]
    for unit in with_phone:  # as many callers in each group, then as many people
        _put(slots, range(groups), unit, crowd, by_phones, pick, tier=2)
    for unit in rest:
        if unit[0] not in placed and not any(p in crowd.phones for p in unit):
            _put(slots, range(groups), unit, crowd, by_size, pick)
    leads = set(crowd.facilitators)
    _keep_apart(slots, crowd, lambda p: (p in crowd.phones, p in leads))
    return slots


def _clashes(crowd: Crowd, person: str, others: Sequence[str]) -> bool:
    partners = crowd.partners.get(person, frozenset())
    return any(other in partners for other in others)


def _put(
    slots: list[Slot],
    allowed: Sequence[int],
    unit: tuple[str, ...],
    crowd: Crowd,
    key: Key,
    pick: Callable[[Sequence[int]], int],
    *,
    tier: int = 1,
) -> int:
    """Put a unit in the best allowed slot. The first `tier` parts of `key` are the measure
    the method promises to balance; among the slots best by it, one that keeps apart pairs
    apart wins, then the rest of `key`, then `pick` breaks the tie."""
    best = min(key(slots[i])[:tier] for i in allowed)
    tied = [i for i in allowed if key(slots[i])[:tier] == best]
    kept = [i for i in tied if not any(_clashes(crowd, p, slots[i].members) for p in unit)]
    pool = kept or tied
    finest = min(key(slots[i]) for i in pool)
    index = pick([i for i in pool if key(slots[i]) == finest])
    slot = slots[index]
    slot.members.extend(unit)
    slot.phones += sum(1 for p in unit if p in crowd.phones)
    return index


def _keep_apart(slots: list[Slot], crowd: Crowd, kind: Callable[[str], Hashable]) -> None:
    """Part people who share a group with someone they are to be kept apart from. First by
    swapping single people of the same kind, which keeps sizes, phone counts and leads as
    dealt; failing that, by moving one of them to another group, since being kept apart
    matters more than a group of one more. Each step leaves fewer pairs together."""
    singles = {unit[0] for unit in crowd.units if len(unit) == 1}
    while _one_swap(slots, crowd, kind, singles) or _one_move(slots, crowd, singles):
        pass


def _one_move(slots: list[Slot], crowd: Crowd, singles: set[str]) -> bool:
    for slot in slots:
        clashing = [
            p
            for p in slot.members
            if p in singles and p != slot.facilitator and _clashes(crowd, p, slot.members)
        ]
        # A web person first (callers stay even), the latest placed first.
        for person in sorted(clashing, key=lambda p: (p in crowd.phones, -slot.members.index(p))):
            phone = person in crowd.phones
            free = [s for s in slots if s is not slot and not _clashes(crowd, person, s.members)]
            if free:
                there = min(
                    free,
                    key=lambda s: (
                        (s.phones, len(s.members)) if phone else (len(s.members), s.phones)
                    ),
                )
                slot.members.remove(person)
                there.members.append(person)
                slot.phones -= phone
                there.phones += phone
                return True
    return False


def _one_swap(
    slots: list[Slot], crowd: Crowd, kind: Callable[[str], Hashable], singles: set[str]
) -> bool:
    for here, slot in enumerate(slots):
        for person in slot.members:
            if person not in singles or not _clashes(crowd, person, slot.members):
                continue
            for there, other_slot in enumerate(slots):
                if there == here:
                    continue
                for other in other_slot.members:
                    if other in singles and kind(other) == kind(person):
                        stay_here = [p for p in slot.members if p != person]
                        stay_there = [p for p in other_slot.members if p != other]
                        if not _clashes(crowd, person, stay_there) and not _clashes(
                            crowd, other, stay_here
                        ):
                            _swap(slot, person, other_slot, other)
                            return True
    return False


def _swap(slot: Slot, person: str, other_slot: Slot, other: str) -> None:
    slot.members[slot.members.index(person)] = other
    other_slot.members[other_slot.members.index(other)] = person
    lead_here, lead_there = slot.facilitator, other_slot.facilitator
    if lead_here == person:
        slot.facilitator = other
    if lead_there == other:
        other_slot.facilitator = person
