"""Meeting inputs as JSON, for the ones that cross from one instance to another: what a
phone call does (joins, leaves, hands, keypad answers, check-out flags), which can land on
any instance while the meeting's owner must apply it."""

from __future__ import annotations

import json
from dataclasses import asdict
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

from facilitation.meeting_events import (
    CheckoutFlagged,
    HandChanged,
    HandSource,
    KeypadAnswer,
    KeypadHandPressed,
    MeetingEvent,
    Person,
    PersonJoined,
    PersonKind,
    PersonLeft,
)

FORWARDED: dict[str, type[MeetingEvent]] = {
    kind.__name__: kind
    for kind in (
        PersonJoined,
        PersonLeft,
        KeypadHandPressed,
        HandChanged,
        KeypadAnswer,
        CheckoutFlagged,
    )
}


class NotAnInput(ValueError):
    """A message that is not one of the inputs instances pass on."""


def encode(event: MeetingEvent) -> str:
    kind = type(event).__name__
    if kind not in FORWARDED:
        raise NotAnInput(f"{kind} is not passed between instances")
    return json.dumps({"type": kind, "fields": asdict(event)}, separators=(",", ":"))


def decode(text: str) -> MeetingEvent:
    try:
        data = json.loads(text)
        kind = FORWARDED[data["type"]]
        if not isinstance(data["fields"], dict):
            raise TypeError("fields must be an object")
        fields: dict[str, Any] = dict(data["fields"])
        if kind is PersonJoined:
            if not isinstance(fields.get("person"), dict):
                raise TypeError("person must be an object")
            person = dict(fields["person"])
            person["kind"] = PersonKind(person["kind"])
            _check(Person, person)
            fields["person"] = Person(**person)
        if kind is HandChanged:
            fields["source"] = HandSource(fields["source"])
        _check(kind, fields)
        return kind(**fields)
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise NotAnInput(f"not a meeting input: {exc}") from exc


def _check(kind: type, fields: dict[str, Any]) -> None:
    """Each value of the type its field declares (the plain ones: text, numbers, enums,
    objects), so nothing of another shape reaches the bus."""
    hints = get_type_hints(kind)
    for name, value in fields.items():
        hint = hints.get(name)
        if hint is None:
            raise TypeError(f"unexpected field {name!r}")
        allowed = get_args(hint) if get_origin(hint) in (Union, UnionType) else (hint,)
        plain = tuple(
            (get_origin(one) or one) if one is not type(None) else type(None) for one in allowed
        )
        if isinstance(value, bool) and bool not in plain:
            raise TypeError(f"{name} has the wrong type")
        if not isinstance(value, plain):
            raise TypeError(f"{name} has the wrong type")
