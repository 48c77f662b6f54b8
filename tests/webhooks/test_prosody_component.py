"""Debian's Prosody posts event_sync-shaped requests (same URLs, headers, JSON) to the
running service on real MUC events; the service stores them and builds attendance.

Prosody here runs a STAND-IN for jitsi-contrib's event_sync_component
(tests/support/prosody_modules/), written from that module's public description.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from plugin.db.models import Attendance, WebhookEvent
from tests.conftest import Client
from tests.support import prosody
from tests.support.participant import Participant
from tests.webhooks.conftest import TOKEN, applied
from tests.webhooks.test_prosody import rows

pytestmark = pytest.mark.prosody


@pytest.fixture
def sync_server(tmp_path: Path, hooks: Client) -> Iterator[prosody.Prosody]:
    prefix = str(hooks.make_url("/webhooks/prosody"))
    server = prosody.Prosody(
        tmp_path / "prosody",
        muc_extra=(
            '    modules_enabled = { "event_sync_standin" }\n'
            f'    api_prefix = "{prefix}"\n'
            f'    api_headers = {{ ["Authorization"] = "Bearer {TOKEN}" }}\n'
        ),
    )
    server.start()
    yield server
    server.stop()


async def test_prosodys_requests_are_accepted_end_to_end(
    hooks: Client, sync_server: prosody.Prosody
) -> None:
    ana = Participant(sync_server, "synced", "Ana")
    await ana.connect()
    await ana.join(ask_focus=False)
    await asyncio.sleep(0.5)
    await ana.leave()
    await ana.close()

    async def stored() -> list[str]:
        return [event.event_type for event in await rows(hooks, WebhookEvent)]

    async with asyncio.timeout(15):
        while len(await stored()) < 4:
            await asyncio.sleep(0.1)
    assert sorted(await stored()) == sorted(
        ["muc-room-created", "muc-occupant-joined", "muc-occupant-left", "muc-room-destroyed"]
    )
    assert "answered 200" in sync_server.log_text
    await applied(hooks)
    [stay] = await rows(hooks, Attendance)
    assert (stay.room, stay.name) == ("synced", "Ana")
    assert stay.left_at is not None
