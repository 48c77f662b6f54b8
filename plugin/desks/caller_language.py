"""What phone callers hear during the meeting, in the language each chose at the start of
the call (the `language` of its PhoneCall row) when a compiled catalogue for it exists,
otherwise in the service's language. Chat messages and the console stay in the service's
language. A recording is named by the English source (`prompt_id`), whatever is spoken."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from facilitation.phone.replies import prompt_id
from plugin.db.models import PhoneCall
from plugin.i18n import catalogue, has_catalogue
from plugin.phoneline import CallRef, PhoneLine, PhoneLineError, Spoken

Translate = Callable[[str], str]


class CallerLanguages:
    """A gettext function for each caller's language (catalogues: plugin.i18n.catalogue,
    loaded once per process)."""

    def __init__(self, translate: Translate) -> None:
        self.translate = translate  # the service's language: chat, console, the fallback

    def for_language(self, language: str | None) -> Translate:
        # English is the source: no catalogue needed. Another language without a compiled
        # catalogue (settings changed since the call began) falls back.
        if language and (language == "en" or has_catalogue(language)):
            return catalogue(language).gettext
        return self.translate

    def for_call(self, call: PhoneCall) -> Translate:
        return self.for_language(call.language)

    def say(self, call: PhoneCall, english: str, values: Mapping[str, str] | None = None) -> Spoken:
        """An N_-marked English sentence, translated for the call and filled with `values`."""
        text = self.for_call(call)(english)
        return Spoken(text % values if values is not None else text, prompt_id(english))


def call_ref(call: PhoneCall) -> CallRef:
    return CallRef(call.dialect, call.call_key.split(":", 1)[1])


async def speak_to_each(
    line: PhoneLine, calls: Iterable[PhoneCall], words: Callable[[PhoneCall], list[Spoken]]
) -> list[tuple[PhoneCall, PhoneLineError]]:
    """Play each call whose line can speak (the PBX kit) its own words: the failures."""
    failed: list[tuple[PhoneCall, PhoneLineError]] = []
    for call in calls:
        if not line.can_speak(call.dialect):
            continue
        try:
            await line.speak(call_ref(call), words(call))
        except PhoneLineError as exc:
            failed.append((call, exc))
    return failed
