"""Attendance from reports in any order: the merge is order-proof and repeat-proof."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from facilitation.attendance import (
    Kind,
    Seat,
    Sighting,
    Stay,
    attendance,
    masked_phone_name,
    with_roster,
)

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


# One meeting: Ana stays throughout; Ben joins, goes to a breakout (leave + join in the same
# second) and leaves; a caller dials in; the room's final list repeats what it knows.
MEETING = [
    Sighting("circle", "ana", at(0), joined_at=at(0), name="Ana"),
    Sighting("circle", "ben", at(5), joined_at=at(5), name="Ben"),
    Sighting("circle", "ben", at(20), joined_at=at(5), left_at=at(20), name="Ben"),
    Sighting("circle", "ben", at(20), joined_at=at(20), name="Ben"),
    Sighting("circle", "ben", at(40), joined_at=at(20), left_at=at(40), name="Ben B"),
    Sighting("circle", "jigasi", at(7), joined_at=at(7), name="+44 7700 900123", kind=Kind.PHONE),
    Sighting("circle", "jigasi", at(30), joined_at=at(7), left_at=at(30)),
    Sighting("circle", "ana", at(60), joined_at=at(0), left_at=at(60), name="Ana"),
    Sighting("circle", "ben", at(60), joined_at=at(5), left_at=at(40), name="Ben B"),
]


def test_the_meeting_in_order() -> None:
    stays = attendance(MEETING)
    ana, ben, caller = (stays[("", "circle", who)] for who in ("ana", "ben", "jigasi"))
    assert (ana.joined_at, ana.left_at, ana.present) == (at(0), at(60), False)
    assert (ben.joined_at, ben.left_at, ben.name) == (at(5), at(40), "Ben B")
    assert not ben.present
    assert caller.kind is Kind.PHONE
    assert caller.minutes(at(90)) == 23


def test_a_move_to_a_breakout_room_is_still_being_there() -> None:
    stays = attendance(MEETING[1:4])
    assert stays[("", "circle", "ben")].present


@settings(max_examples=1000, deadline=None, derandomize=True, database=None)
@given(st.permutations(MEETING), st.lists(st.sampled_from(MEETING), max_size=5))
def test_any_order_and_any_repeats_give_the_same_attendance(
    order: list[Sighting], repeats: list[Sighting]
) -> None:
    assert attendance(order + repeats) == attendance(MEETING)


# Prosody reports whole seconds. Cat's whole visit falls in one second; Dan goes to a
# breakout room and the leave and the second join share a second; Eve is back in the
# breakout room's second too, then leaves for good.
SAME_SECOND = [
    Sighting("circle", "cat", at(50), joined_at=at(50), name="Cat"),
    Sighting("circle", "cat", at(50), joined_at=at(50), left_at=at(50)),
    Sighting("circle", "dan", at(10), joined_at=at(10)),
    Sighting("circle", "dan", at(25), joined_at=at(10), left_at=at(25)),
    Sighting("circle", "dan", at(25), joined_at=at(25)),
    Sighting("circle", "eve", at(10), joined_at=at(10)),
    Sighting("circle", "eve", at(25), joined_at=at(10), left_at=at(25)),
    Sighting("circle", "eve", at(25), joined_at=at(25)),
    Sighting("circle", "eve", at(35), joined_at=at(25), left_at=at(35)),
]


def test_a_visit_within_one_second_is_over() -> None:
    stays = attendance(SAME_SECOND[:2])
    assert not stays[("", "circle", "cat")].present
    assert stays[("", "circle", "cat")].minutes(at(90)) == 0


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(st.permutations(SAME_SECOND), st.lists(st.sampled_from(SAME_SECOND), max_size=5))
def test_same_second_reports_in_any_order(order: list[Sighting], repeats: list[Sighting]) -> None:
    stays = attendance(order + repeats)
    assert stays == attendance(SAME_SECOND)
    present = {who: stays[("", "circle", who)].present for who in ("cat", "dan", "eve")}
    assert present == {"cat": False, "dan": True, "eve": False}


def stay(occupant: str, name: str = "", kind: Kind = Kind.WEB, left: int | None = 30) -> Stay:
    return Stay(
        room="circle",
        tenant="",
        occupant=occupant,
        joined_at=at(1),
        last_joined_at=at(1),
        left_at=at(left) if left is not None else None,
        name=name,
        name_at=at(1) if name else None,
        kind=kind,
    )


def seat(jid: str, name: str, kind: Kind = Kind.WEB, joined: int = 1) -> Seat:
    return Seat(jid=jid, name=name, kind=kind, joined_at=at(joined), left_at=None)


ANA = "0a1b2c3d-ana@meet.example.org/Ab12Cd34"
BOT = "5e6f7a8b-bot@meet.example.org/Xy98"
CALLER = "9c0d1e2f-jigasi@meet.example.org/call"


def test_the_assistants_roster_names_unnamed_stays_and_knows_callers() -> None:
    stays = [stay(ANA), stay(BOT), stay(CALLER), stay("f00d-who@meet.example.org/x", "Kim")]
    seats = [
        seat(ANA.upper().split("/")[0] + "/other-resource", "Ana"),  # case, resource: the same
        seat(CALLER, "…123", Kind.PHONE),
        seat("f00d-who@meet.example.org/x", "Someone else"),
    ]
    found = {s.occupant: s for s in with_roster(stays, seats, [BOT], "circle")}
    assert BOT not in found  # the assistant is not a person
    assert found[ANA].name == "Ana"
    assert (found[CALLER].kind, found[CALLER].name) == (Kind.PHONE, "…123")
    assert found["f00d-who@meet.example.org/x"].name == "Kim"  # Jitsi's own name stays


def test_the_roster_adds_the_rooms_creator_jitsi_never_reported() -> None:
    creator = seat("c0ffee-creator@meet.example.org/r1", "Cleo", joined=0)
    found = with_roster([stay(ANA)], [creator, seat(BOT, "Assistant")], [BOT], "circle", "acme")
    assert [(s.occupant, s.name, s.present) for s in found] == [
        (creator.jid, "Cleo", True),
        (ANA, "", False),
    ]
    assert (found[0].room, found[0].tenant, found[0].joined_at) == ("circle", "acme", at(0))
    # With no record from Jitsi at all, there is nothing to complete.
    assert with_roster([], [creator], [BOT], "circle") == []


def test_phone_numbers_are_masked() -> None:
    assert masked_phone_name("+44 7700 900123") == "…123"
    assert masked_phone_name("Pat") == "Pat"
