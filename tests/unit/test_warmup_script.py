"""What callers are told about a warm-up (facilitation.warmups.script): the sentences for
each format, their values, and that every sentence is in the translation template."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

from facilitation.warmups import (
    Energy,
    Format,
    Sentence,
    WarmUp,
    keypad_instructions,
    parse_catalogue,
    please_press,
)

ROOT = Path(__file__).resolve().parents[2]


def warmup(form: Format, options: tuple[str, ...] = (), answer: int | None = None) -> WarmUp:
    return WarmUp(
        id="example",
        title="Example",
        prompt="Which?",
        format=form,
        options=options,
        minutes=2,
        group_min=2,
        group_max=40,
        keypad=form is not Format.CHAT_PROMPT,
        camera_off=True,
        no_disclosure=True,
        energy=Energy.CALM,
        answer=answer,
    )


def spoken(sentences: tuple[Sentence, ...]) -> list[str]:
    return [text % values for text, values in sentences]


def test_choice_names_each_key_then_pass() -> None:
    script = keypad_instructions(warmup(Format.CHOICE, ("Tea", "Coffee", "Hot chocolate")))
    assert script == (
        ("Press %(key)s for %(option)s.", {"key": "1", "option": "Tea"}),
        ("Press %(key)s for %(option)s.", {"key": "2", "option": "Coffee"}),
        ("Press %(key)s for %(option)s.", {"key": "3", "option": "Hot chocolate"}),
        ("Press 0 to pass.", {}),
    )
    assert spoken(script) == [
        "Press 1 for Tea.",
        "Press 2 for Coffee.",
        "Press 3 for Hot chocolate.",
        "Press 0 to pass.",
    ]


def test_would_you_rather_is_two_keys_then_pass() -> None:
    script = keypad_instructions(warmup(Format.WOULD_YOU_RATHER, ("Fly", "Swim")))
    assert spoken(script) == ["Press 1 for Fly.", "Press 2 for Swim.", "Press 0 to pass."]


def test_scale_names_both_ends() -> None:
    script = keypad_instructions(warmup(Format.SCALE, ("Not at all", "I love it")))
    assert script == (
        ("Press 1 for %(low)s, up to 5 for %(high)s.", {"low": "Not at all", "high": "I love it"}),
        ("Press 0 to pass.", {}),
    )


def test_guess_go_round_and_chat() -> None:
    assert keypad_instructions(warmup(Format.GUESS, answer=8)) == (
        ("Press a number from 1 to 9.", {}),
        ("Press 0 to pass.", {}),
    )
    assert keypad_instructions(warmup(Format.GO_ROUND)) == (
        ("When it is your turn, say your answer, or press 0 to pass.", {}),
    )
    assert keypad_instructions(warmup(Format.CHAT_PROMPT)) == (
        ("Type your answer in the chat. Start with your name if you want it shown.", {}),
    )


def test_please_press() -> None:
    assert please_press(3) == ("Please press 1 to %(n)s, or 0 to pass.", {"n": "3"})
    assert spoken((please_press(9),)) == ["Please press 1 to 9, or 0 to pass."]


def test_every_shipped_warmup_has_a_script_with_its_choices() -> None:
    for path in sorted((ROOT / "plugin" / "catalogue" / "warmups").glob("*.toml")):
        for item in parse_catalogue(path.read_text(encoding="utf-8"), path.name):
            script = keypad_instructions(item)
            assert script
            if item.format in (Format.CHOICE, Format.WOULD_YOU_RATHER):
                assert len(script) == len(item.choices) + 1
            if item.is_vote:
                assert script[-1] == ("Press 0 to pass.", {})


def test_the_sentences_and_the_catalogue_texts_are_in_the_template() -> None:
    with (ROOT / "plugin" / "locale" / "messages.pot").open("rb") as handle:
        template = {str(m.id) for m in read_po(handle) if m.id}
    sentences = {
        text for form in Format for text, _ in keypad_instructions(warmup(form, ("A", "B"), 5))
    }
    assert sentences | {please_press(2)[0]} <= template
    assert {"Tea or coffee?", "Which do you like more on a cold day?", "Hot chocolate"} <= template
