"""What a phone call does in a meeting another instance runs (a join, a leave, `*9`, a
keypad answer, a check-out flag), passed on through the database.

The instance the call reached stores the input in `cluster_message` and notifies; the
meeting's owner takes every input waiting for its meetings in one `DELETE ... RETURNING`,
in the order they were stored, and publishes them on its bus. One consumer does the taking,
so inputs are applied in order and once. An owner that dies before taking them leaves them
for the next owner, which takes them after its takeover (every heartbeat wakes the
consumer). The consumer starts once the desks are listening, so none is published to
nobody at start-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from sqlalchemy import text

from facilitation.meeting_events import MeetingEvent
from plugin.bus import EventBus
from plugin.cluster import codec
from plugin.cluster.relay import PgRelay
from plugin.db.engine import Database

log = logging.getLogger(__name__)
INPUT = "facilitate_input"
IDLE_SECONDS = 5.0

_STORE = text(
    "INSERT INTO cluster_message (kind, session_id, body, created_at) "
    "VALUES ('input', :s, :b, now()) RETURNING id"
)
_TAKE = text(
    "WITH gone AS (DELETE FROM cluster_message WHERE kind = 'input' "
    "AND session_id = ANY(:held) RETURNING id, body) SELECT body FROM gone ORDER BY id"
)


class PassedInputs:
    def __init__(
        self,
        database: Database,
        relay: PgRelay,
        bus: EventBus,
        instance_id: str,
        held: Callable[[], set[str]],
    ) -> None:
        self.database = database
        self.relay = relay
        self.bus = bus
        self.instance_id = instance_id
        self._held = held
        self._wake = asyncio.Event()

    def listen(self) -> None:
        """Before the relay opens."""
        self.relay.on(INPUT, self._noted)

    async def pass_on(self, event: MeetingEvent, owner: str) -> None:
        """Store the input for `owner` and tell it; raises SQLAlchemyError if it cannot."""
        async with self.database.engine.begin() as conn:
            stored = await conn.execute(_STORE, {"s": event.session_id, "b": codec.encode(event)})
            message_id = stored.scalar_one()
        log.debug("cluster: passed a %s on to %s", type(event).__name__, owner)
        self.relay.send(INPUT, f"{owner} {message_id}")

    def _noted(self, payload: str) -> None:
        if payload.partition(" ")[0] == self.instance_id:
            self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), IDLE_SECONDS)
            self._wake.clear()
            try:
                await self._take()
            except Exception as exc:  # the next wake tries again; nothing was deleted
                log.warning("cluster: could not take the inputs passed on: %s", exc)

    async def _take(self) -> None:
        held = sorted(self._held())
        if not held:
            return
        async with self.database.engine.begin() as conn:
            bodies = [str(row[0]) for row in await conn.execute(_TAKE, {"held": held})]
        for body in bodies:
            try:
                self.bus.publish(codec.decode(body))
            except codec.NotAnInput as exc:
                log.warning("cluster: dropped a message that is not an input: %s", exc)
