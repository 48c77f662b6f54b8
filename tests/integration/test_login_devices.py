"""A stranger's failures lock a username for strangers only: a browser that signed in to
the account before (it holds a signed device cookie) may still try, within its own limit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from plugin import keys
from plugin.clock import FixedClock
from plugin.security.device_cookies import DeviceCookies
from plugin.web.login_guard import DEVICE_LIFETIME
from tests.conftest import PASSWORD, AddAccount, Client, app_of, csrf_from, login, post_form

WRONG = "nope nope nope"


async def attempt(client: Client, username: str, password: str) -> Any:
    token = await csrf_from(client, "/login")
    data = {"username": username, "password": password, "csrf_token": token, "next": "/"}
    return await client.post("/login", data=data, allow_redirects=False)


async def sign_in_and_out(client: Client, username: str) -> str:
    """Sign in (which leaves a device cookie), sign out; returns the cookie's value."""
    response = await attempt(client, username, PASSWORD)
    assert response.status == 303
    cookie = response.cookies["fac_device"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) >= 30 * 24 * 3600
    assert username not in cookie.value
    assert (await post_form(client, "/logout", {})).status == 303
    return str(cookie.value)


async def lock_out(stranger: Client, username: str) -> None:
    for _ in range(5):
        assert (await attempt(stranger, username, WRONG)).status == 403
    assert (await attempt(stranger, username, PASSWORD)).status == 429


@pytest.fixture
async def third_client(client: Client) -> AsyncIterator[Client]:
    other: Client = TestClient(client.server)
    await other.start_server()
    yield other
    await other.session.close()


async def test_a_stranger_cannot_lock_a_known_browser_out(
    client: Client, second_client: Client, add_account: AddAccount
) -> None:
    await add_account("alex")
    await sign_in_and_out(client, "alex")
    await lock_out(second_client, "alex")
    # Alex's own browser: a typo is answered as usual, then the right password works.
    assert (await attempt(client, "alex", WRONG)).status == 403
    assert (await attempt(client, "alex", PASSWORD)).status == 303
    # ...and the stranger still waits: that sign-in did not give them new tries.
    assert (await attempt(second_client, "alex", PASSWORD)).status == 429


async def test_a_known_browser_is_held_by_its_own_failures(
    client: Client, second_client: Client, add_account: AddAccount, clock: FixedClock
) -> None:
    await add_account("alex")
    await sign_in_and_out(client, "alex")
    await lock_out(second_client, "alex")
    for _ in range(5):
        assert (await attempt(client, "alex", WRONG)).status == 403
    refused = await attempt(client, "alex", PASSWORD)
    assert refused.status == 429
    assert "Too many tries" in await refused.text()
    clock.advance(timedelta(minutes=15, seconds=1))
    await login(client, "alex")


async def test_another_accounts_or_a_forged_cookie_does_not_get_past(
    client: Client,
    second_client: Client,
    third_client: Client,
    add_account: AddAccount,
    clock: FixedClock,
) -> None:
    alex = await add_account("alex")
    await add_account("bea")
    beas = await sign_in_and_out(third_client, "bea")
    await lock_out(second_client, "alex")
    # Bea's browser is known for Bea, not for Alex.
    assert (await attempt(third_client, "alex", PASSWORD)).status == 429
    secret = app_of(client)[keys.SETTINGS].secret()
    issued, device, tag = beas.split(".")
    forged = [
        # Made the right way, but with another key.
        DeviceCookies(b"not-the-service-key-0123456789abcdef", DEVICE_LIFETIME).issue(
            "", alex, "alex", clock.now()
        ),
        f"{issued}.{device}.{'A' * 22}",
        f"{int(issued) + 1}.{device}.{tag}",
        "garbage" * 100,
        # Right key and account, but older than a device is remembered.
        DeviceCookies(secret, DEVICE_LIFETIME).issue(
            "", alex, "alex", clock.now() - DEVICE_LIFETIME - timedelta(seconds=1)
        ),
    ]
    for value in forged:
        second_client.session.cookie_jar.update_cookies({"fac_device": value})
        assert (await attempt(second_client, "alex", PASSWORD)).status == 429, value
    # The same, signed with the service's key for Alex, is what Alex's browser holds.
    genuine = DeviceCookies(secret, DEVICE_LIFETIME).issue("", alex, "alex", clock.now())
    second_client.session.cookie_jar.update_cookies({"fac_device": genuine})
    assert (await attempt(second_client, "alex", PASSWORD)).status == 303


async def test_one_browser_remembers_each_account_signed_in_from_it(
    client: Client, second_client: Client, add_account: AddAccount
) -> None:
    """A shared office computer: each person's sign-in adds to the cookie."""
    await add_account("alex")
    await add_account("bea")
    await sign_in_and_out(client, "alex")
    both = await sign_in_and_out(client, "bea")
    assert len(both.split("~")) == 2
    await lock_out(second_client, "alex")
    await lock_out(second_client, "bea")
    assert (await attempt(client, "alex", PASSWORD)).status == 303
    assert (await post_form(client, "/logout", {})).status == 303
    assert (await attempt(client, "bea", PASSWORD)).status == 303
