"""A breakout plan and its round as JSON-safe records (for the database) and back. Pure.

Records hold only str, int, bool, list, dict and None. Reading one back checks it closely
and says what is wrong, since a record may come from an older version or a damaged row:
better a clear error than a plan that puts someone in two groups.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from facilitation.breakouts.model import Group, Member, Method, Mode, Plan
from facilitation.breakouts.timer import WARNINGS, Round
from facilitation.meeting_events import PersonKind

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)


def plan_to_record(plan: Plan) -> dict[str, object]:
    return {
        "mode": plan.mode.value,
        "method": plan.method.value,
        "seed": plan.seed,
        "people": [
            {"id": m.id, "name": m.name, "kind": m.kind.value, "facilitator": m.facilitator}
            for m in plan.people
        ],
        "groups": [
            {
                "number": g.number,
                "name": g.name,
                "members": list(g.members),
                "facilitator": g.facilitator,
                "main_room": g.main_room,
            }
            for g in plan.groups
        ],
        "waiting": list(plan.waiting),
        "together": [sorted(s) for s in plan.together],
        "apart": [list(pair) for pair in plan.apart],
    }


def plan_from_record(data: Mapping[str, object]) -> Plan:
    """The plan a record holds; ValueError naming the fault if it is not a sound plan."""
    people = tuple(_member(item) for item in _list(data, "people", "the plan"))
    groups = tuple(_group(item) for item in _list(data, "groups", "the plan"))
    plan = Plan(
        mode=_choice(Mode, _field(data, "mode", str, "the plan")),
        method=_choice(Method, _field(data, "method", str, "the plan")),
        people=people,
        groups=groups,
        waiting=_texts(data, "waiting", "the plan"),
        seed=_field(data, "seed", int, "the plan"),
        together=tuple(
            frozenset(_ids(s, "a together-set")) for s in _list(data, "together", "the plan")
        ),
        apart=tuple(_pair(item) for item in _list(data, "apart", "the plan")),
    )
    _check_sound(plan)
    return plan


def round_to_record(round_: Round) -> dict[str, object]:
    return {
        "opened_at": round_.opened_at.isoformat(),
        "ends_at": round_.ends_at.isoformat(),
        "warned": list(round_.warned),
    }


def round_from_record(data: Mapping[str, object]) -> Round:
    """The round a record holds; ValueError naming the fault if it is not sound."""
    opened_at = _moment(data, "opened_at")
    ends_at = _moment(data, "ends_at")
    warned = tuple(_list(data, "warned", "the round"))
    if any(type(t) is not int or t not in WARNINGS for t in warned):
        raise ValueError(f"round record: 'warned' may hold only {list(WARNINGS)}")
    return Round(opened_at, ends_at, tuple(t for t in WARNINGS if t in warned))


# --- reading fields -----------------------------------------------------------------------


def _field(data: Mapping[str, object], key: str, kind: type[T], where: str) -> T:
    if not isinstance(data, Mapping):
        raise ValueError(f"{where} should be an object")
    value = data.get(key)
    # bool is an int in Python, never in a record.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"{where}: {key!r} should be {kind.__name__}, not {value!r}")
    return value


def _list(data: Mapping[str, object], key: str, where: str) -> list[object]:
    return _field(data, key, list, where)


def _texts(data: Mapping[str, object], key: str, where: str) -> tuple[str, ...]:
    return _ids(_list(data, key, where), f"{where}: {key!r}")


def _ids(items: object, where: str) -> tuple[str, ...]:
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise ValueError(f"{where} should be a list of ids (strings), not {items!r}")
    return tuple(str(item) for item in items)


def _choice(kind: type[E], value: str) -> E:
    try:
        return kind(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a known {kind.__name__}") from None


def _member(item: object) -> Member:
    data = _object(item, "a person")
    return Member(
        id=_field(data, "id", str, "a person"),
        name=_field(data, "name", str, "a person"),
        kind=_choice(PersonKind, _field(data, "kind", str, "a person")),
        facilitator=_field(data, "facilitator", bool, "a person"),
    )


def _group(item: object) -> Group:
    data = _object(item, "a group")
    facilitator = data.get("facilitator")
    if facilitator is not None and not isinstance(facilitator, str):
        raise ValueError(f"a group: 'facilitator' should be an id or null, not {facilitator!r}")
    return Group(
        number=_field(data, "number", int, "a group"),
        name=_field(data, "name", str, "a group"),
        members=_texts(data, "members", "a group"),
        facilitator=facilitator,
        main_room=_field(data, "main_room", bool, "a group"),
    )


def _pair(item: object) -> tuple[str, str]:
    pair = _ids(item, "an apart pair")
    if len(pair) != 2:
        raise ValueError(f"an apart pair should be two ids, not {item!r}")
    return (pair[0], pair[1])


def _object(item: object, where: str) -> Mapping[str, object]:
    if not isinstance(item, dict):
        raise ValueError(f"{where} should be an object, not {item!r}")
    return item


def _moment(data: Mapping[str, object], key: str) -> datetime:
    text = _field(data, key, str, "the round")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"the round: {key!r} is not an ISO 8601 time: {text!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"the round: {key!r} has no time zone: {text!r}")
    return moment


def _check_sound(plan: Plan) -> None:
    """Everyone placed once at most, only people the plan knows, leads in their group."""
    ids = [m.id for m in plan.people]
    if len(set(ids)) != len(ids):
        raise ValueError("the plan lists someone twice among its people")
    numbers = [g.number for g in plan.groups]
    if len(set(numbers)) != len(numbers) or any(n < 1 for n in numbers):
        raise ValueError("the plan's group numbers should be distinct and from 1")
    placed = [p for g in plan.groups for p in g.members] + list(plan.waiting)
    if len(set(placed)) != len(placed):
        raise ValueError("the plan has someone in two places")
    if set(placed) != set(ids):
        raise ValueError("the plan's groups and waiting list should hold exactly its people")
    for group in plan.groups:
        if group.facilitator is not None and group.facilitator not in group.members:
            raise ValueError(f"group {group.number}'s facilitator is not one of its members")
