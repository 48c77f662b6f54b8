"""After the meeting: who has not checked out, what a host may do with a flag, and the
counts that outlive the answers. Pure."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from facilitation.attendance import masked_phone_name
from facilitation.checkout import Level, Reason

MAX_HOST_NOTE = 2000


class Status(StrEnum):
    OPEN = "open"
    CONTACTED = "contacted"
    RESOLVED = "resolved"


class NothingToSave(ValueError):
    """A host pressed save without changing the status or writing a note."""


class NoteTooLong(ValueError):
    pass


def check_action(current: Status, new: Status, note: str) -> str:
    """The note to keep (trimmed) for a host's change; refuses empty or oversized changes."""
    note = note.replace("\r\n", "\n").strip()
    if len(note) > MAX_HOST_NOTE:
        raise NoteTooLong()
    if new is current and not note:
        raise NothingToSave()
    return note


def _fold(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def person_key(kind: str, name: str, participant_id: int | None) -> str:
    """Who someone is across rejoins: web people by their display name, callers by the
    masked number Jitsi shows; someone without a name only by their own row."""
    if kind == "phone":
        shown = masked_phone_name(name)
        if shown.startswith("…"):
            return "phone:" + shown
    folded = _fold(name)
    if folded:
        return f"{kind}:{folded}"
    return f"row:{participant_id}"


@dataclass
class Attendee:
    key: str
    name: str
    kind: str
    participant_ids: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class Seen:
    """One sighting of a person: the assistant's row (with an id) or a webhook stay."""

    kind: str
    name: str
    participant_id: int | None = None


def attendees(seen: Iterable[Seen], *, leave_out: Iterable[str] = ()) -> list[Attendee]:
    """Everyone who was there, each once, in order of first sighting. Names in `leave_out`
    (the assistant itself) are not people to follow up."""
    skip = {_fold(name) for name in leave_out}
    found: dict[str, Attendee] = {}
    for one in seen:
        if _fold(one.name) in skip and one.name:
            continue
        if one.participant_id is None and not _fold(one.name):
            continue  # an unnamed webhook stay cannot be told apart from anyone
        key = person_key(one.kind, one.name, one.participant_id)
        person = found.setdefault(key, Attendee(key, masked_phone_name(one.name), one.kind))
        if one.participant_id is not None:
            person.participant_ids.add(one.participant_id)
    return list(found.values())


def missing(
    people: Iterable[Attendee], checked_ids: Iterable[int], checked_keys: Iterable[str]
) -> list[Attendee]:
    """Those with no check-out: none under any of their rows, nor under their name."""
    ids = set(checked_ids)
    keys = set(checked_keys)
    return [p for p in people if not (p.participant_ids & ids) and p.key not in keys]


@dataclass(frozen=True)
class Tally:
    """What stays of a session's check-outs after the retention period: counts only."""

    checked_out: int = 0
    ok: int = 0
    flagged: int = 0
    urgent: int = 0
    missing: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


def tally(
    checkout_levels: Iterable[str | None], flags: Iterable[tuple[str, Iterable[str]]]
) -> Tally:
    """Counts from check-outs (their flag level, None when fine) and flags (level, reasons)."""
    levels = list(checkout_levels)
    flag_list = [(level, set(reasons)) for level, reasons in flags]
    return Tally(
        checked_out=len(levels),
        ok=sum(1 for level in levels if level is None),
        flagged=sum(1 for _, reasons in flag_list if Reason.MISSING.value not in reasons),
        urgent=sum(1 for level, _ in flag_list if level == Level.URGENT.value),
        missing=sum(1 for _, reasons in flag_list if Reason.MISSING.value in reasons),
    )
