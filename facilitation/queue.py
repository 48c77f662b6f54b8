"""The speaking queue: one list for every raised hand, whatever it was raised with. Pure.

Hands come from Jitsi's raised-hand button (with Jitsi's own timestamp), a phone keypad
(`*9`), a chat message that is just "hand", or a facilitator raising one for someone. The
facilitator picks how the queue is ordered and can switch live:

- first come: by the time the hand went up (the sender's time, not arrival order);
- fair turns: whoever has spoken least in this session first, then by time;
- go round: everyone present once, in the order they joined, phone callers included; each
  can pass.

Manual moves (up, down, to the top) override the policy and stay marked.

Two kinds of change. Meeting events (a hand up or down from Jitsi, the keypad or the chat,
someone joining or leaving) just happen. Facilitator actions (next, skip, lower, raise for
someone, move, order, undo) carry the action number they were based on; one based on an
older action is refused (`Stale`), so two facilitators pressing Next at once never call two
speakers. Undo takes back the last facilitator action only: it restores the state from
before that action and replays the meeting events that came since, so no hand raised in
between is lost. `seq` counts every change, for consoles to keep them in order.
"""

from __future__ import annotations

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
    reason: str  # "override", "kept", "first_come", "fair_turns", "go_round"
    raised_at: datetime | None
    turns: int
    override: bool


# A meeting event, as kept for replay after an undo: (kind, participant, time, source).
Event = tuple[str, str, str, str]


@dataclass(frozen=True)
class Queue:
    policy: Policy = Policy.FIRST_COME
    hands: tuple[Hand, ...] = ()
    overrides: tuple[str, ...] = ()  # manual order, ahead of the policy's
    moved: tuple[str, ...] = ()  # who a facilitator moved (the rest of overrides are kept)
    turns: Mapping[str, int] = field(default_factory=dict)
    speaker: str | None = None
    round: tuple[str, ...] = ()  # go round: who is still to be asked, in order
    round_done: tuple[str, ...] = ()  # go round: who has had (or passed) their go
    seq: int = 0  # every change
    action_seq: int = 0  # facilitator actions: what a console's button is based on
    previous: tuple[Queue, ...] = ()  # the state before each facilitator action, newest last
    replay: tuple[Event, ...] = ()  # meeting events since the last facilitator action

    def hand_of(self, participant: str) -> Hand | None:
        return next((hand for hand in self.hands if hand.participant == participant), None)


def _without(items: tuple[str, ...], participant: str) -> tuple[str, ...]:
    return tuple(p for p in items if p != participant)


# --- meeting events -------------------------------------------------------------------


def _apply(queue: Queue, event: Event) -> Queue:
    """A meeting event's effect on the state alone (no bookkeeping)."""
    kind, who, when, source = event
    if kind == "up":
        at = datetime.fromisoformat(when)
        hand = queue.hand_of(who)
        if hand is None:
            return replace(queue, hands=(*queue.hands, Hand(who, at, Source(source))))
        if at < hand.raised_at:  # the earliest report of the same hand stands
            hands = tuple(
                replace(h, raised_at=at) if h.participant == who else h for h in queue.hands
            )
            return replace(queue, hands=hands)
        return queue
    if kind == "down":
        if queue.hand_of(who) is None:
            return queue
        return replace(
            queue,
            hands=tuple(h for h in queue.hands if h.participant != who),
            overrides=_without(queue.overrides, who),
            moved=_without(queue.moved, who),
        )
    if kind == "join":
        late = (
            queue.policy is Policy.GO_ROUND
            and who not in queue.round
            and who not in queue.round_done
            and who != queue.speaker
        )
        return replace(queue, round=(*queue.round, who)) if late else queue
    if kind == "leave":
        return replace(
            queue,
            hands=tuple(h for h in queue.hands if h.participant != who),
            overrides=_without(queue.overrides, who),
            moved=_without(queue.moved, who),
            round=_without(queue.round, who),
        )
    return queue


def _event(queue: Queue, event: Event) -> Queue:
    after = _apply(queue, event)
    if after == queue:
        return queue
    return replace(after, seq=queue.seq + 1, replay=(*queue.replay, event))


def hand_up(queue: Queue, participant: str, at: datetime, source: Source) -> Queue:
    """A hand went up in the meeting (Jitsi, keypad, chat). Already up: the earliest time
    stands. The current speaker may raise again, for a follow-up."""
    return _event(queue, ("up", participant, at.isoformat(), source.value))


def hand_down(queue: Queue, participant: str) -> Queue:
    return _event(queue, ("down", participant, "", ""))


def joined(queue: Queue, participant: str) -> Queue:
    """Someone joined: going round, a late joiner gets a go at the end of the round."""
    return _event(queue, ("join", participant, "", ""))


def left(queue: Queue, participant: str) -> Queue:
    """Someone left: out of the queue and the round."""
    return _event(queue, ("leave", participant, "", ""))


# --- facilitator actions ----------------------------------------------------------------


def _check(queue: Queue, based_on: int | None) -> None:
    if based_on is not None and based_on != queue.action_seq:
        raise Stale(f"the queue changed (now at {queue.action_seq}, action based on {based_on})")


def _action(queue: Queue, **changes: object) -> Queue:
    kept = (*queue.previous, replace(queue, previous=()))[-UNDO_DEPTH:]
    return replace(
        queue,
        seq=queue.seq + 1,
        action_seq=queue.action_seq + 1,
        previous=kept,
        replay=(),
        **changes,  # type: ignore[arg-type]
    )


