"""After the meeting: who is missing a check-out, what hosts may record, the counts kept."""

from __future__ import annotations

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
    person_key,
    tally,
)


def test_a_person_who_rejoined_is_one_person() -> None:
    people = attendees([Seen("web", "Ann", 1), Seen("web", " ann ", 2), Seen("web", "Bob", 3)])
    assert [(p.name, p.participant_ids) for p in people] == [("Ann", {1, 2}), ("Bob", {3})]


def test_webhook_stays_join_the_assistants_rows_and_numbers_are_masked() -> None:
    people = attendees(
        [
            Seen("web", "Ann", 1),
            Seen("phone", "…123", 2),
            Seen("web", "Ann"),  # Jitsi's record of the same person
            Seen("phone", "+44 7700 900123"),  # Jigasi shows the full number
            Seen("web", "Cy"),  # only Jitsi saw Cy (the assistant was not there yet)
            Seen("web", ""),  # unnamed and unknown: cannot be followed up
            Seen("web", "Facilitation assistant", 9),
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
    people = attendees([Seen("web", "", 4), Seen("web", "", 5)])
    assert [p.key for p in people] == ["row:4", "row:5"]


def test_missing_is_whoever_has_no_check_out_under_any_row_or_name() -> None:
    people = attendees(
        [Seen("web", "Ann", 1), Seen("web", "Ann", 2), Seen("web", "Bob", 3), Seen("web", "Cy")]
    )
    absent = missing(people, checked_ids=[2], checked_keys=[person_key("web", "CY", None)])
    assert [p.name for p in absent] == ["Bob"]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["web", "phone"]),
            st.sampled_from(["Ann", "Bob", "", "+447700900123"]),
            st.integers(1, 20),
        ),
        max_size=30,
    ),
    st.sets(st.integers(1, 20)),
)
def test_missing_never_lists_someone_who_checked_out(
    rows: list[tuple[str, str, int]], done: set[int]
) -> None:
    people = attendees([Seen(kind, name, pid) for kind, name, pid in rows])
    absent = missing(people, done, [])
    for person in absent:
        assert not person.participant_ids & done
    keys = [p.key for p in people]
    assert len(keys) == len(set(keys))  # each person once


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
