"""The web check-out form's rules, and that it raises exactly the flags the keypad does."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from facilitation.checkout import Contact, Feeling, Level, Reason, flag_for
from facilitation.checkout_form import MAX_NOTE, FormErrors, Problem, parse_form


def test_only_the_feeling_is_required() -> None:
    form = parse_form({"feeling": "ok"}, "GB")
    assert form.answers.feeling is Feeling.OK
    assert form.answers.contact is Contact.NONE
    assert form.details.as_dict() == {}
    assert flag_for(form.answers) is None


def test_no_feeling_says_rather_not_say_is_allowed() -> None:
    with pytest.raises(FormErrors) as caught:
        parse_form({"contact": "none", "note": "hello"}, "GB")
    assert caught.value.problems == {"feeling": Problem.NO_FEELING}
    assert caught.value.values["note"] == "hello"  # nothing typed is lost


def test_rather_not_say_is_an_answer_with_no_flag() -> None:
    form = parse_form({"feeling": "rather_not_say"}, "GB")
    assert flag_for(form.answers) is None


@pytest.mark.parametrize(("field", "value"), [("feeling", "fine"), ("contact", "pigeon")])
def test_unknown_choices_are_refused(field: str, value: str) -> None:
    fields = {"feeling": "ok", field: value}
    with pytest.raises(FormErrors) as caught:
        parse_form(fields, "GB")
    assert caught.value.problems[field] is Problem.BAD_CHOICE


def test_call_me_later_needs_a_real_number_and_keeps_the_time() -> None:
    with pytest.raises(FormErrors) as caught:
        parse_form({"feeling": "ok", "contact": "call_later"}, "GB")
    assert caught.value.problems == {"phone": Problem.NO_PHONE}
    with pytest.raises(FormErrors) as caught:
        parse_form({"feeling": "ok", "contact": "call_later", "phone": "12"}, "GB")
    assert caught.value.problems == {"phone": Problem.BAD_PHONE}
    form = parse_form(
        {"feeling": "ok", "contact": "call_later", "phone": "07700 900123", "good_time": "after 6"},
        "GB",
    )
    assert form.details.as_dict() == {"phone": "+447700900123", "good_time": "after 6"}
    flag = flag_for(form.answers)
    assert flag is not None and flag.reasons == (Reason.CONTACT,)


def test_details_for_a_way_not_chosen_are_not_kept() -> None:
    form = parse_form(
        {"feeling": "good", "contact": "none", "phone": "07700 900123", "other_way": "x@y.z"}, "GB"
    )
    assert form.details.as_dict() == {}


def test_another_way_needs_saying_how() -> None:
    with pytest.raises(FormErrors) as caught:
        parse_form({"feeling": "good", "contact": "other"}, "GB")
    assert caught.value.problems == {"other_way": Problem.NO_OTHER_WAY}
    form = parse_form({"feeling": "good", "contact": "other", "other_way": "sam@example.org"}, "GB")
    assert form.details.as_dict() == {"other_way": "sam@example.org"}


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(FormErrors) as caught:
        parse_form({"contact": "call_later", "note": "x" * (MAX_NOTE + 1)}, "GB")
    assert set(caught.value.problems) == {"feeling", "phone", "note"}


def test_the_name_is_read_only_when_asked_for() -> None:
    assert parse_form({"feeling": "ok", "name": "Sam"}, "GB").name == ""
    assert parse_form({"feeling": "ok", "name": " Sam "}, "GB", ask_name=True).name == "Sam"


def test_concern_words_are_urgent_whatever_the_scale_says() -> None:
    form = parse_form({"feeling": "good", "note": "Honestly I want to END IT ALL"}, "GB")
    flag = flag_for(form.answers)
    assert flag is not None and flag.level is Level.URGENT
    assert flag.reasons == (Reason.CONCERN,)


@given(
    feeling=st.sampled_from([f.value for f in Feeling] + ["", "bad"]),
    contact=st.sampled_from([c.value for c in Contact] + ["", "bad"]),
    phone=st.text(max_size=50),
    note=st.text(max_size=60),
)
def test_any_input_gives_answers_or_named_problems(
    feeling: str, contact: str, phone: str, note: str
) -> None:
    fields = {"feeling": feeling, "contact": contact, "phone": phone, "note": note}
    problems: dict[str, Problem] | None = None
    try:
        form = parse_form(fields, "GB")
    except FormErrors as exc:
        problems = exc.problems
    feelings = {f.value for f in Feeling}
    if problems is not None:
        assert problems
        assert set(problems) <= {"feeling", "contact", "phone", "other_way"}
        assert ("feeling" in problems) == (feeling not in feelings)
        return
    assert form.answers.feeling.value == feeling
    assert form.answers.contact.value == (contact or "none")
    flag = flag_for(form.answers)
    urgent = feeling == "struggling" or (flag is not None and Reason.CONCERN in flag.reasons)
    assert (flag is not None and flag.level is Level.URGENT) == urgent


@pytest.mark.parametrize(
    ("feeling", "contact"),
    [(f, c) for f in Feeling for c in (Contact.NONE, Contact.CALL_LATER)],
)
def test_web_answers_flag_like_the_keypad(feeling: Feeling, contact: Contact) -> None:
    fields = {"feeling": feeling.value, "contact": contact.value, "phone": "+447700900123"}
    form = parse_form(fields, "GB")
    from facilitation.checkout import Answers

    assert flag_for(form.answers) == flag_for(Answers(feeling, contact))
