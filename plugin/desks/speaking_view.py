"""The console's view of a speaking queue: the order with names and reasons, who speaks
now, and for the summary everyone's turns and who has not been heard."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from facilitation import queue as rules
from facilitation.queue import Queue
from plugin.db.models import Participant
from plugin.i18n import N_


def describe_queue(
    queue: Queue, people: dict[str, Participant], translate: Callable[[str], str]
) -> dict[str, Any]:
    def describe(pid: str | None) -> dict[str, Any] | None:
        if pid is None:
            return None
        person = people.get(pid)
        someone = translate(N_("Someone"))
        return {
            "id": pid,
            "name": (person.shown_name if person else "") or someone,
            # In the meeting a caller stays "…123": names facilitators give stay here.
            "meetingName": (person.display_name if person else "") or someone,
            "phone": bool(person and person.kind == "phone"),
            # "" in the main room; a breakout group's room: the hand waits there.
            "room": (person.room if person and person.left_at is None else "") or "",
        }

    entries = []
    for entry in rules.order(queue):
        line = describe(entry.participant) or {}
        line.update(
            reason=entry.reason,
            override=entry.override,
            turns=entry.turns,
            raisedAt=entry.raised_at.isoformat() if entry.raised_at else None,
        )
        entries.append(line)
    return {
        "seq": queue.seq,
        "actionSeq": queue.action_seq,
        "policy": queue.policy.value,
        "speaker": describe(queue.speaker),
        "entries": entries,
        "canUndo": bool(queue.previous),
        # For the summary: everyone's turns, and who has not spoken (everyone who came).
        "turns": [
            {**(describe(pid) or {}), "turns": count}
            for pid, count in sorted(queue.turns.items(), key=lambda item: -item[1])
        ],
        "notHeard": [describe(pid) for pid in rules.not_heard(queue, list(people))],
    }
