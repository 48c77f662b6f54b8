"""After the meeting: who has not checked out, what a host may do with a flag, and the
counts that outlive the answers. Pure."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
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


def name_key(kind: str, name: str) -> str:
    """A name as the follow-up compares it: case and spacing ignored; a caller by the masked
    number Jitsi shows. Empty when there is no name to go by."""
    if kind == "phone":
        shown = masked_phone_name(name)
        if shown.startswith("…"):
            return "phone:" + shown
    folded = _fold(name)
    return f"{kind}:{folded}" if folded else ""


@dataclass(frozen=True)
class Seen:
    """One connection to the meeting: the assistant's row (with an id) or Jitsi's record of
    it (a webhook stay, no id)."""

    kind: str
    name: str
    participant_id: int | None = None
    joined_at: datetime | None = None
    left_at: datetime | None = None


@dataclass
class Attendee:
    key: str
    name: str
    kind: str
    participant_ids: set[int] = field(default_factory=set)
    stays: list[Seen] = field(default_factory=list)

    def overlaps(self, seen: Seen, *, webhook_only: bool = False) -> bool:
        return any(
            _overlap((stay.joined_at, stay.left_at), (seen.joined_at, seen.left_at))
            for stay in self.stays
            if not webhook_only or stay.participant_id is None
        )


def _overlap(
    a: tuple[datetime | None, datetime | None], b: tuple[datetime | None, datetime | None]
) -> bool:
    """Whether two stays were at the same time (an unknown end is "still there")."""
    if a[0] is None or b[0] is None:
        return True
    return a[0] <= (b[1] or datetime.max.replace(tzinfo=a[0].tzinfo)) and b[0] <= (
        a[1] or datetime.max.replace(tzinfo=b[0].tzinfo)
    )


def attendees(seen: Iterable[Seen], *, leave_out: Iterable[str] = ()) -> list[Attendee]:
    """Everyone who was there, each once.

    Two connections with the same name are one person when they were not there at the same
    time (someone who left and came back, or moved to a breakout room); at the same time,
    they are two people (two "Guest"s). Callers are told apart by their number's last 3
    digits only. Jitsi's record of a connection joins the assistant's
    row it overlaps. Names in `leave_out` (the assistant itself) are not people to follow up.
    """
    skip = {_fold(name) for name in leave_out if name}
    found: list[Attendee] = []
    rows = sorted(
        (s for s in seen if _fold(s.name) not in skip or not s.name),
        key=lambda s: (
            s.participant_id is None,
            s.joined_at.timestamp() if s.joined_at else 0.0,
            s.participant_id or 0,
        ),
    )
    for one in rows:
        key = name_key(one.kind, one.name)
        person: Attendee | None
        if not key:
            if one.participant_id is None:
                continue  # an unnamed webhook stay cannot be told apart from anyone
            person = Attendee(f"row:{one.participant_id}", "", one.kind)
            found.append(person)
        else:
            same = [p for p in found if p.key.split("#")[0] == key]
            if one.participant_id is None:
                # Jitsi's record of a connection: the assistant's row at the same time (unless
                # Jitsi already reported a connection of that person then), or a rejoin.
                person = next(
                    (p for p in same if p.overlaps(one) and not p.overlaps(one, webhook_only=True)),
                    None,
                ) or next((p for p in same if not p.overlaps(one)), None)
            elif one.kind == "phone":
                # A call can show twice at once (the call's own row and Jigasi's participant):
                # the same last 3 digits are the same caller.
                person = same[0] if same else None
            else:
                person = next((p for p in same if not p.overlaps(one)), None)
            if person is None:
                suffix = f"#{one.participant_id or len(same)}" if same else ""
                person = Attendee(key + suffix, masked_phone_name(one.name), one.kind)
                found.append(person)
        person.stays.append(one)
        if one.participant_id is not None:
            person.participant_ids.add(one.participant_id)
    return found


def missing(people: Iterable[Attendee], checked_ids: Iterable[int]) -> list[Attendee]:
    """Those with no check-out under any of their connections. A name typed on a check-out
    with no known person never counts: it could be anyone's."""
    ids = set(checked_ids)
    return [p for p in people if not p.participant_ids & ids]


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
