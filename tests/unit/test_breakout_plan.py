"""Breakout planning (facilitation.breakouts.plan): each method and mode by example, and
every PlanError. The invariants under hypothesis are in test_breakout_plan_properties.py."""

from __future__ import annotations

import pytest

from facilitation.breakouts import plan as bp
from facilitation.breakouts.plan import (
    MAX_GROUPS,
    Member,
    Method,
    Mode,
    Plan,
    PlanError,
    Problem,
    ProblemCode,
    Request,
    Route,
    make_plan,
)
from facilitation.meeting_events import PersonKind

WEB, PHONE = PersonKind.WEB, PersonKind.PHONE


def web(pid: str, *, lead: bool = False) -> Member:
    return Member(pid, pid.title(), WEB, lead)


def phone(pid: str, *, lead: bool = False) -> Member:
    return Member(pid, pid.title(), PHONE, lead)


def crowd(webs: int, phones: int = 0, leads: int = 0) -> list[Member]:
    people = [web(f"w{i}", lead=i < leads) for i in range(webs)]
    return people + [phone(f"p{i}") for i in range(phones)]


def members(plan: Plan) -> list[tuple[str, ...]]:
    return [g.members for g in plan.groups]


def check(plan: Plan) -> None:
    """What holds for every plan, whatever made or changed it."""
    ids = [m.id for m in plan.people]
    assert len(ids) == len(set(ids))
    placed = [p for g in plan.groups for p in g.members] + list(plan.waiting)
    assert len(placed) == len(set(placed)), "nobody twice, nobody both placed and waiting"
    assert set(placed) == set(ids), "everyone somewhere, and nobody the plan does not know"
    numbers = [g.number for g in plan.groups]
    assert len(numbers) == len(set(numbers))
    for group in plan.groups:
        assert group.facilitator is None or group.facilitator in group.members
    rooms = [g for g in plan.groups if g.main_room]
    if plan.mode is Mode.CALLS:
        assert not rooms
        return
    assert len(rooms) <= 1
    for member in plan.people:
        if member.kind is PHONE:
            where = plan.group_of(member.id)
            assert where is None or where.main_room, "a caller can only be in the main room"


def open_sizes(plan: Plan) -> list[int]:
    return [len(g.members) for g in plan.groups if not g.main_room]


def phone_counts(plan: Plan) -> list[int]:
    kinds = {m.id: m.kind for m in plan.people}
    return [sum(kinds[p] is PHONE for p in g.members) for g in plan.groups]


def spread(values: list[int]) -> int:
    return max(values) - min(values) if values else 0


# --- examples ---------------------------------------------------------------------------


def test_random_deals_round_robin_and_the_seed_decides() -> None:
    request = Request(Method.RANDOM, Mode.CALLS, groups=3, seed=7)
    plan = make_plan(crowd(10), request)
    assert sorted(open_sizes(plan)) == [3, 3, 4]
    assert plan.waiting == ()
    assert make_plan(crowd(10), request) == plan
    others = {
        tuple(members(make_plan(crowd(10), Request(Method.RANDOM, Mode.CALLS, groups=3, seed=s))))
        for s in range(5)
    }
    assert len(others) > 1


def test_per_group_rounds_the_number_of_groups_up() -> None:
    plan = make_plan(crowd(10), Request(Method.RANDOM, Mode.CALLS, per_group=4))
    assert len(plan.groups) == 3
    assert [g.number for g in plan.groups] == [1, 2, 3]


