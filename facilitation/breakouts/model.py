"""The breakout plan's values: methods, modes, routes, people, groups and the plan. Pure.

`plan` makes and changes plans; this module holds what they are made of, with the few
rules every change shares (who may be in which group, what a group's name may be).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from facilitation.meeting_events import PersonKind

MAX_GROUPS = 50
MAX_NAME = 60


class Method(StrEnum):
    RANDOM = "random"
    BALANCED = "balanced"
    HAND = "hand"
    CHOOSE = "choose"


class Mode(StrEnum):
    JITSI = "jitsi"  # Jitsi's breakout rooms
    CALLS = "calls"  # each group its own Jitsi meeting


class Route(StrEnum):
    """How a person gets to their group."""

    JITSI_MOVE = "jitsi_move"  # web person, JITSI mode: Jitsi's breakout component moves them
    STAYS_MAIN = "stays_main"  # JITSI mode, in the phone callers' group: stays in the main room
    CHAT_LINK = "chat_link"  # web person, CALLS mode: the group's link in private chat
    PHONE_LINE = "phone_line"  # phone caller, CALLS mode: the phone line moves their call
    WAITING = "waiting"  # not in a group yet


class ProblemCode(StrEnum):
    PHONE_GROUP_NO_FACILITATOR = "phone_group_no_facilitator"
    APART_NOT_KEPT = "apart_not_kept"
    EMPTY_GROUP = "empty_group"
    NO_FACILITATOR = "no_facilitator"


class PlanError(ValueError):
    """A request the rules refuse; str(exc) is a plain-English message for the facilitator."""


@dataclass(frozen=True)
class Problem:
    code: ProblemCode
    group: int | None = None
    people: tuple[str, ...] = ()


@dataclass(frozen=True)
class Member:
    id: str
    name: str
    kind: PersonKind = PersonKind.WEB
    facilitator: bool = False


@dataclass(frozen=True)
class Group:
    number: int  # 1-based and stable: shown to people ("group 2") and pressed on a keypad
    name: str = ""  # "" = the display layer shows its own translated default ("Group 2")
    members: tuple[str, ...] = ()  # person ids, in order of placement
    facilitator: str | None = None  # a member named to lead it
    main_room: bool = False  # JITSI mode only: the phone callers' group, in the main room


@dataclass(frozen=True)
class Plan:
    mode: Mode
    method: Method
    people: tuple[Member, ...]  # everyone known to the plan, placed or waiting
    groups: tuple[Group, ...]
    waiting: tuple[str, ...] = ()  # ids in no group: the facilitator sees this list
    seed: int = 0
    together: tuple[frozenset[str], ...] = ()  # known people who asked for the same group
    apart: tuple[tuple[str, str], ...] = ()  # known pairs to keep apart

    def member(self, person_id: str) -> Member | None:
        return next((m for m in self.people if m.id == person_id), None)

    def group(self, number: int) -> Group:
        found = next((g for g in self.groups if g.number == number), None)
        if found is None:
            raise PlanError(f"There is no group {number}.")
        return found

    def group_of(self, person_id: str) -> Group | None:
        return next((g for g in self.groups if person_id in g.members), None)

    def route(self, person_id: str) -> Route:
        person = known(self, person_id)
        group = self.group_of(person_id)
        if group is None:
            return Route.WAITING
        phone = person.kind is PersonKind.PHONE
        if self.mode is Mode.JITSI:
            return Route.STAYS_MAIN if group.main_room or phone else Route.JITSI_MOVE
        return Route.PHONE_LINE if phone else Route.CHAT_LINK

    def problems(self) -> tuple[Problem, ...]:
        """What the facilitator should see before opening the rooms, group by group."""
        any_lead = any(m.facilitator for m in self.people)
        found: list[Problem] = []
        for group in self.groups:
            if not group.members:
                found.append(Problem(ProblemCode.EMPTY_GROUP, group.number))
            elif group.facilitator is None and group.main_room:
                found.append(Problem(ProblemCode.PHONE_GROUP_NO_FACILITATOR, group.number))
            elif group.facilitator is None and any_lead:
                found.append(Problem(ProblemCode.NO_FACILITATOR, group.number))
        for first, second in self.apart:
            shared = self.group_of(first)
            if shared is not None and second in shared.members:
                found.append(Problem(ProblemCode.APART_NOT_KEPT, shared.number, (first, second)))
        return tuple(found)


@dataclass(frozen=True)
class Request:
    method: Method
    mode: Mode
    groups: int | None = None  # exactly one of groups / per_group
    per_group: int | None = None
    together: tuple[frozenset[str], ...] = ()  # people who asked for the same group
    apart: tuple[tuple[str, str], ...] = ()  # named pairs kept apart
    choices: Mapping[str, int] = field(default_factory=dict)  # CHOOSE: id -> group chosen
    names: tuple[str, ...] = ()  # optional names for groups 1..n (missing or blank: "")
    seed: int = 0


# --- rules every change shares ---------------------------------------------------------


def known(plan: Plan, person_id: str) -> Member:
    person = plan.member(person_id)
    if person is None:
        raise PlanError("That person is not in the breakout plan (they may have left).")
    return person


def is_phone(plan: Plan, person_id: str) -> bool:
    person = plan.member(person_id)
    return person is not None and person.kind is PersonKind.PHONE


def may_join(plan: Plan, person_id: str, number: int) -> bool:
    """In JITSI mode a phone caller can only be in the main-room group."""
    group = next((g for g in plan.groups if g.number == number), None)
    if group is None:
        return False
    return group.main_room or plan.mode is not Mode.JITSI or not is_phone(plan, person_id)


def clean_name(name: str, number: int) -> str:
    """A group's name is what people read and hear: one line of 1 to 60 characters."""
    cleaned = name.strip()
    if not cleaned:
        raise PlanError(f"Group {number} needs a name (or keep the one it has).")
    if len(cleaned) > MAX_NAME:
        raise PlanError(f"Group {number}'s name is too long: {MAX_NAME} characters at most.")
    if any(unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") for c in cleaned):
        raise PlanError(f"Group {number}'s name must be one line of plain text.")
    return cleaned
