"""Who may try a password now: failures are counted per username and per address, and a
browser that signed in to the account before is held only by its own failures, so a
stranger guessing someone's password cannot lock that person out of their own computer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web
from sqlmodel.ext.asyncio.session import AsyncSession

from facilitation.throttle import ThrottlePolicy
from plugin import keys
from plugin.db import accounts
from plugin.db.models import Account
from plugin.security.device_cookies import DeviceCookies
from plugin.web.auth import client_ip

# An office or a library shares one address among many people, so the per-address limit
# is looser than the per-username one.
IP_ALLOWANCE = 4
DEVICE_LIFETIME = timedelta(days=180)


@dataclass(frozen=True)
class Guard:
    wait: timedelta | None  # how long this browser must wait, or None to go ahead
    failure_keys: list[str]  # where a wrong password is counted
    user_key: str
    device_key: str | None  # this browser's own count, when it signed in here before
    others_waiting: bool  # the username or address is over its limit for strangers


def _policies(request: web.Request) -> tuple[ThrottlePolicy, ThrottlePolicy]:
    settings = request.app[keys.SETTINGS]
    window = timedelta(minutes=settings.login_window_minutes)
    per_user = ThrottlePolicy(settings.login_max_failures, window)
    per_ip = ThrottlePolicy(settings.login_max_failures * IP_ALLOWANCE, window)
    return per_user, per_ip


def _devices(request: web.Request) -> DeviceCookies:
    return DeviceCookies(request.app[keys.SETTINGS].secret(), DEVICE_LIFETIME)


def device_cookie_name(request: web.Request) -> str:
    return "__Host-fac_device" if request.app[keys.SETTINGS].secure_cookies else "fac_device"


async def _wait(
    db: AsyncSession, policy: ThrottlePolicy, key: str, now: datetime
) -> timedelta | None:
    return policy.retry_after(await accounts.failures_since(db, key, now - policy.window), now)


async def check(
    request: web.Request, db: AsyncSession, username: str, account: Account | None, now: datetime
) -> Guard:
    per_user, per_ip = _policies(request)
    user_key, ip_key = f"user:{username}", f"ip:{client_ip(request)}"
    waits = [await _wait(db, per_user, user_key, now), await _wait(db, per_ip, ip_key, now)]
    longest = max((w for w in waits if w is not None), default=None)
    device = None
    if account is not None and account.id is not None:
        cookie = request.cookies.get(device_cookie_name(request), "")
        device = _devices(request).device_for(cookie, account.id, account.username, now)
    if device is None:
        return Guard(longest, [user_key, ip_key], user_key, None, longest is not None)
    # A known browser's wrong passwords still count everywhere, and against its own key
    # with the per-username limit: the cookie lets its owner in, not anyone guess more.
    device_key = f"device:{device}"
    return Guard(
        await _wait(db, per_user, device_key, now),
        [user_key, ip_key, device_key],
        user_key,
        device_key,
        longest is not None,
    )


def remember_device(
    request: web.Request, response: web.StreamResponse, account: Account, now: datetime
) -> None:
    """After a sign-in: this browser now counts as one this account uses."""
    assert account.id is not None
    name = device_cookie_name(request)
    value = _devices(request).issue(
        request.cookies.get(name, ""), account.id, account.username, now
    )
    response.set_cookie(
        name,
        value,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=request.app[keys.SETTINGS].secure_cookies,
        max_age=int(DEVICE_LIFETIME.total_seconds()),
    )
