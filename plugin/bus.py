"""The one in-process bus for meeting events: subscription per event type, in order.

Handlers run synchronously in `publish` and must not block; a desk that needs the
database puts events in its own `Inbox` and applies them one at a time, in order.
A handler that fails is logged and the others still run.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from facilitation.meeting_events import MeetingEvent
from plugin.tasks import BackgroundTasks

log = logging.getLogger(__name__)
E = TypeVar("E", bound=MeetingEvent)
Handler = Callable[[Any], None]


class EventBus:
    def __init__(self) -> None:
        self._handlers: defaultdict[type[MeetingEvent], list[Handler]] = defaultdict(list)

    def subscribe(self, kind: type[E], handler: Callable[[E], None]) -> Callable[[], None]:
        """Call `handler` with every event of exactly this type; returns the unsubscribe."""
        handlers = self._handlers[kind]
        handlers.append(handler)

        def unsubscribe() -> None:
            if handler in handlers:
                handlers.remove(handler)

        return unsubscribe

    def subscribe_all(
        self, kinds: tuple[type[MeetingEvent], ...], handler: Callable[[Any], None]
    ) -> Callable[[], None]:
        undo = [self.subscribe(kind, handler) for kind in kinds]

        def unsubscribe() -> None:
            for one in undo:
                one()

        return unsubscribe

    def publish(self, event: MeetingEvent) -> None:
        for handler in tuple(self._handlers.get(type(event), ())):
            try:
                handler(event)
            except Exception:  # one broken subscriber must not silence the others
                log.exception("a subscriber failed on %s", type(event).__name__)


class Inbox:
    """A desk's ordered queue of events, applied one at a time by `apply`."""

    def __init__(self, name: str, apply: Callable[[Any], Awaitable[None]]) -> None:
        self.name = name
        self._apply = apply
        self._queue: asyncio.Queue[MeetingEvent] = asyncio.Queue()
        self._tasks = BackgroundTasks()
        self._unsubscribe: list[Callable[[], None]] = []

    def listen(self, bus: EventBus, *kinds: type[MeetingEvent]) -> None:
        self._unsubscribe.append(bus.subscribe_all(kinds, self._queue.put_nowait))

    def start(self) -> None:
        self._tasks.spawn(self._consume(), self.name)

    async def _consume(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                await self._apply(event)
            except Exception:  # one bad event must not stop the desk for everyone
                log.exception("%s: could not apply %s", self.name, type(event).__name__)
            finally:
                self._queue.task_done()

    async def settled(self) -> None:
        """Wait until every event received so far has been applied."""
        await self._queue.join()

    async def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        await self._tasks.close()
