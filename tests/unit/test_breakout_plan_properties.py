"""Breakout plans under hypothesis: every plan sound whatever the people, rules and changes,
and dealing keeps its promises (examples in test_breakout_plan.py, whose helpers these use)."""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from facilitation.breakouts import plan as bp
from facilitation.breakouts.plan import (
    Member,
    Method,
    Mode,
    PlanError,
    ProblemCode,
    Request,
    make_plan,
)
from facilitation.meeting_events import PersonKind
from tests.unit.test_breakout_plan import (
    check,
    open_sizes,
    phone_counts,
    spread,
)

WEB, PHONE = PersonKind.WEB, PersonKind.PHONE


# Strategies built once: people as (kind, rank) with rank 0 a facilitator, and everything
# else as indices into them (an index past the end is someone who has left).
PEOPLE = st.lists(
    st.tuples(st.sampled_from([WEB, WEB, PHONE]), st.integers(0, 4)), min_size=1, max_size=20
)
INDEX = st.integers(0, 21)
SETS = st.lists(st.lists(INDEX, min_size=2, max_size=3), max_size=3)
PAIRS = st.lists(st.tuples(INDEX, INDEX), max_size=4)
CHOICES = st.dictionaries(INDEX, st.integers(0, 9), max_size=6)


@st.composite
def setups(
    draw: st.DrawFn,
    methods: tuple[Method, ...] = tuple(Method),
    modes: tuple[Mode, ...] = tuple(Mode),
    together: bool = True,
    apart: bool = True,
) -> tuple[list[Member], Request]:
    """People and a request the rules accept (errors are tested by example)."""
    mode = draw(st.sampled_from(modes))
    people = [
        Member(f"m{i}", f"M{i}", kind, rank == 0) for i, (kind, rank) in enumerate(draw(PEOPLE))
    ]
    while sum(m.kind is WEB for m in people) < 2:
        people.append(Member(f"m{len(people)}", "Extra", WEB))

    def who(index: int) -> str:
        return f"m{index}" if index < len(people) else "gone"

    spreadable = len(people) if mode is Mode.CALLS else sum(m.kind is WEB for m in people)
    by_count = draw(st.booleans())
    size = draw(st.integers(1, min(spreadable, 8) if by_count else 6))
    request = Request(
        method=draw(st.sampled_from(methods)),
        mode=mode,
        together=tuple(frozenset(map(who, s)) for s in draw(SETS)) if together else (),
        apart=tuple((who(a), who(b)) for a, b in draw(PAIRS)) if apart else (),
        choices={who(i): n for i, n in draw(CHOICES).items()},
        seed=draw(st.integers(0, 2**32)),
        groups=size if by_count else None,
        per_group=None if by_count else size,
    )
    return people, request


@settings(max_examples=200, derandomize=True, deadline=None)
@given(setups())
def test_every_plan_is_sound_and_the_seed_decides(setup: tuple[list[Member], Request]) -> None:
    people, request = setup
    plan = make_plan(people, request)
    check(plan)
    assert make_plan(people, request) == plan
    if request.method in (Method.RANDOM, Method.BALANCED):
        for wanted in plan.together:
            dealt = {p for p in wanted if not plan.group_of(p).main_room}  # type: ignore[union-attr]
            assert len({plan.group_of(p) for p in dealt}) <= 1, "a together-set stays together"
    if request.method is Method.HAND:
        assert all(not g.members for g in plan.groups if not g.main_room)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(setups(methods=(Method.RANDOM, Method.BALANCED), together=False, apart=False), st.data())
