"""Callers hear the service's language unless FACILITATE_PHONE_LANGUAGES says otherwise."""

from __future__ import annotations

import pytest

from plugin.settings import SettingsError, load_settings


def test_phone_languages_follow_the_service_language_when_not_set() -> None:
    assert load_settings(environ={}).phone_languages == ("en",)
    spanish = load_settings(environ={"FACILITATE_LANGUAGE": "es"})
    assert spanish.phone_languages == ("es",)


def test_set_phone_languages_win() -> None:
    both = load_settings(
        environ={"FACILITATE_LANGUAGE": "es", "FACILITATE_PHONE_LANGUAGES": "en,es"}
    )
    assert both.phone_languages == ("en", "es")


def test_a_language_without_a_catalogue_is_named_once() -> None:
    # The service's language is refused; callers' languages are not blamed for it.
    with pytest.raises(SettingsError) as refused:
        load_settings(environ={"FACILITATE_LANGUAGE": "cy"})
    assert "FACILITATE_LANGUAGE: no compiled translation for 'cy'" in str(refused.value)
    assert "FACILITATE_PHONE_LANGUAGES" not in str(refused.value)
    with pytest.raises(SettingsError, match="FACILITATE_PHONE_LANGUAGES"):
        load_settings(environ={"FACILITATE_PHONE_LANGUAGES": "en,cy"})
