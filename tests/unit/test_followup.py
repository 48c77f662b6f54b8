"""After the meeting: who is missing a check-out, what hosts may record, the counts kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from facilitation.followup import (
    MAX_HOST_NOTE,
    NoteTooLong,
    NothingToSave,
    Seen,
    Status,
    attendees,
    check_action,
    missing,
    tally,
)


def _at(minute: int) -> datetime:
    return datetime(2026, 11, 23, 10, 0, tzinfo=UTC) + timedelta(minutes=minute)


def test_a_person_who_left_and_came_back_is_one_person() -> None:
    people = attendees(
        [
            Seen("web", "Ann", 1, _at(0), _at(10)),
            Seen("web", " ann ", 2, _at(12), None),
            Seen("web", "Bob", 3, _at(0), None),
        ]
    )
    assert [(p.name, p.participant_ids) for p in people] == [("Ann", {1, 2}), ("Bob", {3})]


def test_two_people_with_the_same_name_at_the_same_time_are_two_people() -> None:
    people = attendees(
        [
            Seen("web", "Guest", 1, _at(0), None),
            Seen("web", "Guest", 2, _at(5), _at(30)),
            Seen("web", "Guest", None, _at(0), None),  # Jitsi's record of each
            Seen("web", "Guest", None, _at(5), _at(30)),
        ]
    )
    assert [p.participant_ids for p in people] == [{1}, {2}]
    assert [p.name for p in missing(people, checked_ids=[1])] == ["Guest"]
    two_only_jitsi_saw = attendees(
        [Seen("web", "Guest", None, _at(0), None), Seen("web", "Guest", None, _at(1), None)]
    )
    assert len(two_only_jitsi_saw) == 2


def test_webhook_stays_join_the_assistants_rows_and_numbers_are_masked() -> None:
    people = attendees(
        [
            Seen("web", "Ann", 1, _at(0), None),
            Seen("phone", "…123", 2, _at(0), None),
            Seen("web", "Ann", None, _at(0), None),  # Jitsi's record of the same person
            Seen("phone", "+44 7700 900123", None, _at(0), None),  # Jigasi shows the number
            Seen("web", "Cy", None, _at(3), None),  # only Jitsi saw Cy
            Seen("web", "", None, _at(0), None),  # unnamed and unknown: cannot be followed up
            Seen("web", "Facilitation assistant", 9, _at(0), None),
        ],
        leave_out=["Facilitation assistant"],
    )
    assert [(p.key, p.name) for p in people] == [
        ("web:ann", "Ann"),
        ("phone:…123", "…123"),
        ("web:cy", "Cy"),
    ]
    assert all("7700" not in p.name for p in people)


def test_unnamed_people_the_assistant_saw_count_separately() -> None:
    people = attendees([Seen("web", "", 4, _at(0)), Seen("web", "", 5, _at(0))])
    assert [p.key for p in people] == ["row:4", "row:5"]


def test_missing_is_whoever_has_no_check_out_under_any_connection() -> None:
    people = attendees(
        [
            Seen("web", "Ann", 1, _at(0), _at(5)),
            Seen("web", "Ann", 2, _at(6), None),
            Seen("web", "Bob", 3, _at(0), None),
        ]
    )
    assert [p.name for p in missing(people, checked_ids=[2])] == ["Bob"]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["web", "phone"]),
            st.sampled_from(["Ann", "Bob", "", "+447700900123"]),
            st.integers(1, 20),
            st.integers(0, 60),
            st.one_of(st.none(), st.integers(0, 60)),
        ),
        max_size=30,
        unique_by=lambda row: row[2],
    ),
    st.sets(st.integers(1, 20)),
)
def test_missing_never_lists_someone_who_checked_out(
    rows: list[tuple[str, str, int, int, int | None]], done: set[int]
) -> None:
    seen = [
        Seen(kind, name, pid, _at(start), _at(start + length) if length is not None else None)
        for kind, name, pid, start, length in rows
    ]
    people = attendees(seen)
    for person in missing(people, done):
        assert not person.participant_ids & done
    keys = [p.key for p in people]
    assert len(keys) == len(set(keys))  # each person once
    every_id = [pid for p in people for pid in p.participant_ids]
    assert sorted(every_id) == sorted(pid for _, _, pid, _, _ in rows)  # nobody lost or doubled


def test_host_actions() -> None:
    assert check_action(Status.OPEN, Status.CONTACTED, "") == ""
    assert check_action(Status.OPEN, Status.OPEN, "  rang, no answer \r\n") == "rang, no answer"
    with pytest.raises(NothingToSave):
        check_action(Status.OPEN, Status.OPEN, "   ")
    with pytest.raises(NoteTooLong):
        check_action(Status.OPEN, Status.RESOLVED, "x" * (MAX_HOST_NOTE + 1))


def test_tally_counts_without_content() -> None:
    counts = tally(
        [None, "urgent", "flag", None],
        [("urgent", ["struggling"]), ("flag", ["contact_requested"]), ("flag", ["no_checkout"])],
    )
    assert counts.as_dict() == {"checked_out": 4, "ok": 2, "flagged": 2, "urgent": 1, "missing": 1}


def test_a_call_seen_twice_at_once_is_one_caller() -> None:
    people = attendees(
        [
            Seen("phone", "…789", 1, _at(0), None),  # the call's own row
            Seen("phone", "…789", 2, _at(1), None),  # Jigasi's participant, masked
        ]
    )
    assert [p.participant_ids for p in people] == [{1, 2}]