def test_jitsi_mode_keeps_callers_in_the_main_room_with_a_web_facilitator() -> None:
    people = [phone("pf", lead=True), *crowd(6, phones=2, leads=2)]
    plan = make_plan(people, Request(Method.BALANCED, Mode.JITSI, groups=2))
    room = plan.groups[-1]
    assert room.main_room and room.number == 3
    assert room.facilitator == "w0", "a web facilitator is preferred for the phone group"
    assert set(room.members) == {"w0", "pf", "p0", "p1"}
    assert [g.facilitator for g in plan.groups[:2]].count("w1") == 1
    assert plan.route("w0") is Route.STAYS_MAIN
    assert plan.route("p0") is Route.STAYS_MAIN
    assert plan.route("w2") is Route.JITSI_MOVE
    unled = next(g for g in plan.groups if g.facilitator is None)
    assert plan.problems() == (Problem(ProblemCode.NO_FACILITATOR, unled.number),)


def test_jitsi_mode_without_callers_has_no_main_room_group() -> None:
    plan = make_plan(crowd(4, leads=1), Request(Method.RANDOM, Mode.JITSI, groups=2))
    assert not any(g.main_room for g in plan.groups)


def test_a_phone_facilitator_leads_the_phone_group_when_no_web_one_can() -> None:
    people = [web("a", lead=True), web("b"), phone("pf", lead=True), phone("p")]
    plan = make_plan(people, Request(Method.BALANCED, Mode.JITSI, groups=2))
    room = plan.groups[-1]
    assert room.facilitator == "pf", "both web people are needed for the two groups"
    assert open_sizes(plan) == [1, 1]


def test_a_phone_group_without_any_facilitator_is_a_problem() -> None:
    plan = make_plan(crowd(4, phones=1), Request(Method.RANDOM, Mode.JITSI, groups=2))
    assert plan.problems() == (Problem(ProblemCode.PHONE_GROUP_NO_FACILITATOR, 3),)


def test_calls_mode_spreads_callers_and_routes_by_phone_line_or_chat_link() -> None:
    plan = make_plan(crowd(4, phones=4), Request(Method.BALANCED, Mode.CALLS, groups=4))
    assert phone_counts(plan) == [1, 1, 1, 1]
    assert plan.route("p0") is Route.PHONE_LINE
    assert plan.route("w0") is Route.CHAT_LINK


def test_balanced_spreads_facilitators_first_and_extras_like_everyone() -> None:
    plan = make_plan(crowd(9, leads=4), Request(Method.BALANCED, Mode.CALLS, groups=3))
    leads = [g.facilitator for g in plan.groups]
    assert sorted(leads) == ["w0", "w1", "w2"]  # type: ignore[type-var]
    assert plan.problems() == ()


def test_balanced_keeps_together_sets_and_merges_overlapping_ones() -> None:
    together = (frozenset({"w0", "w1"}), frozenset({"w1", "w2", "gone"}), frozenset({"x"}))
    plan = make_plan(crowd(8), Request(Method.BALANCED, Mode.CALLS, groups=3, together=together))
    group = plan.group_of("w0")
    assert group is not None and {"w1", "w2"} <= set(group.members)
    assert plan.together == (frozenset({"w0", "w1", "w2"}),)


def test_apart_pairs_are_kept_and_unknown_ones_ignored() -> None:
    apart = (("w0", "w1"), ("w1", "w0"), ("w0", "gone"), ("w3", "w3"))
    for seed in range(20):
        plan = make_plan(
            crowd(3), Request(Method.BALANCED, Mode.CALLS, groups=2, apart=apart, seed=seed)
        )
        assert plan.apart == (("w0", "w1"),)
        assert plan.group_of("w0") != plan.group_of("w1")


def test_an_apart_pair_in_one_group_is_a_problem() -> None:
    plan = make_plan(crowd(4), Request(Method.HAND, Mode.CALLS, groups=2, apart=(("w0", "w1"),)))
    plan = bp.move(bp.move(plan, "w0", 1), "w1", 1)
    assert Problem(ProblemCode.APART_NOT_KEPT, 1, ("w0", "w1")) in plan.problems()


