"""Breakout plans and rounds as JSON-safe records (facilitation.breakouts.record): any
plan or round survives storage, and a damaged record says what is wrong."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facilitation.breakouts import plan as bp
from facilitation.breakouts.plan import Member, Method, Mode, Plan, Request, make_plan
from facilitation.breakouts.record import (
    plan_from_record,
    plan_to_record,
    round_from_record,
    round_to_record,
)
from facilitation.breakouts.timer import Round, extend, mark_warned, start
from facilitation.meeting_events import PersonKind

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
JSON_TYPES = (str, int, bool, list, dict, type(None))


def json_safe(value: object) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and json_safe(v) for k, v in value.items())
    if isinstance(value, list):
        return all(json_safe(item) for item in value)
    return isinstance(value, JSON_TYPES)


def sample_plan() -> Plan:
    people = [
        Member("a", "Ann", PersonKind.WEB, True),
        Member("b", "Bob"),
        Member("c", "Cy"),
        Member("d", "Dee"),
        Member("p", "Pat", PersonKind.PHONE),
    ]
    request = Request(
        Method.BALANCED,
        Mode.JITSI,
        groups=2,
        together=(frozenset({"c", "d"}),),
        apart=(("b", "c"),),
        names=("Garden",),
        seed=3,
    )
    return make_plan(people, request)


def test_a_plan_is_stored_as_plain_json() -> None:
    plan = sample_plan()
    record = plan_to_record(plan)
    assert json_safe(record)
    assert record["groups"][-1]["main_room"] is True  # type: ignore[index]
    assert record["together"] == [["c", "d"]]
    assert plan_from_record(json.loads(json.dumps(record))) == plan


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    kinds = draw(st.lists(st.sampled_from(list(PersonKind)), min_size=2, max_size=12))
    people = [Member(f"m{i}", f"Person {i}", kind, i % 3 == 0) for i, kind in enumerate(kinds)]
    people += [Member("w1", "Web one"), Member("w2", "Web two")]
    ids = [m.id for m in people]
    request = Request(
        method=draw(st.sampled_from(list(Method))),
        mode=draw(st.sampled_from(list(Mode))),
        groups=draw(st.integers(1, 2)),
        together=tuple(
            draw(st.lists(st.frozensets(st.sampled_from(ids), min_size=2, max_size=3), max_size=2))
        ),
        apart=tuple(
            draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), max_size=2))
        ),
        names=tuple(draw(st.lists(st.sampled_from(["", "Garden", "Ünïcode ✓"]), max_size=3))),
        seed=draw(st.integers(0, 2**40)),
    )
    plan = make_plan(people, request)
    for person in draw(st.lists(st.sampled_from(ids), max_size=3)):
        plan = bp.remove(plan, person)
    return plan


@settings(max_examples=100, derandomize=True, deadline=None)
@given(plans())
def test_any_plan_survives_storage(plan: Plan) -> None:
    record = plan_to_record(plan)
    assert json_safe(record)
    assert plan_from_record(json.loads(json.dumps(record))) == plan


@settings(max_examples=100, derandomize=True, deadline=None)
@given(
    st.integers(1, 180),
    st.integers(-720, 840),
    st.lists(st.sampled_from([120, 30]), max_size=2),
    st.integers(0, 60),
)
def test_any_round_survives_storage(
    minutes: int, offset: int, warned: list[int], extra: int
) -> None:
    zone = timezone(timedelta(minutes=offset))
    round_ = start(T0.astimezone(zone) + timedelta(microseconds=7), minutes)
    for threshold in warned:
        round_ = mark_warned(round_, threshold)
    if extra:
        round_ = extend(round_, extra, T0)
    record = round_to_record(round_)
    assert json_safe(record)
    again = round_from_record(json.loads(json.dumps(record)))
    assert again == round_
    assert again.ends_at.utcoffset() == round_.ends_at.utcoffset()


def broken(change: dict[str, object]) -> dict[str, object]:
    return {**plan_to_record(sample_plan()), **change}


@pytest.mark.parametrize(
    ("record", "words"),
    [
        (broken({"mode": "teleport"}), "not a known Mode"),
        (broken({"method": 3}), "'method' should be str"),
        (broken({"seed": True}), "'seed' should be int"),
        (broken({"people": "everyone"}), "'people' should be list"),
        (broken({"people": [["a"]]}), "a person should be an object"),
        (broken({"groups": [{"number": 1}]}), "'name' should be str"),
        (broken({"waiting": [1]}), "list of ids"),
        (broken({"apart": [["a"]]}), "two ids"),
        (broken({"together": ["ab"]}), "a together-set"),
        (broken({"waiting": ["a"]}), "two places"),
        (broken({"people": []}), "exactly its people"),
        (broken({"groups": []}), "exactly its people"),
    ],
)
def test_a_damaged_plan_record_says_what_is_wrong(record: dict[str, object], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        plan_from_record(record)


def test_a_plan_record_with_a_lead_outside_the_group_is_refused() -> None:
    record = plan_to_record(sample_plan())
    groups = record["groups"]
    assert isinstance(groups, list)
    groups[0]["facilitator"] = "p"
    with pytest.raises(ValueError, match="facilitator is not one of its members"):
        plan_from_record(record)
    groups[0]["facilitator"] = 7
    with pytest.raises(ValueError, match="an id or null"):
        plan_from_record(record)


def test_a_plan_record_must_be_an_object() -> None:
    with pytest.raises(ValueError, match="should be an object"):
        plan_from_record([])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("record", "words"),
    [
        (
            {"opened_at": "2026-11-23T10:00:00+00:00", "ends_at": "soon", "warned": []},
            "not an ISO 8601",
        ),
        (
            {
                "opened_at": "2026-11-23T10:00:00",
                "ends_at": "2026-11-23T10:05:00+00:00",
                "warned": [],
            },
            "no time zone",
        ),
        (
            {
                "opened_at": "2026-11-23T10:00:00+00:00",
                "ends_at": "2026-11-23T10:05:00+00:00",
                "warned": [60],
            },
            "only",
        ),
        (
            {
                "opened_at": "2026-11-23T10:00:00+00:00",
                "ends_at": "2026-11-23T10:05:00+00:00",
                "warned": [True],
            },
            "only",
        ),
        (
            {"opened_at": "2026-11-23T10:00:00+00:00", "ends_at": "2026-11-23T10:05:00+00:00"},
            "'warned' should be list",
        ),
        ({"ends_at": "2026-11-23T10:05:00+00:00", "warned": []}, "'opened_at' should be str"),
    ],
)
def test_a_damaged_round_record_says_what_is_wrong(record: dict[str, object], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        round_from_record(record)


def test_a_round_record_keeps_warnings_in_order() -> None:
    record = {
        "opened_at": T0.isoformat(),
        "ends_at": (T0 + timedelta(minutes=5)).isoformat(),
        "warned": [30, 120],
    }
    assert round_from_record(record) == Round(T0, T0 + timedelta(minutes=5), (120, 30))
