"""Meeting inputs as JSON, for the ones that cross from one instance to another: what a
phone call does (joins, leaves, hands, keypad answers, check-out flags), which can land on
any instance while the meeting's owner must apply it."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

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
        fields: dict[str, Any] = dict(data["fields"])
        if kind is PersonJoined:
            person = dict(fields["person"])
            person["kind"] = PersonKind(person["kind"])
            fields["person"] = Person(**person)
        if kind is HandChanged:
            fields["source"] = HandSource(fields["source"])
        return kind(**fields)
    except (ValueError, KeyError, TypeError) as exc:
        raise NotAnInput(f"not a meeting input: {exc}") from exc
