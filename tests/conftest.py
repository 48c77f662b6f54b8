"""Fixtures shared by every test: settings on a temp dir, a migrated SQLite file, the real app."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from facilitation.roles import Role
from plugin.clock import FixedClock
from plugin.db import accounts
from plugin.db.engine import Database, make_engine
from plugin.db.migrate import upgrade
from plugin.settings import Settings
from tests.support.app import PASSWORDS, app_for

PASSWORD = "plum-orbit-lantern-42"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
JITSI = ("https://meet.example.org", "https://video.example.net/jitsi")

Client = TestClient[Any, Any]


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once, copy per test: each test gets a fresh, fully migrated database file."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def settings(tmp_path: Path, migrated_template: Path) -> Settings:
    db_file = tmp_path / "facilitation.db"
    shutil.copy(migrated_template, db_file)
    return Settings(
        database_url=f"sqlite:///{db_file}",
        data_dir=tmp_path / "data",
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        jitsi_url=JITSI,
        base_url="http://127.0.0.1:8080",
        bot_enabled=False,  # tests under tests/jitsi/ turn the connector on against Prosody
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))


@pytest.fixture
async def client(
    aiohttp_client: Callable[..., Awaitable[Client]], settings: Settings, clock: FixedClock
) -> Client:
    return await aiohttp_client(app_for(settings, clock))


AddAccount = Callable[..., Awaitable[int]]


async def create_account(
    database: Database,
    username: str,
    now: datetime,
    role: Role = Role.FACILITATOR,
    password: str = PASSWORD,
) -> int:
    """An account straight in the database (shown name: the username, capitalised)."""
    async with database.session() as db:
        account = await accounts.create_account(
            db,
            username=username,
            display_name=username.title(),
            password_hash=PASSWORDS.hash(password),
            role=role,
            now=now,
        )
        await db.commit()
        assert account.id is not None
        return account.id


@pytest.fixture
async def add_account(settings: Settings, clock: FixedClock) -> AsyncIterator[AddAccount]:
    database = Database(make_engine(settings.database_url))

    async def add(username: str, role: Role = Role.FACILITATOR, password: str = PASSWORD) -> int:
        return await create_account(database, username, clock.now(), role, password)

    yield add
    await database.close()


async def csrf_from(client: Client, path: str) -> str:
    response = await client.get(path)
    match = CSRF_INPUT.search(await response.text())
    assert match, f"no CSRF field on {path} (status {response.status})"
    return match.group(1)


async def login(client: Client, username: str, password: str = PASSWORD) -> None:
    token = await csrf_from(client, "/login")
    response = await client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/"},
        allow_redirects=False,
    )
    assert response.status == 303, await response.text()


async def post_form(client: Client, path: str, data: dict[str, str], page: str = "/") -> Any:
    token = await csrf_from(client, page)
    return await client.post(path, data={**data, "csrf_token": token}, allow_redirects=False)


def app_of(client: Client) -> web.Application:
    assert isinstance(client.server, TestServer)
    return client.server.app


@pytest.fixture
async def second_client(client: Client) -> AsyncIterator[Client]:
    """Another browser (own cookie jar) talking to the same running server."""
    other: Client = TestClient(client.server)
    await other.start_server()
    yield other
    await other.session.close()


@pytest.fixture
async def signed_in_facilitator(client: Client, add_account: AddAccount) -> None:
    """`client` is signed in as the facilitator "fran"."""
    await add_account("fran")
    await login(client, "fran")
