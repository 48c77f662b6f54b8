"""gettext catalogues (Babel). English is the source language and needs no catalogue."""

from __future__ import annotations

from pathlib import Path

from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).with_name("locale")


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


def load_translations(language: str) -> NullTranslations:
    if language == "en":
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [language, "en"], domain="messages")


def has_catalogue(language: str) -> bool:
    return (LOCALE_DIR / language / "LC_MESSAGES" / "messages.mo").is_file()
