"""Attendance from reports in any order: the merge is order-proof and repeat-proof."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from facilitation.attendance import Kind, Sighting, attendance, masked_phone_name

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


def test_phone_numbers_are_masked() -> None:
    assert masked_phone_name("+44 7700 900123") == "…123"
    assert masked_phone_name("Pat") == "Pat"
