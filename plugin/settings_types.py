"""Value types of the settings model: each checks one setting on its own and says what is
wrong in words an admin can act on. Kept apart from the model in plugin.settings."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, SecretStr

from plugin.i18n import has_catalogue
from plugin.security.standard_webhooks import decode_secret
from plugin.settings_checks import env_name

# An XMPP localpart (RFC 7622 3.3.1 forbids these characters in it).
_XMPP_NAME = re.compile(r"[^\s\"&'/:<>@]{1,1023}")
_DOMAIN = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*")
# A SIP header name (RFC 3261 token characters, kept to what PBXs pass on).
_HEADER = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,63}")


def _domain(value: str) -> str:
    if not _DOMAIN.fullmatch(value):
        raise ValueError(f"must be a bare XMPP domain such as meet.jitsi, got {value!r}")
    return value.lower()


def listening_url(host: object, port: object, wildcard: str = "localhost") -> str:
    """http://HOST:PORT for the address the service listens on; a wildcard host becomes
    `wildcard` (the admin sets FACILITATE_BASE_URL for anything public). A port that is not
    a number is left for its own check to report."""
    name = str(host or "127.0.0.1").strip()
    if name in ("0.0.0.0", "::", ""):  # noqa: S104 - reading the setting, not binding
        name = wildcard
    elif ":" in name and not name.startswith("["):
        name = f"[{name}]"  # an IPv6 address
    number = str(port if port is not None else 8080).strip()
    return f"http://{name}:{number if number.isascii() and number.isdigit() else 8080}"


def _base_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"must be an http(s) URL such as https://facilitate.example.org, got {value!r}"
        )
    return value.rstrip("/")


def _websocket_url(value: str) -> str:
    if urlsplit(value).scheme not in ("ws", "wss"):
        raise ValueError(f"must start with wss:// (or ws:// for local tests), got {value!r}")
    return value


def _database_url(value: str) -> str:
    scheme = value.split(":", 1)[0]
    if scheme.split("+")[0] not in ("sqlite", "postgresql", "postgres"):
        raise ValueError("use sqlite:///path/to/file.db or postgresql://user@host/dbname")
    if scheme.startswith("sqlite") and value.rstrip("/").endswith((":", ":memory:")):
        raise ValueError("SQLite needs a file (sqlite:///path/to/file.db): data must survive")
    return value


def _sip_uri(value: str) -> str:
    if not re.fullmatch(r"sips?:[^\s<>\"]+@[^\s<>\"]+", value):
        raise ValueError(f"must be a SIP URI such as sip:jigasi@jigasi.example.org, got {value!r}")
    return value


def _room_header(value: str) -> str:
    if not _HEADER.fullmatch(value):
        raise ValueError(
            "a SIP header name such as Jitsi-Conference-Room (Jigasi's default) or "
            f"X-Room-Name (docker-jitsi-meet's), got {value!r}"
        )
    return value


def _polls_style(value: str) -> str:
    style = value.strip().lower()
    if style not in ("auto", "component", "room"):
        raise ValueError(
            "one of auto (ask Jitsi), component (polls.DOMAIN, docker-jitsi-meet "
            f"stable-10532 and later) or room (earlier releases), got {value!r}"
        )
    return style


def _xmpp_username(value: str) -> str:
    if "@" in value:
        raise ValueError(
            "give the name only (e.g. facilitation); the domain goes in "
            f"{env_name('xmpp_auth_domain')}"
        )
    if not _XMPP_NAME.fullmatch(value):
        raise ValueError(
            "an XMPP user name of 1 to 1023 characters, without spaces or any of \" & ' / : < >"
        )
    return value


def _log_level(value: str) -> str:
    if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ValueError("one of DEBUG, INFO, WARNING, ERROR")
    return value.upper()


def _email(value: str) -> str:
    value = value.strip()
    local, at, domain = value.rpartition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in value):
        raise ValueError(f"must be an email address such as alerts@example.org, got {value!r}")
    return value


def _smtp_security(value: str) -> str:
    if value.lower() not in ("starttls", "tls", "none"):
        raise ValueError("one of starttls (port 587), tls (port 465) or none (a local relay)")
    return value.lower()


def _mail_host(value: str) -> str:
    value = value.strip().lower()
    if not value or len(value) > 253 or not all(c.isalnum() or c in ".-:" for c in value):
        raise ValueError(f"must be a host name or address such as smtp.example.org, got {value!r}")
    return value


def _time_zone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"not a time zone name such as Europe/London, got {value!r}") from None
    return value


def _webhook_secret(value: SecretStr) -> SecretStr:
    decode_secret(value.get_secret_value())  # its message says what is wrong
    return value


def _existing_file(value: Path) -> Path:
    if not value.is_file():
        raise ValueError(f"no such file: {value}")
    return value


def _long_token(value: SecretStr) -> SecretStr:
    if len(value.get_secret_value()) < 24:
        raise ValueError("use at least 24 random characters")
    return value


Domain = Annotated[str, AfterValidator(_domain)]
WebhookSecret = Annotated[SecretStr, AfterValidator(_webhook_secret)]
ExistingFile = Annotated[Path, AfterValidator(_existing_file)]


def _existing_dir(value: Path) -> Path:
    if not value.is_dir():
        raise ValueError(f"{value} is not a folder")
    return value


ExistingDir = Annotated[Path, AfterValidator(_existing_dir)]
LongToken = Annotated[SecretStr, AfterValidator(_long_token)]
TimeZone = Annotated[str, AfterValidator(_time_zone)]
Email = Annotated[str, AfterValidator(_email)]
SmtpSecurity = Annotated[str, AfterValidator(_smtp_security)]
MailHost = Annotated[str, AfterValidator(_mail_host)]
BaseUrl = Annotated[str, AfterValidator(_base_url)]
WebSocketUrl = Annotated[str, AfterValidator(_websocket_url)]
DatabaseUrl = Annotated[str, AfterValidator(_database_url)]
SipUri = Annotated[str, AfterValidator(_sip_uri)]
RoomHeader = Annotated[str, AfterValidator(_room_header)]
PollsStyle = Annotated[str, AfterValidator(_polls_style)]
XmppUsername = Annotated[str, AfterValidator(_xmpp_username)]
LogLevel = Annotated[str, AfterValidator(_log_level)]


def _phone_languages(value: tuple[str, ...]) -> tuple[str, ...]:
    if not value:
        raise ValueError("give at least one language, e.g. en")
    if len(value) > 9:
        raise ValueError("at most 9 languages: callers choose one with a single key")
    missing = [code for code in value if code != "en" and not has_catalogue(code)]
    if missing:
        raise ValueError(f"no compiled translation for {', '.join(missing)}")
    return value


# Languages callers choose from with one key, each with a compiled catalogue.
PhoneLanguages = Annotated[tuple[str, ...], AfterValidator(_phone_languages)]
