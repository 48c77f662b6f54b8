"""The words for one phone call: its own language's catalogue, loaded once; English as the
source; the service's language for a language without a compiled catalogue (the settings
refuse such a language in FACILITATE_PHONE_LANGUAGES, but a call keeps the language it
began with, and a catalogue can go missing), and for a call with none."""

from __future__ import annotations

import pytest

from facilitation.phone.replies import prompt_id
from plugin import i18n
from plugin.db.models import PhoneCall
from plugin.desks.caller_language import CallerLanguages
from plugin.i18n import has_catalogue, load_translations

WARNING = "Two minutes left in your groups."
NEXT = "You are next, after %(now)s."
SPANISH = load_translations("es").gettext


def call(language: str) -> PhoneCall:
    return PhoneCall(call_key="pbx:ast-1", dialect="pbx", step="meeting", language=language)


def test_a_spanish_call_hears_the_spanish_catalogue_named_by_the_english() -> None:
    voices = CallerLanguages(str)  # the service in English
    said = voices.say(call("es"), NEXT, {"now": "Ann"})
    assert said.text == SPANISH(NEXT) % {"now": "Ann"}
    assert said.text != "You are next, after Ann."
    assert said.prompt == prompt_id(NEXT)
    assert voices.say(call("en"), NEXT, {"now": "Ann"}).text == "You are next, after Ann."


def test_english_is_the_source_even_when_the_service_speaks_spanish() -> None:
    voices = CallerLanguages(SPANISH)
    assert voices.for_call(call("en"))(WARNING) == WARNING
    assert voices.for_call(call("es"))(WARNING) == SPANISH(WARNING) != WARNING


@pytest.mark.parametrize("language", ["xx", "pt-BR", ""])
def test_without_a_catalogue_the_call_hears_the_service_language(language: str) -> None:
    assert not has_catalogue(language)
    voices = CallerLanguages(SPANISH)  # FACILITATE_LANGUAGE=es
    said = voices.say(call(language), WARNING)
    assert said.text == SPANISH(WARNING) != WARNING
    assert said.prompt == prompt_id(WARNING)
    assert voices.for_language(None) is voices.translate


def test_each_catalogue_is_loaded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded: list[str] = []

    def counting(language: str) -> object:
        loaded.append(language)
        return load_translations(language)

    monkeypatch.setattr(i18n, "load_translations", counting)
    i18n.catalogue.cache_clear()  # the process-wide cache: count from empty
    voices = CallerLanguages(str)
    for _ in range(3):
        voices.say(call("es"), WARNING)
        voices.say(call("en"), WARNING)
        voices.say(call("xx"), WARNING)
    assert sorted(loaded) == ["en", "es"]
    i18n.catalogue.cache_clear()  # nothing counted stays behind for other tests