def test_by_hand_starts_with_named_empty_groups_and_everyone_waiting() -> None:
    request = Request(Method.HAND, Mode.CALLS, groups=3, names=("  Garden ", "", "Roof", "Extra"))
    plan = make_plan(crowd(5, phones=1), request)
    assert [g.name for g in plan.groups] == ["Garden", "", "Roof"]
    assert members(plan) == [(), (), ()]
    assert plan.waiting == ("w0", "w1", "w2", "w3", "w4", "p0")
    assert plan.route("w0") is Route.WAITING
    assert {p.code for p in plan.problems()} == {ProblemCode.EMPTY_GROUP}


def test_choose_applies_the_valid_picks_and_the_rest_wait() -> None:
    choices = {"w0": 2, "w1": 9, "p0": 1, "gone": 1, "w2": 3}
    request = Request(Method.CHOOSE, Mode.JITSI, groups=2, choices=choices)
    plan = make_plan(crowd(4, phones=1), request)
    assert members(plan) == [(), ("w0",), ("p0", "w2")], "w2 chose the phone group (3)"
    assert plan.waiting == ("w1", "w3")


def test_the_lead_for_the_phone_group_has_not_chosen_a_group() -> None:
    people = crowd(4, phones=1, leads=2)
    plan = make_plan(people, Request(Method.CHOOSE, Mode.JITSI, groups=2, choices={"w0": 1}))
    assert plan.groups[-1].facilitator == "w1"
    assert plan.group(1).members == ("w0",)


def test_people_listed_twice_count_once() -> None:
    plan = make_plan([web("a"), web("a"), web("b")], Request(Method.RANDOM, Mode.CALLS, groups=2))
    assert [m.id for m in plan.people] == ["a", "b"]


@pytest.mark.parametrize(
    ("people", "request_", "words"),
    [
        ([], Request(Method.RANDOM, Mode.CALLS, groups=1), "nobody"),
        (crowd(3), Request(Method.RANDOM, Mode.CALLS), "how many"),
        (crowd(3), Request(Method.RANDOM, Mode.CALLS, groups=2, per_group=2), "not both"),
        (crowd(3), Request(Method.RANDOM, Mode.CALLS, groups=0), "from 1 to 50"),
        (crowd(60), Request(Method.RANDOM, Mode.CALLS, groups=MAX_GROUPS + 1), "from 1 to 50"),
        (crowd(3), Request(Method.RANDOM, Mode.CALLS, per_group=0), "at least 1"),
        (crowd(3), Request(Method.HAND, Mode.CALLS, groups=4), r"more groups \(4\)"),
        (crowd(2, phones=5), Request(Method.RANDOM, Mode.JITSI, groups=3), "on the web"),
        (crowd(0, phones=3), Request(Method.RANDOM, Mode.JITSI, groups=1), "on the phone"),
        (crowd(60), Request(Method.RANDOM, Mode.CALLS, per_group=1), "60 groups"),
        (crowd(3), Request(Method.HAND, Mode.CALLS, groups=2, names=("x" * 61,)), "too long"),
        (crowd(3), Request(Method.HAND, Mode.CALLS, groups=2, names=("", "a\nb")), "one line"),
    ],
)
def test_plan_errors_say_what_is_wrong(people: list[Member], request_: Request, words: str) -> None:
    with pytest.raises(PlanError, match=words):
        make_plan(people, request_)


