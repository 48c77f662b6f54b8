"""The speaking queue (facilitation.queue): each policy, manual moves, undo, stale actions,
and the invariants under any sequence of actions (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facilitation import queue as q
from facilitation.hand_words import chat_intent
from facilitation.queue import Policy, Queue, Source
from facilitation.queue_record import from_record, to_record

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def names(queue: Queue) -> list[str]:
    return [entry.participant for entry in q.order(queue)]


def test_first_come_orders_by_the_senders_time_not_arrival() -> None:
    queue = q.hand_up(Queue(), "ann", at(30), Source.JITSI)
    queue = q.hand_up(queue, "bob", at(10), Source.KEYPAD)  # arrived later, raised earlier
    queue = q.hand_up(queue, "cat", at(20), Source.CHAT)
    assert names(queue) == ["bob", "cat", "ann"]
    assert {entry.reason for entry in q.order(queue)} == {"first_come"}


def test_fair_turns_puts_those_who_spoke_least_first() -> None:
    queue = Queue(turns={"ann": 2, "bob": 0, "cat": 1})
    for name, second in (("ann", 1), ("bob", 3), ("cat", 2)):
        queue = q.hand_up(queue, name, at(second), Source.JITSI)
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
        queue = q.hand_up(queue, name, at(n), Source.JITSI)
    queue = q.move(queue, "cat", "top")
    assert names(queue) == ["cat", "ann", "bob", "dan"]
    assert [entry.override for entry in q.order(queue)] == [True, False, False, False]
    queue = q.move(queue, "dan", "up")
    assert names(queue) == ["cat", "ann", "dan", "bob"]
    reasons = [entry.reason for entry in q.order(queue)]
    assert reasons == ["override", "kept", "override", "first_come"]
    queue = q.move(queue, "cat", "down")
    assert names(queue) == ["ann", "cat", "dan", "bob"]


def test_next_counts_the_turn_and_calls_the_first() -> None:
    queue = q.hand_up(Queue(), "ann", at(1), Source.JITSI)
    queue = q.hand_up(queue, "bob", at(2), Source.KEYPAD)
    queue = q.next_speaker(queue)
    assert queue.speaker == "ann"
    assert names(queue) == ["bob"]
    queue = q.next_speaker(queue)
    assert (queue.speaker, queue.turns) == ("bob", {"ann": 1})


def test_undo_takes_back_the_last_action_and_keeps_hands_raised_since() -> None:
    queue = q.hand_up(Queue(), "ann", at(1), Source.JITSI)
    called = q.next_speaker(queue)
    meanwhile = q.hand_up(called, "dan", at(2), Source.CHAT)  # a meeting event, not undoable
    undone = q.undo(meanwhile)
    assert undone.speaker is None
    assert names(undone) == ["ann", "dan"]  # Ann is back; Dan's hand is not lost
    assert undone.seq == meanwhile.seq + 1
    assert q.undo(undone) is undone  # nothing older to undo


def test_meeting_events_alone_leave_nothing_to_undo() -> None:
    queue = q.hand_up(Queue(), "ann", at(1), Source.JITSI)
    assert q.undo(queue) is queue


def test_an_action_based_on_an_old_queue_is_refused() -> None:
    queue = q.hand_up(Queue(), "ann", at(1), Source.JITSI)
    seen = queue.action_seq
    queue = q.hand_up(queue, "bob", at(2), Source.JITSI)  # meeting events do not make it stale
    queue = q.next_speaker(queue, based_on=seen)  # one facilitator presses next
    with pytest.raises(q.Stale):
        q.next_speaker(queue, based_on=seen)  # the other pressed it on the old view


def test_a_second_report_of_the_same_hand_keeps_the_earliest_time() -> None:
    queue = q.hand_up(Queue(), "ann", at(5), Source.CHAT)
    assert q.hand_up(queue, "ann", at(9), Source.JITSI) is queue
    earlier = q.hand_up(queue, "ann", at(2), Source.JITSI)
    hand = earlier.hand_of("ann")
    assert hand is not None
    assert hand.raised_at == at(2)


def test_the_speaker_may_raise_again_for_a_follow_up() -> None:
    queue = q.next_speaker(q.hand_up(Queue(), "ann", at(1), Source.JITSI))
    again = q.hand_up(queue, "ann", at(3), Source.JITSI)
    assert names(again) == ["ann"]


def test_going_round_takes_late_joiners_and_shows_other_hands() -> None:
    queue = q.set_policy(Queue(), Policy.GO_ROUND, ["ann", "bob"])
    queue = q.joined(queue, "cat")
    queue = q.hand_up(queue, "ann", at(1), Source.JITSI)
    assert [(e.participant, e.reason) for e in q.order(queue)] == [
        ("ann", "go_round"),
        ("bob", "go_round"),
        ("cat", "go_round"),
    ]
    queue = q.left(queue, "bob")
    for _ in range(2):
        queue = q.next_speaker(queue)  # ann, then cat
    queue = q.hand_up(queue, "ann", at(9), Source.JITSI)  # had her go: her hand still shows
    assert [(e.participant, e.reason) for e in q.order(queue)] == [("ann", "first_come")]
    assert q.joined(queue, "ann") == queue  # rejoining does not give a second go


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
    assert chat_intent(text) is intent


PEOPLE = ["ann", "bob", "cat", "dan", "eve", "phone-1"]
actions = st.one_of(
    st.tuples(st.just("up"), st.sampled_from(PEOPLE), st.integers(0, 600)),
    st.tuples(st.just("down"), st.sampled_from(PEOPLE), st.just(0)),
    st.tuples(st.just("join"), st.sampled_from(PEOPLE), st.just(0)),
    st.tuples(st.just("leave"), st.sampled_from(PEOPLE), st.just(0)),
    st.tuples(st.just("raise"), st.sampled_from(PEOPLE), st.integers(0, 600)),
    st.tuples(st.just("lower"), st.sampled_from(PEOPLE), st.just(0)),
    st.tuples(st.just("next"), st.just(""), st.just(0)),
    st.tuples(st.just("skip"), st.sampled_from(PEOPLE), st.just(0)),
    st.tuples(
        st.sampled_from(["move-up", "move-down", "top"]), st.sampled_from(PEOPLE), st.just(0)
    ),
    st.tuples(st.just("policy"), st.sampled_from(list(Policy)), st.just(0)),
    st.tuples(st.just("undo"), st.just(""), st.just(0)),
)
MEETING = {"up", "down", "join", "leave"}


def apply(queue: Queue, action: tuple[object, ...]) -> Queue:
    kind, who, when = str(action[0]), str(action[1]), int(str(action[2]))
    steps = {
        "up": lambda: q.hand_up(queue, who, at(when), Source.JITSI),
        "down": lambda: q.hand_down(queue, who),
        "join": lambda: q.joined(queue, who),
        "leave": lambda: q.left(queue, who),
        "raise": lambda: q.raise_hand(queue, who, at(when)),
        "lower": lambda: q.lower_hand(queue, who),
        "next": lambda: q.next_speaker(queue),
        "skip": lambda: q.skip(queue, who),
        "move-up": lambda: q.move(queue, who, "up"),
        "move-down": lambda: q.move(queue, who, "down"),
        "top": lambda: q.move(queue, who, "top"),
        "policy": lambda: q.set_policy(queue, Policy(who), PEOPLE),
        "undo": lambda: q.undo(queue),
    }
    return steps[kind]()


def _model_effect(raised: set[str], kind: str, who: str, after: Queue) -> set[str]:
    raised = set(raised)
    if kind in ("up", "raise"):
        raised.add(who)
    elif kind in ("down", "leave", "lower", "skip"):
        raised.discard(who)
    elif kind == "next" and after.speaker is not None:
        raised.discard(after.speaker)
    return raised


@settings(max_examples=1000, derandomize=True)
@given(st.lists(actions, max_size=40))
def test_invariants_hold_under_any_sequence(steps: list[tuple[object, ...]]) -> None:
    """The model: whose hand is up. Undo goes back to the model before the last facilitator
    action and replays the meeting events since, as the queue promises."""
    queue = Queue()
    raised: set[str] = set()
    snapshots: list[tuple[set[str], list[tuple[str, str]]]] = []
    since: list[tuple[str, str]] = []  # meeting events since the last facilitator action
    for step in steps:
        before = queue
        queue = apply(queue, step)
        kind, who = str(step[0]), str(step[1])
        if queue is before or queue == before:
            continue
        if kind in MEETING:
            raised = _model_effect(raised, kind, who, queue)
            since.append((kind, who))
        elif kind == "undo":
            earlier, earlier_since = snapshots.pop()
            raised = set(earlier)
            for event_kind, event_who in since:
                raised = _model_effect(raised, event_kind, event_who, queue)
            since = earlier_since + since
        else:
            snapshots.append((set(raised), since))
            since = []
            raised = _model_effect(raised, kind, who, queue)
        snapshots = snapshots[-q.UNDO_DEPTH :]
        entries = q.order(queue)
        shown = [entry.participant for entry in entries]
        assert len(shown) == len(set(shown)), "no one appears twice"
        hands = {hand.participant for hand in queue.hands}
        assert hands == raised, "every raised hand is waiting, or was served or lowered"
        assert hands <= set(shown), "every raised hand is in the queue"
        if queue.policy is Policy.FAIR_TURNS:
            free = [e for e in entries if not e.override]
            for i, earlier_entry in enumerate(free):
                for later in free[i + 1 :]:
                    assert earlier_entry.raised_at is not None
                    assert later.raised_at is not None
                    # No one waits behind someone who raised later and has spoken more.
                    assert not (
                        earlier_entry.raised_at > later.raised_at
                        and earlier_entry.turns > later.turns
                    )
        assert queue.seq > before.seq


@settings(max_examples=200, derandomize=True)
@given(st.lists(actions, max_size=25))
def test_the_queue_survives_storage(steps: list[tuple[object, ...]]) -> None:
    queue = Queue()
    for step in steps:
        queue = apply(queue, step)
    import json

    again = from_record(json.loads(json.dumps(to_record(queue))))
    assert again == queue
    assert q.order(again) == q.order(queue)


def test_next_passes_over_hands_waiting_in_a_breakout_group_and_keeps_them() -> None:
    queue = q.hand_up(Queue(), "in-group", at(1), Source.JITSI)
    queue = q.hand_up(queue, "main", at(2), Source.KEYPAD)
    queue = q.next_speaker(queue, away=frozenset({"in-group"}))
    assert queue.speaker == "main"
    assert queue.hand_of("in-group") is not None  # still first once they are back
    queue = q.next_speaker(queue, away=frozenset({"in-group"}))
    assert queue.speaker is None and queue.hand_of("in-group") is not None
    queue = q.next_speaker(queue)  # back in the main room
    assert queue.speaker == "in-group"