def raise_hand(
    queue: Queue, participant: str, at: datetime, *, based_on: int | None = None
) -> Queue:
    """A facilitator raises a hand for someone."""
    _check(queue, based_on)
    if queue.hand_of(participant) is not None:
        return queue
    return _action(queue, hands=(*queue.hands, Hand(participant, at, Source.FACILITATOR)))


def lower_hand(queue: Queue, participant: str, *, based_on: int | None = None) -> Queue:
    _check(queue, based_on)
    if queue.hand_of(participant) is None:
        return queue
    return _action(queue, **_drop(queue, participant, from_round=False))


def _drop(queue: Queue, participant: str, *, from_round: bool) -> dict[str, object]:
    changes: dict[str, object] = {
        "hands": tuple(h for h in queue.hands if h.participant != participant),
        "overrides": _without(queue.overrides, participant),
        "moved": _without(queue.moved, participant),
    }
    if from_round:
        changes["round"] = _without(queue.round, participant)
        if queue.policy is Policy.GO_ROUND and participant not in queue.round_done:
            changes["round_done"] = (*queue.round_done, participant)
    return changes


def set_policy(
    queue: Queue, policy: Policy, present: Iterable[str] = (), *, based_on: int | None = None
) -> Queue:
    """Switch ordering. Go round starts a round over everyone `present`, in that order."""
    _check(queue, based_on)
    rounds = tuple(dict.fromkeys(present)) if policy is Policy.GO_ROUND else ()
    rounds = _without(rounds, queue.speaker) if queue.speaker else rounds
    return _action(queue, policy=policy, round=rounds, round_done=(), overrides=(), moved=())


def order(queue: Queue) -> list[Entry]:
    """The queue as the facilitator sees it, first to speak first."""
    hands = {hand.participant: hand for hand in queue.hands}
    if queue.policy is Policy.GO_ROUND:
        # The round first; anyone else with a hand up follows, by time.
        extra = sorted(
            (p for p in hands if p not in queue.round), key=lambda p: _sort_key(queue, hands[p])
        )
        waiting = [*queue.round, *extra]
    else:
        waiting = sorted(hands, key=lambda p: _sort_key(queue, hands[p]))
    pinned = [p for p in queue.overrides if p in waiting]
    rest = [p for p in waiting if p not in pinned]
    entries = []
    for participant in [*pinned, *rest]:
        hand = hands.get(participant)
        if participant in pinned:
            reason = "override" if participant in queue.moved else "kept"
        elif queue.policy is Policy.GO_ROUND and participant not in queue.round:
            reason = Policy.FIRST_COME.value
        else:
            reason = queue.policy.value
        entries.append(
            Entry(
                participant=participant,
                reason=reason,
                raised_at=hand.raised_at if hand else None,
                turns=queue.turns.get(participant, 0),
                override=participant in pinned,
            )
        )
    return entries


def _sort_key(queue: Queue, hand: Hand) -> tuple[int, datetime, str]:
    turns = queue.turns.get(hand.participant, 0) if queue.policy is Policy.FAIR_TURNS else 0
    return (turns, hand.raised_at, hand.participant)


def _turn_counted(queue: Queue) -> dict[str, int]:
    turns = dict(queue.turns)
    if queue.speaker is not None:
        turns[queue.speaker] = turns.get(queue.speaker, 0) + 1
    return turns


def next_speaker(
    queue: Queue, *, based_on: int | None = None, away: frozenset[str] = frozenset()
) -> Queue:
    """The current speaker is done (their turn counted); the first in the queue speaks.

    People `away` (in a breakout group) keep their place but are not called: their hands
    wait in their group until they are back in the main room."""
    _check(queue, based_on)
    entries = [entry for entry in order(queue) if entry.participant not in away]
    if not entries and queue.speaker is None:
        return queue
    turns = _turn_counted(queue)
    if not entries:
        return _action(queue, speaker=None, turns=turns)
    chosen = entries[0].participant
    return _action(queue, speaker=chosen, turns=turns, **_drop(queue, chosen, from_round=True))


def finish(queue: Queue) -> Queue:
    """The session ended: the current speaker's turn counts, nobody speaks now."""
    if queue.speaker is None:
        return queue
    return replace(queue, speaker=None, turns=_turn_counted(queue), seq=queue.seq + 1)


def skip(queue: Queue, participant: str, *, based_on: int | None = None) -> Queue:
    """Pass over someone without a turn: their hand goes down (or, going round, they pass)."""
    _check(queue, based_on)
    if queue.hand_of(participant) is None and participant not in queue.round:
        return queue
    return _action(queue, **_drop(queue, participant, from_round=True))


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
    # order (shown as "kept in place"); the rest follow the policy below them.
    earlier = [current.index(p) for p in queue.overrides if p in current and p != participant]
    last = max([target, *earlier])
    moved = (*_without(queue.moved, participant), participant)
    return _action(queue, overrides=tuple(current[: last + 1]), moved=moved)


def undo(queue: Queue, *, based_on: int | None = None) -> Queue:
    """Take back the last facilitator action; meeting events since then still count."""
    _check(queue, based_on)
    if not queue.previous:
        return queue
    before = queue.previous[-1]
    state = before
    for event in queue.replay:
        state = _apply(state, event)
    return replace(
        state,
        seq=queue.seq + 1,
        action_seq=queue.action_seq + 1,
        previous=queue.previous[:-1],
        replay=(*before.replay, *queue.replay),
    )


def not_heard(queue: Queue, everyone: Iterable[str]) -> list[str]:
    """For the summary: who was there and never got a turn (the speaker is being heard)."""
    return [p for p in dict.fromkeys(everyone) if queue.turns.get(p, 0) == 0 and p != queue.speaker]