def test_dealing_keeps_its_promises(
    setup: tuple[list[Member], Request], data: st.DataObject
) -> None:
    """Sizes within one; balanced: callers within one, and as many groups led as can be.
    One pair asked to be apart is always kept apart: by a swap that costs nothing when one
    can, else by moving one of them, which may leave a group one larger (or one more
    caller) than the promise."""
    people, request = setup
    movable = [m.id for m in people if request.mode is Mode.CALLS or m.kind is WEB]
    first, second = data.draw(st.tuples(INDEX, INDEX).filter(lambda p: p[0] != p[1]))
    pair = [movable[first % len(movable)], movable[second % len(movable)]]
    if pair[0] == pair[1]:
        pair[1] = next(p for p in movable if p != pair[0])
    with_pair = data.draw(st.booleans())
    if with_pair:
        request = replace(request, apart=((pair[0], pair[1]),))
    plan = make_plan(people, request)
    slack = 2 if with_pair else 1
    open_groups = [g for g in plan.groups if not g.main_room]
    assert spread(open_sizes(plan)) <= slack
    if with_pair and len(open_groups) >= 2:
        assert plan.group_of(pair[0]) != plan.group_of(pair[1])
        assert not any(p.code is ProblemCode.APART_NOT_KEPT for p in plan.problems())
    if request.method is Method.RANDOM:
        return
    led = [g for g in plan.groups if g.facilitator is not None]
    if request.mode is Mode.CALLS:
        assert spread(phone_counts(plan)) <= slack
        assert len(led) == min(sum(m.facilitator for m in people), len(plan.groups))
        return
    room = next((g for g in plan.groups if g.main_room), None)
    stayed = room.members if room else ()
    spare = [m for m in people if m.facilitator and m.kind is WEB and m.id not in stayed]
    assert sum(g.facilitator is not None for g in open_groups) == min(len(spare), len(open_groups))
    if room is not None and room.facilitator is None:
        assert not any(m.facilitator and m.kind is PHONE for m in people)


@settings(max_examples=150, derandomize=True, deadline=None)
@given(
    setups(),
    st.lists(
        st.tuples(
            st.sampled_from(["late", "leave"]),
            st.integers(0, 30),
            st.sampled_from([WEB, PHONE]),
            st.booleans(),
        ),
        max_size=12,
    ),
)
def test_late_joiners_and_leavers_keep_the_plan_sound(
    setup: tuple[list[Member], Request], steps: list[tuple[str, int, PersonKind, bool]]
) -> None:
    """Random keeps sizes within one, and balanced (in separate calls) keeps callers within
    one, while nobody leaves to unbalance them."""
    people, request = setup
    plan = make_plan(people, request)
    dealt = request.method in (Method.RANDOM, Method.BALANCED) and not plan.together
    for kind, n, person_kind, lead in steps:
        if kind == "late":
            plan = bp.place_late(plan, Member(f"m{n}", "Late", person_kind, lead))
        else:
            dealt = dealt and plan.member(f"m{n}") is None
            plan = bp.remove(plan, f"m{n}")
        check(plan)
        if dealt and request.method is Method.RANDOM:
            assert spread(open_sizes(plan)) <= 1
        if dealt and request.method is Method.BALANCED and request.mode is Mode.CALLS:
            assert spread(phone_counts(plan)) <= 1
    assert all(len(s) > 1 and all(plan.member(p) for p in s) for s in plan.together)
    assert all(plan.member(a) and plan.member(b) for a, b in plan.apart)


OPS = st.tuples(
    st.sampled_from(["move", "choose", "remove", "lead", "rename"]),
    st.integers(0, 30),
    st.one_of(st.none(), st.integers(0, 10)),
)


@settings(max_examples=150, derandomize=True, deadline=None)
@given(setups(), st.lists(OPS, max_size=15))
def test_any_facilitator_changes_keep_the_plan_sound(
    setup: tuple[list[Member], Request], ops: list[tuple[str, int, int | None]]
) -> None:
    plan = make_plan(*setup)
    for op, n, number in ops:
        person = f"m{n}"
        with contextlib.suppress(PlanError):  # refused changes leave the plan as it was
            if op == "move":
                plan = bp.move(plan, person, number)
            elif op == "choose":
                plan = bp.choose(plan, person, number or 1)
            elif op == "remove":
                plan = bp.remove(plan, person)
            elif op == "lead":
                plan = bp.set_facilitator(plan, number or 1, person if n % 3 else None)
            else:
                plan = bp.rename(plan, number or 1, f"Group {n}")
        check(plan)
    for code in Counter(p.code for p in plan.problems()):
        assert code in ProblemCode
