"""Password policy and login throttling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from facilitation.passwords import PasswordPolicy, PasswordProblem
from facilitation.roles import Role
from facilitation.throttle import ThrottlePolicy
from plugin.security.passwords import load_common_passwords

POLICY = PasswordPolicy(common=frozenset({"password1234", "qwertyuiop12"}))
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_password_rules() -> None:
    assert POLICY.problems("plum-orbit-lantern") == []
    assert POLICY.problems("short") == [PasswordProblem.TOO_SHORT]
    assert POLICY.problems("x" * 12) == [PasswordProblem.REPETITIVE]
    assert POLICY.problems("PassWord1234") == [PasswordProblem.COMMON]
    assert POLICY.problems("sam.lee-garden-99", "sam.lee") == [PasswordProblem.CONTAINS_USERNAME]
    assert POLICY.problems("a" + "bc" * 64) == []  # 129 characters is allowed
    assert PasswordProblem.TOO_LONG in POLICY.problems("ab" * 129)


def test_bundled_list_is_loaded_and_used() -> None:
    common = load_common_passwords()
    assert len(common) >= 500
    assert all(len(p) >= 12 for p in common)
    sample = sorted(common)[0]
    assert PasswordProblem.COMMON in PasswordPolicy(common).problems(sample.upper())


def test_throttle_locks_after_max_failures_and_unlocks_after_window() -> None:
    policy = ThrottlePolicy(max_failures=3, window=timedelta(minutes=10))
    failures = [T0, T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)]
    assert policy.retry_after(failures[:2], T0 + timedelta(minutes=2)) is None
    wait = policy.retry_after(failures, T0 + timedelta(minutes=3))
    assert wait == timedelta(minutes=7)
    assert policy.retry_after(failures, T0 + timedelta(minutes=10, seconds=1)) is None


@given(st.lists(st.integers(min_value=0, max_value=3600), max_size=30), st.integers(0, 3600))
def test_throttle_never_allows_more_than_max_in_a_window(
    offsets: list[int], now_offset: int
) -> None:
    policy = ThrottlePolicy(max_failures=5, window=timedelta(minutes=15))
    now = T0 + timedelta(seconds=now_offset)
    failures = [T0 + timedelta(seconds=o) for o in offsets]
    recent = [f for f in failures if now - policy.window < f <= now]
    wait = policy.retry_after(failures, now)
    assert (wait is None) == (len(recent) < 5)
    if wait is not None:
        # After waiting, fewer than max failures remain in the window.
        later = now + wait
        assert len([f for f in recent if later - policy.window < f]) < 5


def test_roles() -> None:
    assert Role.ADMIN.can_manage_accounts
    assert not Role.FACILITATOR.can_manage_accounts
    assert Role.FACILITATOR.can_start_sessions
    assert not Role.HOST.can_start_sessions
    assert Role.ADMIN.sees_every_session
    assert not Role.HOST.sees_every_session
