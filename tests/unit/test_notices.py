"""Who is told what, how often a failed alert is tried, and that no alert says anything
about anyone's health."""

from __future__ import annotations

import pytest

from facilitation.notices import (
    MAX_ATTEMPTS,
    Kind,
    Preference,
    digest_notice,
    retry_in,
    urgent_notice,
    wants,
    webhook_event,
)
from plugin.settings import SettingsError, load_settings


def test_urgent_alerts_go_to_everyone_and_digests_only_to_those_who_want_all() -> None:
    assert wants(Preference.URGENT.value, Kind.URGENT)
    assert wants(Preference.ALL.value, Kind.URGENT)
    assert wants(Preference.ALL.value, Kind.DIGEST)
    assert not wants(Preference.URGENT.value, Kind.DIGEST)


def test_retries_back_off_and_stop() -> None:
    delays = [retry_in(n) for n in range(1, MAX_ATTEMPTS)]
    assert all(d is not None for d in delays)
    assert delays == sorted(delays)  # type: ignore[type-var]
    assert retry_in(MAX_ATTEMPTS) is None and retry_in(0) is None
    assert 3 * 3600 < sum(d or 0 for d in delays) < 6 * 3600  # hours, not days


def test_notices_say_where_to_look_and_nothing_else() -> None:
    urgent = urgent_notice("Circle", "01 Dec 2026 10:00 UTC", "https://h.example/review/flags/7")
    digest = digest_notice(
        "Circle", "01 Dec 2026 10:00 UTC", 3, "https://h.example/review/sessions/x"
    )
    assert "https://h.example/review/flags/7" in urgent.body and urgent.subject.startswith("Urgent")
    assert digest.subject == "3 check-out flags to follow up from Circle"
    assert digest_notice("C", "d", 1, "l").subject == "1 check-out flag to follow up from C"
    event = webhook_event(Kind.DIGEST, "s1", None, 3, "l")
    assert event == {
        "type": "checkout.flag.digest",
        "data": {"session_id": "s1", "url": "l", "flags": 3},
    }


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"FACILITATE_SMTP_HOST": "smtp.example.org"}, "FACILITATE_SMTP_FROM: needed with"),
        ({"FACILITATE_SMTP_FROM": "not an address"}, "must be an email address"),
        ({"FACILITATE_SMTP_SECURITY": "ssl"}, "one of starttls"),
        (
            {
                "FACILITATE_SMTP_HOST": "smtp.example.org",
                "FACILITATE_SMTP_FROM": "a@example.org",
                "FACILITATE_SMTP_SECURITY": "none",
                "FACILITATE_SMTP_USERNAME": "a",
                "FACILITATE_SMTP_PASSWORD": "p",
            },
            "would send the SMTP password in clear",
        ),
        ({"FACILITATE_SMTP_USERNAME": "a"}, "set both or neither"),
        ({"FACILITATE_ALERT_WEBHOOK_URL": "https://hooks.example.org/a"}, "set both or neither"),
        ({"FACILITATE_ALERT_WEBHOOK_SECRET": "nope"}, "starts with whsec_"),
        ({"FACILITATE_SMTP_CA_FILE": "/no/such/file.pem"}, "no such file"),
    ],
)
def test_alert_settings_are_checked_with_plain_messages(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(None, environ)
    assert any(message in problem for problem in raised.value.problems), raised.value.problems
