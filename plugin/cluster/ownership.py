"""Who runs each meeting. This base class is the one instance on SQLite: it owns every
meeting, applies every input itself and passes nothing on."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from facilitation.meeting_events import MeetingEvent
from plugin.bus import EventBus
from plugin.db.models import MeetingSession
from plugin.jitsi.connector import Connector


def new_instance_id() -> str:
    """host:pid:random, readable in `facilitate check` and unique across restarts."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class Report:
    """What `/healthz` and `facilitate check` say about this instance."""

    instance: str
    role: str
    meetings: tuple[str, ...]
    schedule: bool


class Ownership:
    role = "sole"

    def __init__(self, connector: Connector, bus: EventBus) -> None:
        self.connector = connector
        self.bus = bus
        self.instance_id = new_instance_id()
        self._lost: list[Callable[[str], None]] = []

    async def open(self) -> None:
        await self.connector.open()  # an assistant back in every meeting live at shutdown

    async def close(self) -> None:
        return None

    def owns(self, session_id: str) -> bool:
        return True

    def start_inputs(self) -> None:
        """Every desk is listening (nothing to pass on with one instance)."""
        return None

    def runs_schedule(self) -> bool:
        """The jobs run once for all instances (purges, forgotten check-outs) run here."""
        return True

    async def adopt(self, session: MeetingSession) -> None:
        """A session started here: its assistant goes in."""
        self.connector.start(session)

    async def release(self, session_id: str) -> None:
        """The session ended: nobody runs its meeting any more."""
        return None

    async def deliver(self, event: MeetingEvent) -> None:
        """An input from outside the meeting (a phone call): applied by the owner."""
        self.bus.publish(event)

    async def owner_url(self, session_id: str) -> str | None:
        """Another instance's address when it owns the meeting, else None (this one)."""
        return None

    def has_assistant(self, session_id: str) -> bool:
        return self.connector.enabled and session_id in self.connector.bots

    def on_lost(self, forget: Callable[[str], None]) -> None:
        """`forget(session_id)` when this instance stops owning a meeting (state it kept
        in memory for it is stale from then on)."""
        self._lost.append(forget)

    def _forget(self, session_id: str) -> None:
        for forget in self._lost:
            forget(session_id)

    def report(self) -> Report:
        return Report(self.instance_id, self.role, tuple(sorted(self.connector.bots)), True)
