"""Breakout groups: who goes where, and how each person gets there. Pure.

The facilitator picks a method (random, balanced, by hand, or people choose) and a mode.
JITSI mode uses Jitsi's own breakout rooms, which move people on the web but cannot move a
phone call: phone callers stay in the main room as one group of their own, with a
facilitator if there is one. CALLS mode gives each group its own Jitsi meeting; the phone
line moves callers there, so they are spread like everyone else.

A plan is a value. Every change (a late joiner, a facilitator's move, a person's own pick,
someone leaving) returns a new plan, and what the facilitator should know before opening
the rooms (`Plan.problems`) is worked out from the plan, never stored beside it. The values
themselves live in `model`, the dealing in `spread`; both are importable from here.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace

from facilitation.breakouts import spread
from facilitation.breakouts.model import (
    MAX_GROUPS,
    MAX_NAME,
    Group,
    Member,
    Method,
    Mode,
    Plan,
    PlanError,
    Problem,
    ProblemCode,
    Request,
    Route,
    clean_name,
    is_phone,
    known,
    may_join,
)
from facilitation.meeting_events import PersonKind

__all__ = [
    "MAX_GROUPS",
    "MAX_NAME",
    "Group",
    "Member",
    "Method",
    "Mode",
    "Plan",
    "PlanError",
    "Problem",
    "ProblemCode",
    "Request",
    "Route",
    "choose",
    "make_plan",
    "move",
    "place_late",
    "remove",
    "rename",
    "set_facilitator",
]

# --- making a plan ----------------------------------------------------------------------


def make_plan(people: Sequence[Member], request: Request) -> Plan:
    """Groups as the request asks. Someone listed twice counts once; ids in `together` and
    `apart` that are not here (they may have left) are ignored."""
    firsts: dict[str, Member] = {}
    for person in people:
        firsts.setdefault(person.id, person)
    everyone = tuple(firsts.values())
    if not everyone:
        raise PlanError("There is nobody in the meeting to place in groups yet.")
    _check_request(request)
    jitsi = request.mode is Mode.JITSI
    callers = [m for m in everyone if jitsi and m.kind is PersonKind.PHONE]
    spreadable = [m for m in everyone if m not in callers]
    if not spreadable:
        raise PlanError(
            "Everyone here is on the phone, and Jitsi's breakout rooms only move people on "
            "the web. Use a separate call for each group instead."
        )
    here = {m.id for m in everyone}
    together = _merge(request.together, here)
    apart = _pairs(request.apart, here)
    lead = _main_room_lead(everyone, callers, request, (together, apart))
    if lead is not None and lead.kind is PersonKind.WEB:
        left = len(spreadable) - 1
        if left == 0 or _group_count(request, left) > left:  # keep them for the groups
            lead = _main_room_lead(everyone, callers, request, (together, apart), web=False)
    dealt = [m for m in spreadable if lead is None or m.id != lead.id]
    count = _group_count(request, len(dealt))
    if count > MAX_GROUPS:
        raise PlanError(
            f"That makes {count} groups, and the most is {MAX_GROUPS}. "
            "Put more people in each group."
        )
    if count > len(dealt):
        where = " on the web (phone callers stay in the main room)" if jitsi else ""
        raise PlanError(
            f"There are more groups ({count}) than people to spread between them "
            f"({len(dealt)}{where}). Ask for fewer groups."
        )
    given = request.names[:count]
    names = [clean_name(n, i + 1) if n.strip() else "" for i, n in enumerate(given)]
    names += [""] * (count - len(names))
    slots = spread.deal(dealt, count, request, together, apart)
    groups = [
        Group(i + 1, names[i], tuple(slot.members), slot.facilitator)
        for i, slot in enumerate(slots)
    ]
    if callers:
        lead_first = [lead.id] if lead is not None and lead.kind is PersonKind.WEB else []
        members = (*lead_first, *(m.id for m in callers))
        room = Group(count + 1, "", members, lead.id if lead else None, main_room=True)
        groups.append(room)
    placed = {p for g in groups for p in g.members}
    plan = Plan(
        mode=request.mode,
        method=request.method,
        people=everyone,
        groups=tuple(groups),
        waiting=tuple(m.id for m in everyone if m.id not in placed),
        seed=request.seed,
        together=together,
        apart=apart,
    )
    if request.method is Method.CHOOSE:
        for person_id, number in request.choices.items():
            if person_id in plan.waiting and may_join(plan, person_id, number):
                plan = move(plan, person_id, number)
    return plan


def _check_request(request: Request) -> None:
    if request.groups is None and request.per_group is None:
        raise PlanError("Say how many groups, or how many people in each group.")
    if request.groups is not None and request.per_group is not None:
        raise PlanError("Say how many groups or how many people in each group, not both.")
    if request.groups is not None and not 1 <= request.groups <= MAX_GROUPS:
        raise PlanError(f"The number of groups must be from 1 to {MAX_GROUPS}.")
    if request.per_group is not None and request.per_group < 1:
        raise PlanError("Each group needs at least 1 person.")


def _group_count(request: Request, people: int) -> int:
    if request.groups is not None:
        return request.groups
    per_group = request.per_group or 1
    return max(1, -(-people // per_group))


def _merge(sets: Sequence[frozenset[str]], known: set[str]) -> tuple[frozenset[str], ...]:
    """Together-sets of people who are here; sets that share someone become one."""
    merged: list[set[str]] = []
    for wanted in sets:
        here = {p for p in wanted if p in known}
        for other in [s for s in merged if s & here]:
            here |= other
            merged.remove(other)
        merged.append(here)
    return tuple(frozenset(s) for s in merged if len(s) > 1)


def _pairs(pairs: Sequence[tuple[str, str]], known: set[str]) -> tuple[tuple[str, str], ...]:
    seen: dict[frozenset[str], tuple[str, str]] = {}
    for first, second in pairs:
        if first != second and first in known and second in known:
            seen.setdefault(frozenset((first, second)), (first, second))
    return tuple(seen.values())


def _main_room_lead(
    everyone: Sequence[Member],
    callers: Sequence[Member],
    request: Request,
    kept: tuple[tuple[frozenset[str], ...], tuple[tuple[str, str], ...]],
    *,
    web: bool = True,
) -> Member | None:
    """Who stays with the phone callers: a web facilitator if there is one, best one who is
    not kept apart from a caller, asked to be with nobody, and (when people choose) has not
    chosen a group."""
    together, apart = kept
    caller_ids = {m.id for m in callers}
    clashing = {p for pair in apart if set(pair) & caller_ids for p in pair}
    asked = {p for s in together for p in s}
    chose = request.choices if request.method is Method.CHOOSE else {}
    leads = [m for m in everyone if m.facilitator and (web or m.kind is PersonKind.PHONE)]
    if not callers or not leads:
        return None
    return min(
        leads,
        key=lambda m: (m.kind is PersonKind.PHONE, m.id in clashing, m.id in asked, m.id in chose),
    )


# --- changing a plan --------------------------------------------------------------------


def place_late(plan: Plan, member: Member) -> Plan:
    """Someone who joined after the plan was made, placed by the plan's own rule. A
    facilitator who lands in a group without a lead becomes its lead."""
    if plan.member(member.id) is not None:
        return plan
    plan = replace(plan, people=(*plan.people, member))
    phone = member.kind is PersonKind.PHONE
    if plan.mode is Mode.JITSI and phone:
        room = next((g for g in plan.groups if g.main_room), None)
        if room is None:
            number = max((g.number for g in plan.groups), default=0) + 1
            room = Group(number, main_room=True)
            plan = replace(plan, groups=(*plan.groups, room))
        return _join(plan, member, room)
    open_groups = [g for g in plan.groups if not g.main_room]
    if plan.method in (Method.HAND, Method.CHOOSE) or not open_groups:
        return replace(plan, waiting=(*plan.waiting, member.id))

    def key(group: Group) -> tuple[int, ...]:
        size = len(group.members)
        if plan.method is Method.RANDOM:
            return (size,)
        phones = sum(1 for p in group.members if is_phone(plan, p))
        return (phones, size) if phone else (size, phones)

    best = min(key(g) for g in open_groups)
    tied = [g for g in open_groups if key(g) == best]
    rng = random.Random(f"{plan.seed}:{member.id}")  # noqa: S311 - a fair tie-break
    return _join(plan, member, tied[rng.randrange(len(tied))])


def _join(plan: Plan, member: Member, group: Group) -> Plan:
    lead = group.facilitator
    if lead is None and member.facilitator:
        lead = member.id
    return _with(plan, replace(group, members=(*group.members, member.id), facilitator=lead))


def _with(plan: Plan, changed: Group) -> Plan:
    groups = tuple(changed if g.number == changed.number else g for g in plan.groups)
    return replace(plan, groups=groups)


def move(plan: Plan, person_id: str, number: int | None) -> Plan:
    """The facilitator moves someone to a group, or back to waiting (None). Moving a
    group's lead out leaves that group without one."""
    person = known(plan, person_id)
    target = plan.group(number) if number is not None else None
    if target is not None and not may_join(plan, person_id, target.number):
        raise PlanError(
            f"{person.name or 'This person'} is on the phone, and Jitsi's breakout rooms "
            "cannot move a call: they stay in the main room with the phone group."
        )
    current = plan.group_of(person_id)
    if current is not None and current == target:
        return plan
    groups = []
    for group in plan.groups:
        members = tuple(p for p in group.members if p != person_id)
        if target is not None and group.number == target.number:
            members = (*members, person_id)
        lead = None if group.facilitator == person_id else group.facilitator
        groups.append(replace(group, members=members, facilitator=lead))
    waiting = tuple(p for p in plan.waiting if p != person_id)
    if target is None:
        waiting = (*waiting, person_id)
    return replace(plan, groups=tuple(groups), waiting=waiting)


