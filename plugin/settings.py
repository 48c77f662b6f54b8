"""One validated settings object, read from a TOML file and `FACILITATE_*` variables.

Environment variables win over the file. Every problem is reported at once, named by
the variable an admin would set, so `facilitate check` can print them all.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from facilitation.checkout import DEFAULT_CONCERN_PHRASES
from facilitation.dialin import (
    DEFAULT_COUNTRY,
    MAX_PIN_DIGITS,
    MIN_PIN_DIGITS,
    DialInNumber,
    parse_numbers,
)
from facilitation.meeting_link import JitsiBase
from plugin.i18n import has_catalogue
from plugin.settings_checks import ENV_PREFIX, EXAMPLE_JITSI, cross_problems, env_name
from plugin.settings_types import (
    BaseUrl,
    DatabaseUrl,
    Domain,
    Email,
    ExistingDir,
    ExistingFile,
    LogLevel,
    LongToken,
    MailHost,
    PhoneLanguages,
    PollsStyle,
    RoomHeader,
    SipUri,
    SmtpSecurity,
    TimeZone,
    WebhookSecret,
    WebSocketUrl,
    XmppUsername,
    listening_url,
)


@lru_cache(maxsize=8)
def _parse_bases(urls: tuple[str, ...]) -> tuple[JitsiBase, ...]:
    # Keyed on the URLs themselves, so a model_copy with new URLs never sees stale bases.
    return tuple(JitsiBase.parse(url) for url in urls)


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    database_url: DatabaseUrl = "sqlite:///facilitation.db"
    data_dir: Path = Path("data")
    secret_key: SecretStr | None = None
    # Unset: worked out from host and port (see _derive_base_url).
    base_url: BaseUrl = "http://127.0.0.1:8080"
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8080
    # Several instances (PostgreSQL only): how the others reach this one directly (unset:
    # http://<host>:<port>, with 127.0.0.1 for 0.0.0.0), and how long a meeting's lease
    # lasts without a heartbeat before another instance takes the meeting over.
    instance_url: BaseUrl | None = None
    lease_seconds: Annotated[float, Field(ge=3, le=120)] = 15.0
    # Processes serving one port (PostgreSQL only): each is an instance of its own.
    workers: Annotated[int, Field(ge=1, le=64)] = 1
    jitsi_url: tuple[str, ...] = (EXAMPLE_JITSI,)
    xmpp_domain: Domain = "meet.jitsi"
    muc_domain: Domain = "muc.meet.jitsi"
    xmpp_websocket_url: WebSocketUrl | None = None
    focus_domain: Domain | None = None
    use_focus: bool = True
    breakout_domain: Domain | None = None
    polls_domain: Domain | None = None
    # How Jitsi runs polls: "auto" asks it (disco#info on the XMPP domain), "component"
    # or "room" forces one (see plugin/jitsi/polls.py).
    polls_style: PollsStyle = "auto"
    bot_enabled: bool | None = None
    bot_display_name: Annotated[str, Field(min_length=1, max_length=60)] = "Facilitation assistant"
    xmpp_ping_seconds: Annotated[float, Field(ge=1, le=600)] = 60.0
    xmpp_ping_timeout_seconds: Annotated[float, Field(ge=1, le=120)] = 20.0
    reconnect_max_seconds: Annotated[float, Field(ge=1, le=600)] = 60.0
    rejoin_grace_seconds: Annotated[float, Field(ge=0, le=3600)] = 120.0
    breakout_move_grace_seconds: Annotated[float, Field(ge=0.5, le=120)] = 10.0
    jwt_app_id: str | None = None
    jwt_app_secret: SecretStr | None = None
    jwt_audience: Annotated[str, Field(min_length=1, max_length=200)] = "jitsi"
    # An XMPP account for the assistant (Jitsi's internal auth makes logged-in users
    # moderators); it lives on xmpp_auth_domain, or on xmpp_domain when that is unset.
    xmpp_username: XmppUsername | None = None
    xmpp_password: SecretStr | None = None
    xmpp_auth_domain: Domain | None = None
    prosody_token: SecretStr | None = None
    # Bearer token for /metrics and the detailed /healthz; unset: loopback only.
    metrics_token: LongToken | None = None
    jaas_secret: tuple[SecretStr, ...] = ()
    webhook_max_body_bytes: Annotated[int, Field(ge=1024, le=16 * 1024 * 1024)] = 1024 * 1024
    webhook_tolerance_seconds: Annotated[int, Field(ge=10, le=3600)] = 300
    webhook_keep_hours: Annotated[int, Field(ge=72, le=24 * 3650)] = 72
    jigasi_users: tuple[str, ...] = ("jigasi",)
    # Like Jicofo's jicofo.jigasi.trusted-domains: when set, the Jigasi feature in presence
    # marks a phone caller only from these domains; empty trusts it from any domain.
    jigasi_trusted_domains: tuple[Domain, ...] = ()
    dial_in_region: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = DEFAULT_COUNTRY
    dial_in_numbers: tuple[str, ...] = ()
    pin_digits: Annotated[int, Field(ge=MIN_PIN_DIGITS, le=MAX_PIN_DIGITS)] = 7
    pin_keep_days: Annotated[int, Field(ge=1, le=3650)] = 90
    jigasi_sip_uri: SipUri | None = None
    jigasi_room_header: RoomHeader = "X-Room-Name"
    twiml_auth_token: SecretStr | None = None
    pbx_webhook_secret: tuple[WebhookSecret, ...] = ()
    phone_languages: PhoneLanguages = ("en",)  # FACILITATE_LANGUAGE when not set
    retention_days: Annotated[int, Field(ge=1, le=3650)] = 90
    checkout_link_hours: Annotated[int, Field(ge=1, le=24 * 30)] = 72
    checkout_wait_minutes: Annotated[int, Field(ge=1, le=7 * 24 * 60)] = 60
    session_max_hours: Annotated[int, Field(ge=1, le=7 * 24)] = 12
    concern_phrases: tuple[Annotated[str, Field(min_length=3, max_length=80)], ...] = ()
    checkout_help: Annotated[str, Field(max_length=300)] = ""
    behind_proxy: bool = False
    max_body_bytes: Annotated[int, Field(ge=1024, le=10 * 1024 * 1024)] = 64 * 1024
    login_max_failures: Annotated[int, Field(ge=1, le=100)] = 5
    login_window_minutes: Annotated[int, Field(ge=1, le=1440)] = 15
    login_session_hours: Annotated[int, Field(ge=1, le=24 * 30)] = 12
    language: str = "en"
    # Times on the console, e.g. when a hand went up, in the zone the meetings happen in.
    time_zone: TimeZone = "UTC"
    log_level: LogLevel = "INFO"
    # Alerts to hosts (facilitation.notices): email over SMTP, and/or a signed webhook.
    smtp_host: MailHost | None = None
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 587
    smtp_security: SmtpSecurity = "starttls"
    smtp_username: Annotated[str, Field(min_length=1, max_length=254)] | None = None
    smtp_password: SecretStr | None = None
    smtp_from: Email | None = None
    smtp_ca_file: ExistingFile | None = None
    smtp_timeout_seconds: Annotated[float, Field(ge=1, le=120)] = 20.0
    alert_webhook_url: BaseUrl | None = None
    alert_webhook_secret: WebhookSecret | None = None
    # Breakout groups as separate calls: where the PBX kit takes actions on live calls
    # (move a call, play a prompt), and a TwiML provider's live-call update API (its
    # account SID; the auth token is twiml_auth_token).
    pbx_actions_url: BaseUrl | None = None
    pbx_actions_secret: WebhookSecret | None = None
    voice_api_base: BaseUrl = "https://api.twilio.com"
    # Twilio's "AC" + 32 hex; other Twilio-compatible providers use their own ids.
    voice_account_sid: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{1,64}$")] | None = None
    phone_action_timeout_seconds: Annotated[float, Field(ge=0.5, le=30)] = 5.0
    # Your own warm-ups: a folder of TOML files in the catalogue's format, added to ours.
    warmups_dir: ExistingDir | None = None

    @model_validator(mode="before")
    @classmethod
    def _derive_defaults(cls, values: Any) -> Any:
        """Without FACILITATE_BASE_URL, links point where the service listens (a port set
        alone must not leave every printed link on :8080); without
        FACILITATE_PHONE_LANGUAGES, callers hear the service's language."""
        if not isinstance(values, dict):
            return values
        derived = {}
        if not values.get("base_url"):
            derived["base_url"] = listening_url(values.get("host"), values.get("port"))
        language = values.get("language")
        if not values.get("phone_languages") and isinstance(language, str):
            # A language with no catalogue is refused once, as FACILITATE_LANGUAGE.
            derived["phone_languages"] = language if has_catalogue(language) else "en"
        return {**values, **derived}

    @field_validator(
        "jitsi_url",
        "jaas_secret",
        "jigasi_users",
        "jigasi_trusted_domains",
        "dial_in_numbers",
        "pbx_webhook_secret",
        "phone_languages",
        "concern_phrases",
        mode="before",
    )
    @classmethod
    def _split_lists(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("jitsi_url")
    @classmethod
    def _check_jitsi(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("give at least one Jitsi base URL, e.g. https://meet.example.org")
        for url in value:
            JitsiBase.parse(url)
        return value

    @field_validator("dial_in_numbers")
    @classmethod
    def _check_numbers(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        parse_numbers(value, info.data.get("dial_in_region") or DEFAULT_COUNTRY)
        return value

    @field_validator("xmpp_password")
    @classmethod
    def _check_xmpp_password(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value():
            raise ValueError("must not be empty")
        return value

    @property
    def jitsi_bases(self) -> tuple[JitsiBase, ...]:
        return _parse_bases(self.jitsi_url)

    def websocket_url(self, jitsi_base: str | None = None, tenant: str | None = None) -> str:
        """Where the bot connects for a meeting on `jitsi_base` (a configured base URL).

        An explicit FACILITATE_XMPP_WEBSOCKET_URL wins (the connector adds the tenant as
        `prefix=`, which docker-jitsi-meet's nginx would otherwise add). Without it, the
        URL is the one Jitsi Meet itself uses: BASE[/TENANT]/xmpp-websocket.
        """
        if self.xmpp_websocket_url:
            return self.xmpp_websocket_url
        base = JitsiBase.parse(jitsi_base) if jitsi_base else self.jitsi_bases[0]
        scheme = "wss" if base.scheme == "https" else "ws"
        middle = f"/{tenant}" if tenant else ""
        return f"{scheme}://{base.origin.split('://', 1)[1]}{base.path}{middle}/xmpp-websocket"

    @property
    def focus(self) -> str | None:
        if not self.use_focus:
            return None
        return self.focus_domain or f"focus.{self.xmpp_domain}"

    @property
    def xmpp_login_domain(self) -> str:
        """Where the assistant's account lives (docker-jitsi-meet: XMPP_DOMAIN)."""
        return self.xmpp_auth_domain or self.xmpp_domain

    @property
    def breakout(self) -> str:
        return self.breakout_domain or f"breakout.{self.xmpp_domain}"

    @property
    def polls(self) -> str:
        return self.polls_domain or f"polls.{self.xmpp_domain}"

    @property
    def connector_enabled(self) -> bool:
        """The bot runs when asked to, or by default once a real Jitsi is configured."""
        if self.bot_enabled is not None:
            return self.bot_enabled
        return bool(self.xmpp_websocket_url) or EXAMPLE_JITSI not in self.jitsi_url

    @property
    def dial_in(self) -> tuple[DialInNumber, ...]:
        return parse_numbers(self.dial_in_numbers, self.dial_in_region)

    @property
    def concerns(self) -> tuple[str, ...]:
        """The built-in concern phrases and any the admin added."""
        return DEFAULT_CONCERN_PHRASES + self.concern_phrases

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def jitsi_origins(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(base.origin for base in self.jitsi_bases))

    def secret(self) -> bytes:
        if self.secret_key is None:
            raise RuntimeError("secret key not resolved; call with_secret_key() first")
        return self.secret_key.get_secret_value().encode()

    def with_secret_key(self) -> Settings:
        """Fill in the secret key from `data_dir/secret_key`, creating it on first run."""
        if self.secret_key is not None:
            return self
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        return self.model_copy(update={"secret_key": SecretStr(path.read_text().strip())})


class SettingsError(Exception):
    """Every problem found, each naming the variable to fix."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_settings(
    config_file: Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read and validate. Raises SettingsError listing every problem found, not the first."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    problems: list[str] = []
    if config_file is not None:
        try:
            values.update(tomllib.loads(config_file.read_text()))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            problems.append(f"--config {config_file}: cannot read it: {exc}")
    for key, value in environ.items():
        if key.startswith(ENV_PREFIX):
            values[key[len(ENV_PREFIX) :].lower()] = value
    settings: Settings | None = None
    try:
        settings = Settings.model_validate(values)
    except ValidationError as exc:
        problems.extend(_field_problems(exc))
    problems.extend(cross_problems(values))
    if problems or settings is None:
        raise SettingsError(problems)
    return settings


def _field_problems(exc: ValidationError) -> list[str]:
    found = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "?"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown setting (check the spelling)"
        found.append(f"{env_name(field)}: {message}")
    return found
