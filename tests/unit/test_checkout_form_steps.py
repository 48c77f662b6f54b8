"""The check-out's steps: each answer checked on its own, what is saved after a step, and
the follow-up fields each contact answer needs."""

from __future__ import annotations

import pytest

from facilitation.checkout import Contact, Feeling
from facilitation.checkout_form import (
    FormErrors,
    Problem,
    answers_so_far,
    details_for,
    parse_contact,
    parse_feeling,
    parse_form,
    same_as_saved,
)

CALLED = {
    "feeling": "not_sure",
    "contact": "call_later",
    "phone": "+447700900123",
    "good_time": "mornings",
    "note": "hello",
    "name": "Sam",
}


@pytest.mark.parametrize(
    ("raw", "problem"), [("", Problem.NO_FEELING), ("fine", Problem.BAD_CHOICE)]
)
def test_the_feeling_step_needs_one_of_the_answers(raw: str, problem: Problem) -> None:
    assert parse_feeling({"feeling": "rather_not_say"}) is Feeling.RATHER_NOT_SAY
    with pytest.raises(FormErrors) as caught:
        parse_feeling({"feeling": raw, "change": "1"})
    assert caught.value.problems == {"feeling": problem}
    assert caught.value.values["change"] == "1"  # the page keeps what it carried


@pytest.mark.parametrize(
    ("raw", "problem"), [("", Problem.NO_CONTACT), ("pigeon", Problem.BAD_CHOICE)]
)
def test_the_contact_step_has_no_default(raw: str, problem: Problem) -> None:
    assert parse_contact({"contact": "none"}) is Contact.NONE
    with pytest.raises(FormErrors) as caught:
        parse_contact({"contact": raw})
    assert caught.value.problems == {"contact": problem}


def test_each_answer_has_its_own_follow_up() -> None:
    assert details_for("call_later") == ("phone", "good_time")
    assert details_for("other") == ("other_way",)
    assert details_for("none") == details_for("chat_now") == details_for("pigeon") == ()


def test_details_of_an_answer_not_chosen_are_not_even_read() -> None:
    form = parse_form({"feeling": "ok", "contact": "chat_now", "phone": "x" * 500}, "GB")
    assert form.answers.contact is Contact.CHAT_NOW and form.details.as_dict() == {}
    with pytest.raises(FormErrors) as caught:
        parse_form({"feeling": "ok", "contact": "call_later", "phone": "x" * 500}, "GB")
    assert caught.value.problems == {"phone": Problem.TOO_LONG}


def test_a_new_feeling_keeps_what_was_saved() -> None:
    form = answers_so_far(CALLED, {"feeling": "good"}, "GB", ask_name=True)
    assert form.answers.feeling is Feeling.GOOD
    assert form.answers.contact is Contact.CALL_LATER and form.answers.note == "hello"
    assert form.details.as_dict() == {"phone": "+447700900123", "good_time": "mornings"}
    assert form.name == "Sam"


def test_a_new_contact_answer_drops_the_old_details() -> None:
    form = answers_so_far(CALLED, {"feeling": "not_sure", "contact": "chat_now"}, "GB")
    assert form.answers.contact is Contact.CHAT_NOW and form.details.as_dict() == {}
    assert form.answers.note == "hello"


def test_saved_answers_that_no_longer_fit_give_way_to_the_step() -> None:
    saved = {**CALLED, "note": "x" * 5000}  # e.g. written under an older, bigger limit
    form = answers_so_far(saved, {"feeling": "struggling"}, "GB")
    assert form.answers.feeling is Feeling.STRUGGLING
    assert form.answers.contact is Contact.NONE and form.answers.note == ""


def test_same_as_saved() -> None:
    form = parse_form(CALLED, "GB", ask_name=True)
    assert same_as_saved(CALLED, form, "GB", ask_name=True)
    other = parse_form({**CALLED, "good_time": "evenings"}, "GB", ask_name=True)
    assert not same_as_saved(CALLED, other, "GB", ask_name=True)
    assert not same_as_saved({}, form, "GB")  # nothing saved yet
