"""Settings: TOML plus environment (env wins), every problem named at once, the secret key."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from plugin.settings import SettingsError, load_settings
from plugin.settings_checks import warnings


def test_defaults_need_no_config() -> None:
    settings = load_settings(environ={})
    assert settings.database_url == "sqlite:///facilitation.db"
    assert settings.port == 8080
    assert settings.websocket_url() == "wss://meet.example.org/xmpp-websocket"
    assert not settings.connector_enabled  # nothing to connect to until Jitsi is configured
    assert any("FACILITATE_JITSI_URL" in w for w in warnings(settings))


def test_env_wins_over_toml(tmp_path: Path) -> None:
    config = tmp_path / "facilitate.toml"
    config.write_text(
        'retention_days = 30\nbase_url = "https://help.example.org"\njitsi_url = ["https://a.example.org"]\n'
    )
    settings = load_settings(config, {"FACILITATE_RETENTION_DAYS": "14"})
    assert settings.retention_days == 14
    assert settings.base_url == "https://help.example.org"
    assert settings.jitsi_url == ("https://a.example.org",)
    assert settings.secure_cookies


def test_comma_separated_jitsi_urls_and_derived_websocket() -> None:
    settings = load_settings(
        environ={"FACILITATE_JITSI_URL": "https://a.example.org/x, https://b.example.org"}
    )
    assert settings.jitsi_url == ("https://a.example.org/x", "https://b.example.org")
    assert settings.websocket_url() == "wss://a.example.org/x/xmpp-websocket"
    assert (
        settings.websocket_url("https://b.example.org", "acme")
        == "wss://b.example.org/acme/xmpp-websocket"
    )
    assert settings.connector_enabled
    assert settings.focus == "focus.meet.jitsi"
    assert settings.breakout == "breakout.meet.jitsi"


def test_every_problem_is_reported_at_once_by_variable_name() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(
            environ={
                "FACILITATE_PORT": "eighty",
                "FACILITATE_RETENTION_DAYS": "0",
                "FACILITATE_BASE_URL": "help.example.org",
                "FACILITATE_JITSI_URL": "ftp://x",
                "FACILITATE_XMPP_WEBSOCKET_URL": "https://meet.example.org/xmpp-websocket",
                "FACILITATE_DATABSE_URL": "sqlite:///typo.db",
                "FACILITATE_DATABASE_URL": "mysql://x",
            }
        )
    text = "\n".join(caught.value.problems)
    for name in (
        "FACILITATE_PORT",
        "FACILITATE_RETENTION_DAYS",
        "FACILITATE_BASE_URL",
        "FACILITATE_JITSI_URL",
        "FACILITATE_XMPP_WEBSOCKET_URL",
        "FACILITATE_DATABSE_URL: unknown setting",
        "FACILITATE_DATABASE_URL",
    ):
        assert name in text
    assert len(caught.value.problems) == 7


def test_jwt_settings_come_in_pairs_and_short_secret_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(
            environ={"FACILITATE_JWT_APP_ID": "facilitate", "FACILITATE_SECRET_KEY": "short"}
        )
    problems = caught.value.problems
    assert any("FACILITATE_JWT_APP_SECRET" in p for p in problems)
    assert any(p.startswith("FACILITATE_SECRET_KEY") for p in problems)


def test_cross_setting_and_field_problems_come_together(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("port = = 1")
    with pytest.raises(SettingsError) as caught:
        load_settings(
            config,
            {
                "FACILITATE_PORT": "0",
                "FACILITATE_SECRET_KEY": "short",
                "FACILITATE_JWT_APP_ID": "x",
                "FACILITATE_LANGUAGE": "cy",
            },
        )
    text = "\n".join(caught.value.problems)
    for name in (
        "--config",
        "FACILITATE_PORT",
        "FACILITATE_SECRET_KEY",
        "FACILITATE_JWT_APP_SECRET",
        "FACILITATE_LANGUAGE",
    ):
        assert name in text


def test_broken_toml_names_the_file(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("retention_days = = 3")
    with pytest.raises(SettingsError) as caught:
        load_settings(config, {})
    assert str(config) in caught.value.problems[0]


def test_secret_key_generated_once_private_and_stable(tmp_path: Path) -> None:
    settings = load_settings(environ={"FACILITATE_DATA_DIR": str(tmp_path / "data")})
    first = settings.with_secret_key()
    second = settings.with_secret_key()
    key_file = tmp_path / "data" / "secret_key"
    assert first.secret() == second.secret()
    assert len(first.secret()) >= 48
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    secret = first.secret().decode()
    assert secret not in repr(first)
    assert secret not in str(first)


def test_webhook_secrets_are_checked_and_lists_split() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(
            environ={"FACILITATE_PROSODY_TOKEN": "short", "FACILITATE_JAAS_SECRET": "a,b"}
        )
    text = "\n".join(caught.value.problems)
    assert "FACILITATE_PROSODY_TOKEN" in text
    assert "FACILITATE_JAAS_SECRET" in text
    settings = load_settings(
        environ={
            "FACILITATE_JAAS_SECRET": "new-secret-0123456789, old-secret-0123456789",
            "FACILITATE_JIGASI_USERS": "jigasi, sipgw",
        }
    )
    assert [s.get_secret_value() for s in settings.jaas_secret] == [
        "new-secret-0123456789",
        "old-secret-0123456789",
    ]
    assert settings.jigasi_users == ("jigasi", "sipgw")


def test_phone_settings_are_checked_and_each_problem_named() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(
            environ={
                "FACILITATE_DIAL_IN_NUMBERS": "+44 20 7946 0000, +44 12",
                "FACILITATE_PIN_DIGITS": "5",
                "FACILITATE_JIGASI_SIP_URI": "jigasi.example.org",
                "FACILITATE_JIGASI_ROOM_HEADER": "Room Name",
                "FACILITATE_PBX_WEBHOOK_SECRET": "not-a-standard-webhooks-secret",
                "FACILITATE_PHONE_LANGUAGES": "en,xx",
            }
        )
    text = "\n".join(caught.value.problems)
    assert "FACILITATE_DIAL_IN_NUMBERS: '+44 12' is not a valid phone number" in text
    assert "FACILITATE_PIN_DIGITS" in text
    assert "FACILITATE_JIGASI_SIP_URI: must be a SIP URI" in text
    assert "FACILITATE_JIGASI_ROOM_HEADER" in text
    assert "FACILITATE_PBX_WEBHOOK_SECRET: a Standard Webhooks secret starts with whsec_" in text
    assert "FACILITATE_PHONE_LANGUAGES: no compiled translation for xx" in text
    with pytest.raises(SettingsError) as short:
        load_settings(
            environ={
                "FACILITATE_PBX_WEBHOOK_SECRET": "whsec_c2hvcnQ=",
                "FACILITATE_TWIML_AUTH_TOKEN": "token-without-a-sip-uri",
                "FACILITATE_JIGASI_ROOM_HEADER": "Jitsi-Conference-Room",
            }
        )
    assert "must be at least 24" in short.value.problems[0]
    assert "start with X-" in "\n".join(short.value.problems)
    assert (
        "FACILITATE_JIGASI_SIP_URI: needed with FACILITATE_TWIML_AUTH_TOKEN"
        in short.value.problems[1]
    )


def test_phone_settings_that_work() -> None:
    settings = load_settings(
        environ={
            "FACILITATE_DIAL_IN_REGION": "US",
            "FACILITATE_DIAL_IN_NUMBERS": "(212) 555-0100, +44 800 123 4567 tollfree",
            "FACILITATE_JIGASI_SIP_URI": "sip:jigasi@10.0.0.5:5060;transport=tcp",
            "FACILITATE_JIGASI_ROOM_HEADER": "Jitsi-Conference-Room",
            "FACILITATE_JIGASI_TRUSTED_DOMAINS": "Recorder.Meet.Jitsi, meet.jitsi",
        }
    )
    assert settings.jigasi_room_header == "Jitsi-Conference-Room"  # Jigasi's own default
    assert settings.jigasi_trusted_domains == ("recorder.meet.jitsi", "meet.jitsi")
    assert [n.e164 for n in settings.dial_in] == ["+12125550100", "+448001234567"]
    assert settings.dial_in[1].toll_free


def test_times_show_in_the_meetings_time_zone() -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from plugin.templating import clock_time

    when = datetime(2026, 11, 23, 9, 59, 30, tzinfo=UTC)
    assert clock_time(when.isoformat(), ZoneInfo("America/New_York")) == "04:59 EST"
    assert clock_time(when, ZoneInfo("Europe/London")) == "09:59 GMT"
    assert clock_time(None, ZoneInfo("UTC")) == ""
    assert (
        load_settings(None, {"FACILITATE_TIME_ZONE": "Europe/London"}).time_zone == "Europe/London"
    )
    with pytest.raises(SettingsError) as raised:
        load_settings(None, {"FACILITATE_TIME_ZONE": "Mars/Olympus"})
    assert any("not a time zone name" in problem for problem in raised.value.problems)