def test_moves_and_picks() -> None:
    plan = make_plan(crowd(4, phones=1, leads=2), Request(Method.BALANCED, Mode.JITSI, groups=2))
    lead_group = next(g for g in plan.groups if g.facilitator == "w1")
    plan = bp.move(plan, "w1", None)
    assert plan.group(lead_group.number).facilitator is None, "moving the lead out clears it"
    assert plan.waiting == ("w1",)
    assert plan.route("w1") is Route.WAITING
    plan = bp.choose(plan, "w1", 3)
    assert plan.group(3).members[-1] == "w1"
    assert plan.route("w1") is Route.STAYS_MAIN
    assert bp.move(plan, "w1", 3) == plan
    plan = bp.move(plan, "p0", None)
    plan = bp.move(plan, "p0", 3)
    with pytest.raises(PlanError, match="on the phone"):
        bp.move(plan, "p0", 1)
    with pytest.raises(PlanError, match="on the phone"):
        bp.choose(plan, "p0", 2)
    with pytest.raises(PlanError, match="no group 7"):
        bp.move(plan, "w2", 7)
    with pytest.raises(PlanError, match="not in the breakout plan"):
        bp.choose(plan, "nobody", 1)
    with pytest.raises(PlanError, match="not in the breakout plan"):
        plan.route("nobody")
    with pytest.raises(PlanError, match="no group 0"):
        plan.group(0)


def test_remove_takes_someone_out_everywhere() -> None:
    request = Request(
        Method.BALANCED,
        Mode.JITSI,
        groups=2,
        together=(frozenset({"w1", "w2"}),),
        apart=(("w0", "p0"),),
    )
    plan = make_plan(crowd(4, phones=1, leads=2), request)
    assert plan.groups[-1].facilitator == "w1", "w0 is kept apart from the caller"
    plan = bp.remove(plan, "w1")
    assert plan.groups[-1].facilitator is None
    assert plan.together == ()
    plan = bp.remove(plan, "w0")
    assert plan.apart == ()
    assert bp.remove(plan, "w0") == plan
    check(plan)


def test_rename_checks_the_name() -> None:
    plan = make_plan(crowd(2), Request(Method.HAND, Mode.CALLS, groups=2))
    assert bp.rename(plan, 1, "  Kitchen table ").group(1).name == "Kitchen table"
    assert bp.rename(plan, 2, "é" * 60).group(2).name == "é" * 60
    for bad, words in (("   ", "needs a name"), ("x" * 61, "too long"), ("a\tb", "one line")):
        with pytest.raises(PlanError, match=words):
            bp.rename(plan, 1, bad)
    with pytest.raises(PlanError, match="no group 3"):
        bp.rename(plan, 3, "Roof")


def test_set_facilitator_needs_a_member_of_the_group() -> None:
    plan = make_plan(crowd(2), Request(Method.HAND, Mode.CALLS, groups=2))
    plan = bp.move(plan, "w0", 1)
    plan = bp.set_facilitator(plan, 1, "w0")
    assert plan.group(1).facilitator == "w0"
    assert bp.set_facilitator(plan, 1, None).group(1).facilitator is None
    with pytest.raises(PlanError, match="W1 is not in group 1"):
        bp.set_facilitator(plan, 1, "w1")
    with pytest.raises(PlanError, match="not in the breakout plan"):
        bp.set_facilitator(plan, 1, "nobody")


def test_late_joiners_follow_the_plans_rule() -> None:
    plan = make_plan(crowd(5), Request(Method.RANDOM, Mode.JITSI, groups=2))
    assert bp.place_late(plan, web("w0")) == plan
    later = bp.place_late(plan, phone("p9", lead=True))
    room = later.groups[-1]
    assert room == bp.Group(3, "", ("p9",), "p9", main_room=True)
    later = bp.place_late(later, web("w9"))
    assert sorted(open_sizes(later)) == [3, 3]
    assert later == bp.place_late(bp.place_late(plan, phone("p9", lead=True)), web("w9"))
    by_hand = make_plan(crowd(3), Request(Method.HAND, Mode.CALLS, groups=2))
    assert bp.place_late(by_hand, web("w9")).waiting[-1] == "w9"


def test_no_facilitator_problems_only_when_there_is_a_facilitator() -> None:
    plan = make_plan(crowd(4), Request(Method.RANDOM, Mode.CALLS, groups=2))
    assert plan.problems() == ()
    plan = bp.place_late(plan, web("f", lead=True))
    codes = [p.code for p in plan.problems()]
    assert codes == [ProblemCode.NO_FACILITATOR]
