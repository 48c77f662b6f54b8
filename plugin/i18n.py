"""gettext catalogues (Babel). English is the source language and needs no catalogue."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.support import NullTranslations, Translations

from facilitation.i18n import N_

__all__ = ["LOCALE_DIR", "N_", "catalogue", "has_catalogue", "load_translations"]

LOCALE_DIR = Path(__file__).with_name("locale")


@lru_cache(maxsize=16)
def catalogue(language: str) -> NullTranslations:
    """A language's translations, loaded once per process."""
    return load_translations(language)


def load_translations(language: str) -> NullTranslations:
    if language == "en":
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [language, "en"], domain="messages")


def has_catalogue(language: str) -> bool:
    return (LOCALE_DIR / language / "LC_MESSAGES" / "messages.mo").is_file()
