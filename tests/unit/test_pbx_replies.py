"""The PBX dialect (webhooks.pbx): the JSON replies a dialplan follows."""

from __future__ import annotations

import json
from typing import Any

import pytest

from facilitation import phone
from facilitation.phone import CallState, Connect, Gather, Hangup, Reply, Say, Step
from facilitation.phone.replies import prompt_id
from webhooks import pbx

ROOM = "catchup@muc.meet.jitsi"
HEADER = "X-Room-Name"


# --- Reply -----------------------------------------------------------------------------


def english(language: str, text: str) -> str:
    return text


def render(reply: Reply | None, translate: Any = english) -> dict[str, Any]:
    return pbx.render(reply, translate=translate, room_header=HEADER)


def spoken(*says: Say) -> list[dict[str, str]]:
    return [
        {
            "text": s.text % s.values if s.values else s.text,
            "prompt": prompt_id(s.text),
            "language": "en",
        }
        for s in says
    ]


def test_render_nothing() -> None:
    assert render(None) == {"action": "none"}


def test_render_gather_from_the_start_of_a_call() -> None:
    reply = phone.start(("en",), 7).reply
    assert render(reply) == {
        "action": "gather",
        "language": "en",
        "say": [
            {
                "text": "Welcome to the meeting line.",
                "prompt": prompt_id(phone.WELCOME.text),
                "language": "en",
            },
            {
                "text": "Please type the meeting PIN, then press the hash key.",
                "prompt": prompt_id(phone.ASK_PIN.text),
                "language": "en",
            },
        ],
        "max_digits": 8,
        "timeout_seconds": 10,
    }


def test_render_connect() -> None:
    state = CallState(Step.PIN, "en")
    outcome = phone.press(
        state, "1234567#", languages=("en",), pin_length=7, lookup=lambda pin: ROOM
    )
    assert outcome.reply is not None
    assert isinstance(outcome.reply.then, Connect)
    assert render(outcome.reply) == {
        "action": "connect",
        "language": "en",
        "say": spoken(phone.CONNECTING),
        "room": ROOM,
        "sip_headers": {HEADER: ROOM},
    }


def test_render_hangup() -> None:
    reply = Reply((phone.GOODBYE,), Hangup(), "en")
    assert render(reply) == {
        "action": "hangup",
        "language": "en",
        "say": [
            {
                "text": "Thank you for coming. Take care. Goodbye.",
                "prompt": prompt_id(phone.GOODBYE.text),
                "language": "en",
            }
        ],
    }


def test_render_hangup_with_nothing_to_say() -> None:
    assert render(Reply((), Hangup(), "en")) == {"action": "hangup", "language": "en", "say": []}


def test_render_uses_the_translation_and_applies_values() -> None:
    calls: list[tuple[str, str]] = []

    def translate(language: str, text: str) -> str:
        calls.append((language, text))
        if language == "cy" and text == phone.CHOOSE_LANGUAGE:
            return "Ar gyfer %(language)s, pwyswch %(key)s."
        return f"[{language}] " + text

    reply = phone.start(("cy", "en"), 7).reply
    assert reply is not None
    assert render(reply, translate) == {
        "action": "gather",
        "language": "cy",
        "say": [
            {
                "text": "Ar gyfer Cymraeg, pwyswch 1.",
                "prompt": prompt_id(phone.CHOOSE_LANGUAGE),
                "language": "cy",
            },
            {
                "text": "[en] For English, press 2.",
                "prompt": prompt_id(phone.CHOOSE_LANGUAGE),
                "language": "en",
            },
        ],
        "max_digits": 1,
        "timeout_seconds": 10,
    }
    # Each choice is offered in its own language.
    assert calls == [("cy", phone.CHOOSE_LANGUAGE), ("en", phone.CHOOSE_LANGUAGE)]


def test_render_pin_help_fills_in_the_length() -> None:
    outcome = phone.press(
        CallState(Step.PIN, "en"), "99#", languages=("en",), pin_length=7, lookup=lambda pin: None
    )
    body = render(outcome.reply)
    assert body["say"][0]["text"].startswith("Sorry, that PIN did not work. The PIN is the 7 digit")
    assert body["say"][0]["prompt"] == prompt_id(phone.PIN_HELP.text)


def test_a_broken_translation_falls_back_to_english() -> None:
    say = Say(phone.CHOOSE_LANGUAGE, {"language": "English", "key": "1"})
    reply = Reply((say,), Gather(1), "xx")
    body = render(reply, lambda language, text: "Pour %(langue)s, appuyez %(key)s.")
    assert body["say"][0]["text"] == "For English, press 1."


def test_a_percent_in_a_translation_without_values_is_left_alone() -> None:
    reply = Reply((phone.GOODBYE,), Hangup(), "xx")
    assert render(reply, lambda language, text: "100 % merci")["say"][0]["text"] == "100 % merci"


def test_render_is_json() -> None:
    reply = phone.start(("en", "cy"), 7).reply
    assert json.loads(json.dumps(render(reply))) == render(reply)


def test_render_refuses_a_bad_room_header() -> None:
    with pytest.raises(ValueError, match="room_header"):
        pbx.render(None, translate=english, room_header="Room: x")


def test_a_pbx_may_use_jigasis_default_room_header() -> None:
    reply = Reply((), Connect("circle@conference.meet.jitsi"), "en")
    body = pbx.render(reply, translate=english, room_header="Jitsi-Conference-Room")
    assert body["sip_headers"] == {"Jitsi-Conference-Room": "circle@conference.meet.jitsi"}


# --- Prompt ids ------------------------------------------------------------------------


def test_prompt_id_is_the_first_six_words_and_a_short_hash() -> None:
    assert prompt_id(phone.WELCOME.text).startswith("welcome-to-the-meeting-line-")
    assert prompt_id(phone.ASK_PIN.text).startswith("please-type-the-meeting-pin-then-")
    assert prompt_id(phone.CHOOSE_LANGUAGE).startswith("for-language-press-key-")
    for text in (phone.WELCOME.text, phone.CHOOSE_LANGUAGE):
        assert len(prompt_id(text).rsplit("-", 1)[1]) == 6
    assert prompt_id("...") == prompt_id("...")  # no words: just the hash
    assert len(prompt_id("...")) == 6


def test_prompt_ids_are_stable_and_distinct() -> None:
    texts = {value.text for value in vars(phone).values() if isinstance(value, Say)}
    texts.add(phone.CHOOSE_LANGUAGE)
    ids = {prompt_id(text) for text in texts}
    assert len(ids) == len(texts)
    # PIN_HELP and LOCKED_OUT share their first six words; the hash keeps them apart.
    assert prompt_id(phone.PIN_HELP.text) != prompt_id(phone.LOCKED_OUT.text)
    assert prompt_id("Welcome to the meeting line.") == "welcome-to-the-meeting-line-637513"
    for prompt in ids:
        assert prompt.replace("-", "").isalnum()
        assert prompt.isascii()
        assert prompt == prompt.lower()