def choose(plan: Plan, person_id: str, number: int) -> Plan:
    """A participant's own pick, from the chat or the keypad. Any method allows it while
    the groups are being planned."""
    return move(plan, person_id, number)


def remove(plan: Plan, person_id: str) -> Plan:
    """They left the meeting: out of every group, the waiting list and the plan."""
    if plan.member(person_id) is None:
        return plan
    plan = move(plan, person_id, None)
    together = (s - {person_id} for s in plan.together)
    return replace(
        plan,
        people=tuple(m for m in plan.people if m.id != person_id),
        waiting=tuple(p for p in plan.waiting if p != person_id),
        together=tuple(s for s in together if len(s) > 1),
        apart=tuple(pair for pair in plan.apart if person_id not in pair),
    )


def rename(plan: Plan, number: int, name: str) -> Plan:
    return _with(plan, replace(plan.group(number), name=clean_name(name, number)))


def set_facilitator(plan: Plan, number: int, person_id: str | None) -> Plan:
    """Name who leads a group (None: nobody). They must already be in it."""
    group = plan.group(number)
    if person_id is not None and person_id not in group.members:
        who = known(plan, person_id).name or "This person"
        raise PlanError(f"{who} is not in group {number}. Move them there first.")
    return _with(plan, replace(group, facilitator=person_id))
