"""Device cookies (plugin/security/device_cookies.py): whose an entry is can only be told
with the service's key; entries run out; a shared browser keeps a few accounts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from plugin.security.device_cookies import MAX_ENTRIES, DeviceCookies

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
KEY = b"the-service-secret-key-0123456789abcdef"
DEVICES = DeviceCookies(KEY, timedelta(days=180))


def test_an_entry_is_valid_for_its_own_account_only() -> None:
    cookie = DEVICES.issue("", 7, "alex", NOW)
    assert "alex" not in cookie and ":7" not in cookie
    device = DEVICES.device_for(cookie, 7, "alex", NOW)
    assert device is not None and device in cookie
    assert DEVICES.device_for(cookie, 8, "alex", NOW) is None
    assert DEVICES.device_for(cookie, 7, "bea", NOW) is None  # renamed: no longer the same
    assert (
        DeviceCookies(b"another-key" * 4, timedelta(days=180)).device_for(cookie, 7, "alex", NOW)
        is None
    )


def test_entries_run_out() -> None:
    cookie = DEVICES.issue("", 7, "alex", NOW)
    assert DEVICES.device_for(cookie, 7, "alex", NOW + timedelta(days=180)) is not None
    assert DEVICES.device_for(cookie, 7, "alex", NOW + timedelta(days=180, seconds=1)) is None


def test_a_shared_browser_keeps_the_newest_few_accounts() -> None:
    cookie = ""
    for account in range(MAX_ENTRIES + 2):
        cookie = DEVICES.issue(cookie, account, f"user{account}", NOW)
    assert len(cookie.split("~")) == MAX_ENTRIES
    assert DEVICES.device_for(cookie, 0, "user0", NOW) is None  # the oldest made way
    assert DEVICES.device_for(cookie, MAX_ENTRIES + 1, f"user{MAX_ENTRIES + 1}", NOW)
    again = DEVICES.issue(cookie, 3, "user3", NOW)
    assert len(again.split("~")) == MAX_ENTRIES  # replaced, not added twice
    newest = again.split("~")[0]
    assert DEVICES.device_for(newest, 3, "user3", NOW) is not None  # and put first


def test_anything_else_is_ignored() -> None:
    for junk in ("", "~~~", "1.2.3", "x" * 5000, "9" * 13 + "." + "A" * 22 + "." + "A" * 22):
        assert DEVICES.device_for(junk, 7, "alex", NOW) is None
        assert DEVICES.device_for(DEVICES.issue(junk, 7, "alex", NOW), 7, "alex", NOW)
