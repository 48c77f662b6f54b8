"""The webhook intake on PostgreSQL (the real server on this machine): the async insert
path with RETURNING, duplicates, and applying under the advisory lock."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pydantic import SecretStr

from plugin.clock import FixedClock
from plugin.db.models import Attendance, WebhookEvent
from plugin.settings import Settings
from tests.conftest import Client
from tests.integration.test_storage import postgres_settings, postgres_url  # noqa: F401 - fixtures
from tests.support.app import app_for
from tests.webhooks.conftest import JAAS_SECRET, TOKEN, applied, post_jaas, post_prosody
from tests.webhooks.test_jaas import envelope
from tests.webhooks.test_prosody import T0, destroyed, joined, occupant, rows

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pg_hooks(
    aiohttp_client: Callable[..., Awaitable[Client]],
    postgres_settings: Settings,  # noqa: F811 - the fixture imported above
    clock: FixedClock,
) -> Client:
    settings = postgres_settings.model_copy(
        update={"prosody_token": SecretStr(TOKEN), "jaas_secret": (SecretStr(JAAS_SECRET),)}
    )
    return await aiohttp_client(app_for(settings, clock))


async def test_intake_on_postgres(pg_hooks: Client) -> None:
    answers = await asyncio.gather(
        *(post_prosody(pg_hooks, "occupant/joined", joined(1, T0)) for _ in range(20))
    )
    assert {a.status for a in answers} == {200}
    flags: list[Any] = [(await a.json())["duplicate"] for a in answers]
    assert flags.count(False) == 1
    everyone = [occupant(1, T0, T0 + 600), occupant(2, T0 + 60, T0 + 300)]
    assert (
        await post_prosody(pg_hooks, "room/destroyed", destroyed(T0 + 600, everyone))
    ).status == 200
    body = envelope("DIAL_IN_STARTED", "pg-1", participantId="caller", name="+447700900123")
    assert (await post_jaas(pg_hooks, body)).status == 200
    await applied(pg_hooks)
    assert len(await rows(pg_hooks, WebhookEvent)) == 3
    stays = {s.occupant: s for s in await rows(pg_hooks, Attendance)}
    assert len(stays) == 3
    assert stays["caller"].kind == "phone"
    assert all(s.left_at is not None for k, s in stays.items() if k != "caller")
