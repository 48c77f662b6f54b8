"""The speaking queue: one list for every raised hand, whatever it was raised with. Pure.

Hands come from Jitsi's raised-hand button (with Jitsi's own timestamp), a phone keypad
(`*9`), a chat message that is just "hand", or a facilitator raising one for someone. The
facilitator picks how the queue is ordered and can switch live:

- first come: by the time the hand went up (the sender's time, not arrival order);
- fair turns: whoever has spoken least in this session first, then by time;
- go round: everyone present once, in the order they joined, phone callers included; each
  can pass.

Manual moves (up, down, to the top) override the policy and stay marked as overrides.
Every change returns a new state with the sequence number one higher; the previous state
is kept for undo. Several facilitators acting at once: an action carries the sequence
number it was based on, and one based on an old state is refused (`Stale`), so a speaker is
never called twice or lost.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

UNDO_DEPTH = 20


class Source(StrEnum):
    JITSI = "jitsi"
    KEYPAD = "keypad"
    CHAT = "chat"
    FACILITATOR = "facilitator"


class Policy(StrEnum):
    FIRST_COME = "first_come"
    FAIR_TURNS = "fair_turns"
    GO_ROUND = "go_round"


class Stale(Exception):
    """The action was based on an older queue than the current one."""


@dataclass(frozen=True)
class Hand:
    participant: str
    raised_at: datetime
    source: Source


@dataclass(frozen=True)
class Entry:
    """One line of the queue as shown: who, and why they are where they are."""

    participant: str
    reason: str  # a key: "override", "first_come", "fair_turns", "go_round"
    raised_at: datetime | None
    turns: int
    override: bool


@dataclass(frozen=True)
class Queue:
    policy: Policy = Policy.FIRST_COME
    hands: tuple[Hand, ...] = ()
    overrides: tuple[str, ...] = ()  # manual order, ahead of the policy's
    turns: Mapping[str, int] = field(default_factory=dict)
    speaker: str | None = None
    round: tuple[str, ...] = ()  # go round: who is still to be asked, in order
    seq: int = 0
    previous: tuple[Queue, ...] = ()  # for undo, newest last

    def hand_of(self, participant: str) -> Hand | None:
        return next((hand for hand in self.hands if hand.participant == participant), None)


HAND_WORDS = re.compile(r"^\s*(?:/?hand|\u270b(?:[\U0001f3fb-\U0001f3ff])?)\s*[.!]*\s*$", re.I)
LOWER_WORDS = re.compile(r"^\s*/?(?:lower|unhand|hand down)\s*[.!]*\s*$", re.I)


def chat_intent(text: str) -> bool | None:
    """A chat message that is just "hand", "/hand" or ✋ raises a hand; "lower" or
    "/lower" lowers it; anything else is ordinary chat (None)."""
    if HAND_WORDS.match(text):
        return True
    if LOWER_WORDS.match(text):
        return False
    return None


def _changed(queue: Queue, **changes: object) -> Queue:
    kept = (*queue.previous, replace(queue, previous=()))[-UNDO_DEPTH:]
    return replace(queue, seq=queue.seq + 1, previous=kept, **changes)  # type: ignore[arg-type]


def _check(queue: Queue, based_on: int | None) -> None:
    if based_on is not None and based_on != queue.seq:
        raise Stale(f"the queue changed (now at {queue.seq}, action based on {based_on})")


def raise_hand(
    queue: Queue, participant: str, at: datetime, source: Source, *, based_on: int | None = None
) -> Queue:
    """A hand goes up. Already up: the earlier time stands (a second source changes nothing)."""
    _check(queue, based_on)
    if queue.hand_of(participant) is not None or participant == queue.speaker:
        return queue
    return _changed(queue, hands=(*queue.hands, Hand(participant, at, source)))


def lower_hand(queue: Queue, participant: str, *, based_on: int | None = None) -> Queue:
    _check(queue, based_on)
    if queue.hand_of(participant) is None:
        return queue
    return _changed(
        queue,
        hands=tuple(h for h in queue.hands if h.participant != participant),
        overrides=tuple(p for p in queue.overrides if p != participant),
    )


def set_policy(
    queue: Queue, policy: Policy, present: Iterable[str] = (), *, based_on: int | None = None
) -> Queue:
    """Switch ordering. Go round starts a round over everyone `present`, in that order."""
    _check(queue, based_on)
    rounds = tuple(dict.fromkeys(present)) if policy is Policy.GO_ROUND else ()
    return _changed(queue, policy=policy, round=rounds, overrides=())


def order(queue: Queue) -> list[Entry]:
    """The queue as the facilitator sees it, first to speak first."""
    hands = {hand.participant: hand for hand in queue.hands}
    waiting = (
        [p for p in queue.round if p != queue.speaker]
        if queue.policy is Policy.GO_ROUND
        else list(hands)
    )
    if queue.policy is not Policy.GO_ROUND:
        waiting.sort(key=lambda p: _sort_key(queue, hands[p]))
    overridden = [p for p in queue.overrides if p in waiting]
    rest = [p for p in waiting if p not in overridden]
    entries = []
    for participant in [*overridden, *rest]:
        hand = hands.get(participant)
        entries.append(
            Entry(
                participant=participant,
                reason="override" if participant in overridden else queue.policy.value,
                raised_at=hand.raised_at if hand else None,
                turns=queue.turns.get(participant, 0),
                override=participant in overridden,
            )
        )
    return entries


def _sort_key(queue: Queue, hand: Hand) -> tuple[int, datetime, str]:
    turns = queue.turns.get(hand.participant, 0) if queue.policy is Policy.FAIR_TURNS else 0
    return (turns, hand.raised_at, hand.participant)


def next_speaker(queue: Queue, *, based_on: int | None = None) -> Queue:
    """The current speaker is done (their turn counted); the first in the queue speaks."""
    _check(queue, based_on)
    entries = order(queue)
    if not entries and queue.speaker is None:
        return queue
    turns = dict(queue.turns)
    if queue.speaker is not None:
        turns[queue.speaker] = turns.get(queue.speaker, 0) + 1
    if not entries:
        return _changed(queue, speaker=None, turns=turns)
    chosen = entries[0].participant
    return _changed(
        queue,
        speaker=chosen,
        turns=turns,
        hands=tuple(h for h in queue.hands if h.participant != chosen),
        overrides=tuple(p for p in queue.overrides if p != chosen),
        round=tuple(p for p in queue.round if p != chosen),
    )


def skip(queue: Queue, participant: str, *, based_on: int | None = None) -> Queue:
    """Pass over someone without a turn: their hand goes down (or, going round, they pass)."""
    _check(queue, based_on)
    if queue.hand_of(participant) is None and participant not in queue.round:
        return queue
    return _changed(
        queue,
        hands=tuple(h for h in queue.hands if h.participant != participant),
        overrides=tuple(p for p in queue.overrides if p != participant),
        round=tuple(p for p in queue.round if p != participant),
    )


def move(queue: Queue, participant: str, where: str, *, based_on: int | None = None) -> Queue:
    """`where` is "up", "down" or "top": a manual order that overrides the policy."""
    _check(queue, based_on)
    current = [entry.participant for entry in order(queue)]
    if participant not in current or where not in ("up", "down", "top"):
        return queue
    index = current.index(participant)
    current.pop(index)
    target = {"top": 0, "up": max(index - 1, 0), "down": min(index + 1, len(current))}[where]
    current.insert(target, participant)
    # Everyone down to the moved person, and down to anyone moved before, keeps this exact
    # order; the rest follow the policy below them.
    earlier = [current.index(p) for p in queue.overrides if p in current and p != participant]
    last = max([target, *earlier])
    return _changed(queue, overrides=tuple(current[: last + 1]))


def undo(queue: Queue, *, based_on: int | None = None) -> Queue:
    """Back to the state before the last change (the sequence number still goes up)."""
    _check(queue, based_on)
    if not queue.previous:
        return queue
    before = queue.previous[-1]
    return replace(before, seq=queue.seq + 1, previous=queue.previous[:-1])


def not_heard(queue: Queue, present: Iterable[str]) -> list[str]:
    """For the summary hosts see afterwards: who was there and never got a turn."""
    return [p for p in dict.fromkeys(present) if queue.turns.get(p, 0) == 0 and p != queue.speaker]


def _state_record(queue: Queue) -> dict[str, object]:
    return {
        "policy": queue.policy.value,
        "hands": [[h.participant, h.raised_at.isoformat(), h.source.value] for h in queue.hands],
        "overrides": list(queue.overrides),
        "turns": dict(queue.turns),
        "speaker": queue.speaker,
        "round": list(queue.round),
        "seq": queue.seq,
    }


def _state_from(record: Mapping[str, object]) -> Queue:
    hands = record.get("hands") or []
    turns = record.get("turns") or {}
    assert isinstance(hands, list)
    assert isinstance(turns, dict)
    return Queue(
        policy=Policy(str(record.get("policy", Policy.FIRST_COME.value))),
        hands=tuple(
            Hand(str(p), datetime.fromisoformat(str(when)), Source(str(source)))
            for p, when, source in hands
        ),
        overrides=tuple(str(p) for p in record.get("overrides") or []),  # type: ignore[attr-defined]
        turns={str(k): int(v) for k, v in turns.items()},
        speaker=str(record["speaker"]) if record.get("speaker") else None,
        round=tuple(str(p) for p in record.get("round") or []),  # type: ignore[attr-defined]
        seq=int(record.get("seq", 0)),  # type: ignore[call-overload]
    )


def to_record(queue: Queue) -> dict[str, object]:
    """JSON-ready, undo history included."""
    return {**_state_record(queue), "previous": [_state_record(p) for p in queue.previous]}


def from_record(record: Mapping[str, object]) -> Queue:
    previous = record.get("previous") or []
    assert isinstance(previous, list)
    return replace(_state_from(record), previous=tuple(_state_from(p) for p in previous))
