"""One running app for a whole module of generated requests: hypothesis runs its examples
synchronously, so the app gets its own event loop and the tests drive it with run_until."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from plugin.clock import FixedClock
from plugin.settings import Settings
from tests.support.app import app_for

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
FuzzServer = tuple[asyncio.AbstractEventLoop, TestClient[Any, Any]]


@contextmanager
def fuzz_server(directory: Path, template: Path, **settings: Any) -> Iterator[FuzzServer]:
    shutil.copy(template, directory / "fuzz.db")
    config = Settings(
        database_url=f"sqlite:///{directory / 'fuzz.db'}",
        data_dir=directory / "data",
        secret_key=SecretStr("fuzz-secret-key-that-is-long-enough-0123456789"),
        jitsi_url=("https://meet.example.org",),
        bot_enabled=False,
        **settings,
    )
    loop = asyncio.new_event_loop()
    client: TestClient[Any, Any] = TestClient(
        TestServer(app_for(config, FixedClock(NOW))), loop=loop
    )
    loop.run_until_complete(client.start_server())
    try:
        yield loop, client
    finally:
        loop.run_until_complete(client.close())
        loop.close()
