"""The SQLite writer process: a crash costs at most a retry, never an acknowledged event."""

from __future__ import annotations

import os
import signal

from plugin import keys
from plugin.db.models import Attendance, WebhookEvent
from tests.conftest import Client, app_of
from tests.webhooks.conftest import applied, post_prosody
from tests.webhooks.test_prosody import T0, joined, rows


async def test_a_killed_writer_is_restarted_and_nothing_acknowledged_is_lost(
    hooks: Client,
) -> None:
    intake = app_of(hooks)[keys.INTAKE]
    assert (await post_prosody(hooks, "occupant/joined", joined(1, T0))).status == 200
    writer = intake.writer
    assert writer is not None
    first = writer.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)

    acknowledged = {1}
    statuses = []
    for n in range(2, 6):
        response = await post_prosody(hooks, "occupant/joined", joined(n, T0))
        statuses.append(response.status)
        assert response.status in (200, 503)  # a 503 asks the sender to retry
        if response.status == 200:
            acknowledged.add(n)
    assert statuses[-1] == 200
    assert writer.pid not in (None, first)  # a new helper took over

    stored = {row.payload["occupant"]["occupant_jid"] for row in await rows(hooks, WebhookEvent)}
    assert {f"{n:08x}-user@meet.jitsi/res{n}" for n in acknowledged} <= stored


async def test_the_writer_applies_events_to_attendance(hooks: Client) -> None:
    assert (await post_prosody(hooks, "occupant/joined", joined(7, T0))).status == 200
    await applied(hooks)
    stays = await rows(hooks, Attendance)
    assert [stay.occupant for stay in stays] == ["00000007-user@meet.jitsi/res7"]
