"""The flag rules shared by the web form and the phone keypad (facilitation.checkout)."""

from __future__ import annotations

import pytest

from facilitation.checkout import (
    Answers,
    Contact,
    Feeling,
    Level,
    Reason,
    flag_for,
    mentions_concern,
    time_left,
)


@pytest.mark.parametrize(
    ("answers", "level", "reasons"),
    [
        (Answers(Feeling.GOOD), None, ()),
        (Answers(Feeling.OK), None, ()),
        (Answers(Feeling.RATHER_NOT_SAY), None, ()),
        (Answers(Feeling.NOT_SURE), Level.FLAG, (Reason.NOT_SURE,)),
        (Answers(Feeling.STRUGGLING), Level.URGENT, (Reason.STRUGGLING,)),
        (Answers(Feeling.OK, Contact.CALL_LATER), Level.FLAG, (Reason.CONTACT,)),
        (
            Answers(Feeling.STRUGGLING, Contact.CALL_LATER),
            Level.URGENT,
            (Reason.STRUGGLING, Reason.CONTACT),
        ),
        (Answers(Feeling.GOOD, note="I feel unsafe at home"), Level.URGENT, (Reason.CONCERN,)),
    ],
)
def test_rules(answers: Answers, level: Level | None, reasons: tuple[Reason, ...]) -> None:
    flag = flag_for(answers)
    if level is None:
        assert flag is None
    else:
        assert flag is not None
        assert flag.level is level
        assert flag.reasons == reasons


@pytest.mark.parametrize(
    "text",
    [
        "Sometimes I want to END  MY LIFE",
        "thinking of self harm",
        "I can\u2019t go on",
        "Self-Harm",
    ],
)
def test_concern_phrases_ignore_case_spacing_hyphens_and_apostrophes(text: str) -> None:
    assert mentions_concern(text)


@pytest.mark.parametrize(
    "text", ["", "the meeting was unsafely long", "great session", "kill time"]
)
def test_no_concern(text: str) -> None:
    assert not mentions_concern(text)


def test_configured_phrases() -> None:
    assert mentions_concern("I am in crisis", ["in crisis"])
    assert not mentions_concern("I am in crisis", ["unsafe"])


def test_time_left_never_rounds_a_fresh_72_hour_link_down_to_2_days() -> None:
    assert time_left(72 * 3600 - 5) == (3, 72)  # just sent: "the next 3 days"
    assert time_left(48 * 3600 + 1) == (2, 49)
    assert time_left(47 * 3600) == (1, 47)  # under 2 days: shown in hours
    assert time_left(59) == (0, 1)
    assert time_left(-10) == (0, 1)
