"""Signing in: cookies, rotation, throttling, CSRF on every POST, first-run setup."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiohttp import web

from facilitation.roles import Role
from plugin.clock import FixedClock
from plugin.db import accounts
from plugin.db.engine import Database, make_engine
from plugin.settings import Settings
from plugin.web.auth import MACHINE_PREFIXES
from tests.conftest import PASSWORD, AddAccount, Client, app_of, csrf_from, login, post_form
from tests.support.app import app_for


async def test_login_sets_a_hardened_cookie_and_rotates_the_session_id(
    client: Client, add_account: AddAccount
) -> None:
    await add_account("alex")
    await client.get("/login")
    before = client.session.cookie_jar.filter_cookies(client.make_url("/"))["fac_sid"].value
    token = await csrf_from(client, "/login")
    response = await client.post(
        "/login",
        data={
            "username": "Alex",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "/sessions/new",
        },
        allow_redirects=False,
    )
    assert response.status == 303
    assert response.headers["Location"] == "/sessions/new"
    cookie = response.cookies["fac_sid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert not cookie["secure"]  # served over http in this test
    assert cookie.value != before
    home = await client.get("/")
    assert home.status == 200
    assert "Sign out" in await home.text()  # the signed-in navigation


async def test_secure_cookie_and_host_prefix_over_https(
    aiohttp_client, settings: Settings, clock: FixedClock
) -> None:
    https = settings.model_copy(update={"base_url": "https://help.example.org"})
    client = await aiohttp_client(app_for(https, clock))
    response = await client.get("/login")
    cookie = response.cookies["__Host-fac_sid"]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["path"] == "/"


async def test_wrong_password_and_unknown_user_look_the_same(
    client: Client, add_account: AddAccount
) -> None:
    await add_account("alex")
    bodies = []
    for username in ("alex", "nobody"):
        token = await csrf_from(client, "/login")
        response = await client.post(
            "/login",
            data={"username": username, "password": "wrong password!", "csrf_token": token},
        )
        assert response.status == 403
        bodies.append((await response.text()).replace(username, "X"))
    assert "do not match" in bodies[0]
    assert bodies[0] == bodies[1]


async def test_login_is_throttled_then_unlocks(
    client: Client, add_account: AddAccount, clock: FixedClock
) -> None:
    await add_account("alex")
    for _ in range(5):
        token = await csrf_from(client, "/login")
        response = await client.post(
            "/login", data={"username": "alex", "password": "nope nope nope", "csrf_token": token}
        )
        assert response.status == 403
    token = await csrf_from(client, "/login")
    response = await client.post(
        "/login", data={"username": "alex", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status == 429
    assert int(response.headers["Retry-After"]) == 15 * 60
    assert "Too many tries" in await response.text()
    clock.advance(timedelta(minutes=15, seconds=1))
    await login(client, "alex")


async def test_a_shared_address_gets_a_looser_limit_than_one_username(
    client: Client, add_account: AddAccount
) -> None:
    await add_account("alex")
    for attempt in range(20):  # 4 people behind one office router, 5 typos each
        token = await csrf_from(client, "/login")
        data = {
            "username": f"person{attempt % 4}",
            "password": "nope nope nope",
            "csrf_token": token,
        }
        assert (await client.post("/login", data=data)).status == 403
    token = await csrf_from(client, "/login")
    response = await client.post(
        "/login", data={"username": "alex", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status == 429  # the 21st failure from the address locks it


async def test_disabled_accounts_cannot_sign_in(
    client: Client, add_account: AddAccount, settings: Settings
) -> None:
    await add_account("sam")
    database = Database(make_engine(settings.database_url))
    async with database.session() as db:
        account = await accounts.by_username(db, "sam")
        assert account is not None
        account.disabled = True
        db.add(account)
        await db.commit()
    await database.close()
    token = await csrf_from(client, "/login")
    response = await client.post(
        "/login", data={"username": "sam", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status == 403


@pytest.mark.parametrize(
    "target", ["https://evil.example.com/", "//evil.example.com/", "/\\evil.example.com"]
)
async def test_next_never_leaves_the_site(
    client: Client, add_account: AddAccount, target: str
) -> None:
    await add_account("alex")
    token = await csrf_from(client, "/login")
    response = await client.post(
        "/login",
        data={"username": "alex", "password": PASSWORD, "csrf_token": token, "next": target},
        allow_redirects=False,
    )
    assert response.headers["Location"] == "/"


async def test_logout_ends_the_session(client: Client, add_account: AddAccount) -> None:
    await add_account("alex")
    await login(client, "alex")
    response = await post_form(client, "/logout", {})
    assert response.status == 303
    home = await client.get("/", allow_redirects=False)
    assert home.status == 303
    assert home.headers["Location"].startswith("/login")


@pytest.fixture
async def setup_link(settings: Settings, clock: FixedClock) -> str:
    """A fresh first-run link, as `facilitate serve` prints it."""
    database = Database(make_engine(settings.database_url))
    async with database.session() as db:
        token = await accounts.new_setup_token(db, clock.now(), timedelta(hours=24))
        await db.commit()
    await database.close()
    return f"/setup/{token}"


def _post_routes(app: web.Application) -> list[str]:
    paths = []
    for route in app.router.routes():
        if route.method != "POST" or route.resource is None:
            continue
        path = route.resource.canonical
        if path.startswith(MACHINE_PREFIXES):
            continue  # machine endpoints: signatures and tokens, tested in tests/webhooks/
        paths.append(
            path.replace("{session_id}", "abc").replace("{account_id}", "1").replace("{token}", "t")
        )
    return paths


async def test_every_post_route_refuses_a_missing_or_wrong_csrf_token(
    client: Client, add_account: AddAccount
) -> None:
    await add_account("root", Role.ADMIN)
    await login(client, "root")
    paths = _post_routes(app_of(client))
    assert {"/login", "/logout", "/sessions", "/accounts", "/sessions/abc/end", "/setup/t"} <= set(
        paths
    )
    for path in paths:
        for data in ({}, {"csrf_token": "0" * 64}):
            response = await client.post(path, data=data, allow_redirects=False)
            assert response.status == 403, path
            assert "expired" in await response.text()


async def test_setup_with_a_taken_username_says_so(
    client: Client, setup_link: str, add_account: AddAccount
) -> None:
    await add_account("robin")  # a facilitator added with the CLI before any admin existed
    page = setup_link
    data = {
        "username": "Robin",
        "display_name": "R",
        "password": PASSWORD,
        "password_again": PASSWORD,
    }
    taken = await post_form(client, page, data, page=page)
    assert taken.status == 409
    assert "already taken" in await taken.text()
    assert (await client.get(page)).status == 200  # the link still works for another name


async def test_first_run_setup_link_creates_one_admin_once(client: Client, setup_link: str) -> None:
    page = setup_link
    weak = await post_form(
        client,
        page,
        {
            "username": "robin",
            "display_name": "Robin",
            "password": "password1234",
            "password_again": "password1234",
        },
        page=page,
    )
    assert weak.status == 400
    assert "too common" in await weak.text()
    ok = await post_form(
        client,
        page,
        {
            "username": "robin",
            "display_name": "Robin",
            "password": PASSWORD,
            "password_again": PASSWORD,
        },
        page=page,
    )
    assert ok.status == 303
    assert ok.headers["Location"] == "/accounts"
    accounts_page = await client.get("/accounts")
    assert accounts_page.status == 200
    assert "robin" in await accounts_page.text()
    again = await client.get(page)
    assert again.status == 404
    assert (await client.get("/setup/not-a-token")).status == 404
