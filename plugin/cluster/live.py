"""Console updates between instances: every message a console would get goes out through
PostgreSQL (NOTIFY) and comes back to every instance, this one included, which hands it to
its own consoles. One order everywhere: the order PostgreSQL delivered them in."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from sqlalchemy import text

from plugin.cluster.relay import PgRelay
from plugin.db.engine import Database
from plugin.desks.console import LiveHub

log = logging.getLogger(__name__)
LIVE = "facilitate_live"


class LiveUpdates:
    def __init__(self, relay: PgRelay, hub: LiveHub, database: Database) -> None:
        self.relay = relay
        self.hub = hub
        self.database = database
        self._incoming: asyncio.Queue[str] = asyncio.Queue()

    def listen(self) -> None:
        """Before the relay opens: take the hub's messages out, and in again."""
        self.relay.on(LIVE, self._incoming.put_nowait)
        self.relay.on_gap(self.hub.close)  # consoles reconnect and reload what they missed
        self.hub.forward = self._send

    def stop(self) -> None:
        self.hub.forward = None

    def _send(self, session_id: str, message: dict[str, Any]) -> None:
        payload = json.dumps({"s": session_id, "m": message}, separators=(",", ":"))
        self.relay.send(LIVE, payload, session_id)

    async def deliver(self) -> None:
        """Hand each update to this instance's consoles, in the order they came."""
        while True:
            payload = await self._incoming.get()
            try:
                if payload.startswith("@"):
                    payload = await self._large(int(payload[1:]))
                data = json.loads(payload)
                self.hub.deliver(str(data["s"]), data["m"])
            except Exception as exc:  # a bad or lost update must not stop the others
                log.warning("cluster: a console update could not be read: %s", exc)

    async def _large(self, message_id: int) -> str:
        async with self.database.engine.connect() as conn:
            body = (
                await conn.execute(
                    text("SELECT body FROM cluster_message WHERE id = :id"), {"id": message_id}
                )
            ).scalar_one()
        return str(body)
