"""The speaking queue (facilitation.queue): each policy, manual moves, undo, stale actions,
and the invariants under any sequence of actions (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facilitation import queue as q
from facilitation.queue import Policy, Queue, Source

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def names(queue: Queue) -> list[str]:
    return [entry.participant for entry in q.order(queue)]


def test_first_come_orders_by_the_senders_time_not_arrival() -> None:
    queue = q.raise_hand(Queue(), "ann", at(30), Source.JITSI)
    queue = q.raise_hand(queue, "bob", at(10), Source.KEYPAD)  # arrived later, raised earlier
    queue = q.raise_hand(queue, "cat", at(20), Source.CHAT)
    assert names(queue) == ["bob", "cat", "ann"]
    assert {entry.reason for entry in q.order(queue)} == {"first_come"}


def test_fair_turns_puts_those_who_spoke_least_first() -> None:
    queue = Queue(turns={"ann": 2, "bob": 0, "cat": 1})
    for name, second in (("ann", 1), ("bob", 3), ("cat", 2)):
        queue = q.raise_hand(queue, name, at(second), Source.JITSI)
    assert names(queue) == ["ann", "cat", "bob"]
    queue = q.set_policy(queue, Policy.FAIR_TURNS)
    assert names(queue) == ["bob", "cat", "ann"]
    assert [entry.turns for entry in q.order(queue)] == [0, 1, 2]


def test_go_round_visits_everyone_once_and_people_can_pass() -> None:
    queue = q.set_policy(Queue(), Policy.GO_ROUND, ["ann", "phone-1", "bob"])
    assert names(queue) == ["ann", "phone-1", "bob"]
    queue = q.next_speaker(queue)
    assert queue.speaker == "ann"
    queue = q.skip(queue, "phone-1")  # passes
    queue = q.next_speaker(queue)
    assert queue.speaker == "bob"
    queue = q.next_speaker(queue)
    assert queue.speaker is None
    assert queue.turns == {"ann": 1, "bob": 1}
    assert q.not_heard(queue, ["ann", "phone-1", "bob"]) == ["phone-1"]


def test_manual_moves_override_the_policy_and_say_so() -> None:
    queue = Queue()
    for n, name in enumerate(["ann", "bob", "cat", "dan"]):
        queue = q.raise_hand(queue, name, at(n), Source.JITSI)
    queue = q.move(queue, "cat", "top")
    assert names(queue) == ["cat", "ann", "bob", "dan"]
    assert [entry.override for entry in q.order(queue)] == [True, False, False, False]
    queue = q.move(queue, "dan", "up")
    assert names(queue) == ["cat", "ann", "dan", "bob"]
    queue = q.move(queue, "cat", "down")
    assert names(queue) == ["ann", "cat", "dan", "bob"]


def test_next_counts_the_turn_and_calls_the_first() -> None:
    queue = q.raise_hand(Queue(), "ann", at(1), Source.JITSI)
    queue = q.raise_hand(queue, "bob", at(2), Source.KEYPAD)
    queue = q.next_speaker(queue)
    assert queue.speaker == "ann"
    assert names(queue) == ["bob"]
    queue = q.next_speaker(queue)
    assert (queue.speaker, queue.turns) == ("bob", {"ann": 1})


def test_undo_goes_back_one_step_and_the_sequence_still_rises() -> None:
    queue = q.raise_hand(Queue(), "ann", at(1), Source.JITSI)
    called = q.next_speaker(queue)
    undone = q.undo(called)
    assert undone.speaker is None
    assert names(undone) == ["ann"]
    assert undone.seq == called.seq + 1


def test_an_action_based_on_an_old_queue_is_refused() -> None:
    queue = q.raise_hand(Queue(), "ann", at(1), Source.JITSI)
    seen = queue.seq
    queue = q.next_speaker(queue, based_on=seen)  # one facilitator presses next
    with pytest.raises(q.Stale):
        q.next_speaker(queue, based_on=seen)  # the other pressed it on the old view


def test_a_second_source_for_the_same_hand_changes_nothing() -> None:
    queue = q.raise_hand(Queue(), "ann", at(5), Source.JITSI)
    again = q.raise_hand(queue, "ann", at(9), Source.CHAT)
    assert again is queue


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("hand", True),
        (" Hand! ", True),
        ("/hand", True),
        ("\u270b", True),
        ("\u270b\U0001f3fd", True),
        ("/lower", False),
        ("lower", False),
        ("handy tip", None),
        ("my hand hurts", None),
        ("", None),
    ],
)
def test_chat_intents(text: str, intent: bool | None) -> None:
    assert q.chat_intent(text) is intent


PEOPLE = ["ann", "bob", "cat", "dan", "eve", "phone-1"]
actions = st.one_of(
    st.tuples(st.just("raise"), st.sampled_from(PEOPLE), st.integers(0, 600)),
    st.tuples(st.just("lower"), st.sampled_from(PEOPLE), st.just(0)),
    st.tuples(st.just("next"), st.just(""), st.just(0)),
    st.tuples(st.just("skip"), st.sampled_from(PEOPLE), st.just(0)),
    st.tuples(st.sampled_from(["up", "down", "top"]), st.sampled_from(PEOPLE), st.just(0)),
    st.tuples(st.just("policy"), st.sampled_from(list(Policy)), st.just(0)),
    st.tuples(st.just("undo"), st.just(""), st.just(0)),
)


def apply(queue: Queue, action: tuple[object, ...]) -> Queue:
    kind, who, when = action
    if kind == "raise":
        return q.raise_hand(queue, str(who), at(int(when)), Source.JITSI)  # type: ignore[call-overload]
    if kind == "lower":
        return q.lower_hand(queue, str(who))
    if kind == "next":
        return q.next_speaker(queue)
    if kind == "skip":
        return q.skip(queue, str(who))
    if kind in ("up", "down", "top"):
        return q.move(queue, str(who), str(kind))
    if kind == "policy":
        return q.set_policy(queue, Policy(str(who)), PEOPLE)
    return q.undo(queue)


@settings(max_examples=1000, derandomize=True)
@given(st.lists(actions, max_size=40))
def test_invariants_hold_under_any_sequence(steps: list[tuple[object, ...]]) -> None:
    queue = Queue()
    raised: set[str] = set()  # the model: whose hand is up
    history: list[set[str]] = []
    for step in steps:
        before = queue
        queue = apply(queue, step)
        kind, who = step[0], step[1]
        if queue is not before and kind != "undo":
            history.append(set(raised))
            if kind == "raise":
                raised.add(str(who))
            elif kind in ("lower", "skip"):
                raised.discard(str(who))
            elif kind == "next" and queue.speaker is not None:
                raised.discard(queue.speaker)
        elif kind == "undo" and queue is not before:
            raised = history.pop() if history else raised
        entries = q.order(queue)
        shown = [entry.participant for entry in entries]
        assert len(shown) == len(set(shown)), "no one appears twice"
        assert queue.speaker not in shown
        hands = {hand.participant for hand in queue.hands}
        assert hands == raised, "every raised hand is waiting, or was served or lowered"
        if queue.policy is not Policy.GO_ROUND:
            assert set(shown) == hands
        if queue.policy is Policy.FAIR_TURNS:
            free = [e for e in entries if not e.override]
            for i, earlier in enumerate(free):
                for later in free[i + 1 :]:
                    assert earlier.raised_at is not None
                    assert later.raised_at is not None
                    # No one waits behind someone who raised later and has spoken more.
                    assert not (earlier.raised_at > later.raised_at and earlier.turns > later.turns)
                    assert earlier.turns <= later.turns
        assert queue.seq >= before.seq


@settings(max_examples=200, derandomize=True)
@given(st.lists(actions, max_size=25))
def test_the_queue_survives_storage(steps: list[tuple[object, ...]]) -> None:
    queue = Queue()
    for step in steps:
        queue = apply(queue, step)
    import json

    again = q.from_record(json.loads(json.dumps(q.to_record(queue))))
    assert again == queue
    assert q.order(again) == q.order(queue)
