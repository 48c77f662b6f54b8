"""Fan-out of live events to the consoles watching a session."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from facilitation.live_events import LiveEvent

log = logging.getLogger(__name__)

Message = dict[str, Any] | None  # None tells a subscriber to stop
QUEUE_LIMIT = 256


class LiveHub:
    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[Message]]] = defaultdict(set)

    @contextmanager
    def subscribe(self, session_id: str) -> Iterator[asyncio.Queue[Message]]:
        queue: asyncio.Queue[Message] = asyncio.Queue(QUEUE_LIMIT)
        self._subscribers[session_id].add(queue)
        try:
            yield queue
        finally:
            subscribers = self._subscribers.get(session_id)
            if subscribers is not None:
                subscribers.discard(queue)
                if not subscribers:
                    del self._subscribers[session_id]

    def publish(self, session_id: str, event: LiveEvent, data: dict[str, Any]) -> int:
        """Queue the event for every console of the session; returns how many got it.

        A console that has fallen QUEUE_LIMIT events behind is told to stop; its page
        reconnects and reloads the state from the server instead of drifting.
        """
        message = {"event": event.value, "sessionId": session_id, **data}
        delivered = 0
        for queue in list(self._subscribers.get(session_id, ())):
            try:
                queue.put_nowait(message)
                delivered += 1
            except asyncio.QueueFull:
                log.warning("console for session %s fell behind; disconnecting it", session_id)
                self._stop(queue)
        return delivered

    def count(self) -> int:
        return sum(len(subs) for subs in self._subscribers.values())

    def close(self) -> None:
        for subscribers in self._subscribers.values():
            for queue in subscribers:
                self._stop(queue)

    @staticmethod
    def _stop(queue: asyncio.Queue[Message]) -> None:
        while not queue.empty():
            queue.get_nowait()
        queue.put_nowait(None)
