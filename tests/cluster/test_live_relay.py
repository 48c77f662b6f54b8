"""Console updates through PostgreSQL's NOTIFY: small and large (over NOTIFY's 8000-byte
limit, stored in cluster_message) arrive on every instance's consoles in the order sent."""

from __future__ import annotations

import asyncio

import pytest

from facilitation.live_events import LiveEvent
from plugin.cluster.live import LiveUpdates
from plugin.cluster.relay import PgRelay
from plugin.db.engine import Database, make_engine
from plugin.desks.console import LiveHub

pytestmark = pytest.mark.postgres


async def test_small_and_large_updates_reach_every_instance_in_order(pg_url: str) -> None:
    database = Database(make_engine(pg_url))
    hubs = [LiveHub(), LiveHub()]
    relays = [PgRelay(pg_url), PgRelay(pg_url)]
    lives = [LiveUpdates(relay, hub, database) for relay, hub in zip(relays, hubs, strict=True)]
    tasks = []
    for live, relay in zip(lives, relays, strict=True):
        live.listen()
        await relay.open()
        tasks.append(asyncio.create_task(live.deliver()))
    try:
        with hubs[0].subscribe("s1") as first, hubs[1].subscribe("s1") as second:
            big = "x" * 20_000  # a roster of hundreds of people, say
            assert hubs[0].publish("s1", LiveEvent.QUEUE_UPDATED, {"n": 1}) == 0  # via NOTIFY
            hubs[0].publish("s1", LiveEvent.QUEUE_UPDATED, {"n": 2, "big": big})
            hubs[0].publish("s1", LiveEvent.QUEUE_UPDATED, {"n": 3})
            hubs[1].publish("s1", LiveEvent.QUEUE_UPDATED, {"n": 4})  # from the other one
            hubs[0].publish("other", LiveEvent.QUEUE_UPDATED, {"n": 5})  # nobody watches it
            orders = []
            for queue in (first, second):
                got = [await asyncio.wait_for(queue.get(), 5) for _ in range(4)]
                numbers = [int(message["n"]) for message in got if message is not None]
                # One sender's updates keep their order, the large one included ...
                assert [n for n in numbers if n != 4] == [1, 2, 3]
                assert any(m is not None and m.get("big") == big for m in got)
                orders.append(numbers)
                await asyncio.sleep(0.2)
                assert queue.empty()
            # ... and every instance's consoles see one and the same order.
            assert orders[0] == orders[1]
    finally:
        for live, relay, task in zip(lives, relays, tasks, strict=True):
            live.stop()
            task.cancel()
            await relay.close()
        await database.close()
