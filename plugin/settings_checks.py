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


def _alert_problems(values: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    if values.get("smtp_host") and not values.get("smtp_from"):
        found.append(
            f"{env_name('smtp_from')}: needed with {env_name('smtp_host')}, as the alerts' "
            "sender address"
        )
    if bool(values.get("smtp_username")) != bool(values.get("smtp_password")):
        found.append(
            f"{env_name('smtp_username')} and {env_name('smtp_password')}: set both or neither"
        )
    host = str(values.get("smtp_host") or "")
    local = host in ("localhost", "127.0.0.1", "::1")
    if values.get("smtp_password") and values.get("smtp_security") == "none" and not local:
        found.append(
            f"{env_name('smtp_security')}: none would send the SMTP password in clear to "
            f"{host}; use starttls or tls"
        )
    if bool(values.get("alert_webhook_url")) != bool(values.get("alert_webhook_secret")):
        found.append(
            f"{env_name('alert_webhook_url')} and {env_name('alert_webhook_secret')}: set "
            "both or neither (make a secret with: facilitate pbx-secret)"
        )
    if bool(values.get("pbx_actions_url")) != bool(values.get("pbx_actions_secret")):
        found.append(
            f"{env_name('pbx_actions_url')} and {env_name('pbx_actions_secret')}: set "
            "both or neither (make a secret with: facilitate pbx-secret)"
        )
    if values.get("voice_account_sid") and not values.get("twiml_auth_token"):
        found.append(
            f"{env_name('voice_account_sid')} needs {env_name('twiml_auth_token')}: the "
            "provider's auth token signs its requests and our calls to its API"
        )
    return found


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
    header = str(values.get("jigasi_room_header", "X-Room-Name"))
    if values.get("twiml_auth_token") and not header.startswith("X-"):
        found.append(
            f"{env_name('jigasi_room_header')}: a TwiML provider passes on only headers that "
            "start with X-; set X-Room-Name here and in Jigasi's account property "
            "JITSI_MEET_ROOM_HEADER_NAME"
        )
    found.extend(_account_problems(values))
    found.extend(_alert_problems(values))
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


def _account_problems(values: Mapping[str, Any]) -> list[str]:
    """The assistant's XMPP account: name and password together, and one way to sign in."""
    user, password = env_name("xmpp_username"), env_name("xmpp_password")
    has_user, has_password = bool(values.get("xmpp_username")), bool(values.get("xmpp_password"))
    if has_user != has_password:
        return [f"{user} and {password}: set both or neither (the assistant's Jitsi account)"]
    if values.get("xmpp_auth_domain") and not has_user:
        return [f"{env_name('xmpp_auth_domain')}: only used with {user} and {password}; set them"]
    if has_user and values.get("jwt_app_id"):
        return [
            f"{user} and {env_name('jwt_app_id')}: choose one way for the assistant to sign in "
            "(an account with internal auth, or a token with JWT auth)"
        ]
    return []


class Addresses(Protocol):
    """What the warnings read (the Settings model has these): no import of it, no circle."""

    @property
    def jitsi_url(self) -> tuple[str, ...]: ...

    @property
    def base_url(self) -> str: ...

    @property
    def xmpp_auth_domain(self) -> str | None: ...


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
    if (settings.xmpp_auth_domain or "").startswith("auth."):
        # docker-jitsi-meet's XMPP_AUTH_DOMAIN holds Jicofo's and the bridge's accounts;
        # Jicofo makes moderators only of users on XMPP_DOMAIN.
        found.append(
            f"{env_name('xmpp_auth_domain')}: {settings.xmpp_auth_domain} looks like Jitsi's "
            "internal domain for Jicofo and the videobridge; an account there is not made a "
            "moderator. Use the domain people log in on (docker-jitsi-meet: XMPP_DOMAIN)"
        )
    return found
