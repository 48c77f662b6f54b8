"""Alerts tests: the app with email going to a real SMTP server in this process."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from plugin.clock import FixedClock
from plugin.settings import Settings
from tests.conftest import Client
from tests.support.app import app_for
from tests.support.smtp import MailServer


def with_mail(settings: Settings, server: MailServer, **more: Any) -> Settings:
    values = {**server.settings(), **more}
    values["smtp_password"] = SecretStr(values["smtp_password"])
    return settings.model_copy(update=values)


@pytest.fixture
def mail_server(tmp_path: Path) -> Iterator[MailServer]:
    server = MailServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
async def alert_client(
    aiohttp_client: Callable[..., Awaitable[Client]],
    settings: Settings,
    clock: FixedClock,
    mail_server: MailServer,
) -> Client:
    return await aiohttp_client(app_for(with_mail(settings, mail_server), clock))
