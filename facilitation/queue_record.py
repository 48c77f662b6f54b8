"""The speaking queue as JSON (for the database) and back, undo history included. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from facilitation.queue import Hand, Policy, Queue, Source


def _texts(record: Mapping[str, object], key: str) -> tuple[str, ...]:
    value = record.get(key) or []
    assert isinstance(value, list)
    return tuple(str(item) for item in value)


def _state_record(queue: Queue) -> dict[str, object]:
    return {
        "policy": queue.policy.value,
        "hands": [[h.participant, h.raised_at.isoformat(), h.source.value] for h in queue.hands],
        "overrides": list(queue.overrides),
        "moved": list(queue.moved),
        "turns": dict(queue.turns),
        "speaker": queue.speaker,
        "round": list(queue.round),
        "round_done": list(queue.round_done),
        "seq": queue.seq,
        "action_seq": queue.action_seq,
        "replay": [list(event) for event in queue.replay],
    }


def _state_from(record: Mapping[str, object]) -> Queue:
    hands = record.get("hands") or []
    turns = record.get("turns") or {}
    replay = record.get("replay") or []
    assert isinstance(hands, list)
    assert isinstance(turns, dict)
    assert isinstance(replay, list)
    return Queue(
        policy=Policy(str(record.get("policy", Policy.FIRST_COME.value))),
        hands=tuple(
            Hand(str(p), datetime.fromisoformat(str(when)), Source(str(source)))
            for p, when, source in hands
        ),
        overrides=_texts(record, "overrides"),
        moved=_texts(record, "moved"),
        turns={str(k): int(v) for k, v in turns.items()},
        speaker=str(record["speaker"]) if record.get("speaker") else None,
        round=_texts(record, "round"),
        round_done=_texts(record, "round_done"),
        seq=int(str(record.get("seq", 0))),
        action_seq=int(str(record.get("action_seq", 0))),
        replay=tuple((str(a), str(b), str(c), str(d)) for a, b, c, d in replay),
    )


def to_record(queue: Queue) -> dict[str, object]:
    """JSON-ready, undo history included."""
    return {**_state_record(queue), "previous": [_state_record(p) for p in queue.previous]}


def from_record(record: Mapping[str, object]) -> Queue:
    previous = record.get("previous") or []
    assert isinstance(previous, list)
    return replace(_state_from(record), previous=tuple(_state_from(p) for p in previous))
