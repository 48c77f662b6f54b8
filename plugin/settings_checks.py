"""Settings checks that span several values or look outside them, and warnings for things
that work but are probably not what a production admin wants. Kept apart from the model in
plugin.settings, which re-exports them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from plugin.i18n import has_catalogue

ENV_PREFIX = "FACILITATE_"
EXAMPLE_JITSI = "https://meet.example.org"


def env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


def cross_problems(values: Mapping[str, Any]) -> list[str]:
    """Checks that span settings or look outside them. They read the raw values, so they
    are reported together with field errors instead of after them are fixed."""
    found: list[str] = []
    if bool(values.get("jwt_app_id")) != bool(values.get("jwt_app_secret")):
        found.append(
            f"{env_name('jwt_app_id')} and {env_name('jwt_app_secret')}: set both or neither "
            "(they must match Prosody's app_id and app_secret)"
        )
    if values.get("twiml_auth_token") and not values.get("jigasi_sip_uri"):
        found.append(
            f"{env_name('jigasi_sip_uri')}: needed with {env_name('twiml_auth_token')}, "
            "to put TwiML callers through to Jigasi"
        )
    token = values.get("prosody_token")
    if token is not None and len(str(token)) < 24:
        found.append(f"{env_name('prosody_token')}: use at least 24 random characters")
    raw_jaas = values.get("jaas_secret") or ()
    jaas = raw_jaas.split(",") if isinstance(raw_jaas, str) else list(raw_jaas)
    if any(len(str(secret).strip()) < 16 for secret in jaas if str(secret).strip()):
        found.append(f"{env_name('jaas_secret')}: each secret needs at least 16 characters")
    secret = values.get("secret_key")
    if secret is not None and len(str(secret)) < 32:
        found.append(f"{env_name('secret_key')}: use at least 32 random characters")
    language = str(values.get("language", "en"))
    if language != "en" and not has_catalogue(language):
        found.append(
            f"{env_name('language')}: no compiled translation for {language!r} "
            "(see Translations in the README)"
        )
    return found


class Addresses(Protocol):
    """What the warnings read (the Settings model has these): no import of it, no circle."""

    @property
    def jitsi_url(self) -> tuple[str, ...]: ...

    @property
    def base_url(self) -> str: ...


def warnings(settings: Addresses) -> list[str]:
    """Things that work but are probably not what a production admin wants."""
    found: list[str] = []
    if EXAMPLE_JITSI in settings.jitsi_url:
        found.append(
            f"{env_name('jitsi_url')}: still the example {EXAMPLE_JITSI}; set your Jitsi address"
        )
    if (
        not settings.base_url.startswith("https://")
        and "127.0.0.1" not in settings.base_url
        and "localhost" not in settings.base_url
    ):
        found.append(f"{env_name('base_url')}: not https; cookies will not be marked Secure")
    return found
