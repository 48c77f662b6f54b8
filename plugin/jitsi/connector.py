"""One bot per live session: started with the session, stopped when it ends, all owned by
the app's `cleanup_ctx`. Events go to the consoles at once and to the database in order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from facilitation.live_events import LiveEvent
from plugin.clock import Clock
from plugin.db import participants
from plugin.db import sessions as sessions_db
from plugin.db.engine import Database
from plugin.db.models import MeetingSession
from plugin.jitsi.bot import BotConfig, BotState, Emit, MeetingBot
from plugin.jitsi.jid import RoomAddress
from plugin.jitsi.tokens import mint_token
from plugin.jitsi.xmpp import with_query
from plugin.live import LiveHub
from plugin.metrics import Metrics
from plugin.settings import Settings
from plugin.tasks import BackgroundTasks

log = logging.getLogger(__name__)
WRITE_BATCH = 200
WRITE_RETRY_SECONDS = 1.0
STOP_TIMEOUT = 10.0
Write = tuple[str, LiveEvent, dict[str, Any], datetime]


class Connector:
    def __init__(
        self, settings: Settings, hub: LiveHub, database: Database, clock: Clock, metrics: Metrics
    ) -> None:
        self.settings = settings
        self.hub = hub
        self.database = database
        self.clock = clock
        self.metrics = metrics
        self.bots: dict[str, MeetingBot] = {}
        # Called with every event of every bot, in order (the speaking queue listens);
        # they must not block.
        self.listeners: list[Callable[[str, LiveEvent, dict[str, Any]], None]] = []
        self._runs: dict[str, asyncio.Task[Any]] = {}
        self._tasks = BackgroundTasks()
        # Unbounded on purpose: while the database is down, events wait here rather than
        # being dropped; a meeting makes a few per second at most.
        self._writes: asyncio.Queue[Write | None] = asyncio.Queue()
        self._writer: asyncio.Task[Any] | None = None
        self._queued = 0
        self._written = 0
        self._progress = asyncio.Event()

    @property
    def enabled(self) -> bool:
        return self.settings.connector_enabled

    async def open(self) -> None:
        """Start the writer, then a bot for every session that was live at shutdown."""
        self._writer = self._tasks.spawn(self._write_loop(), "connector-writer")
        if not self.enabled:
            return
        async with self.database.session() as db:
            live = await sessions_db.all_live(db)
        for session in live:
            self.start(session)

    def config_for(self, session: MeetingSession) -> BotConfig:
        settings = self.settings
        base = settings.websocket_url(session.jitsi_base, session.tenant)
        prefix = session.tenant if settings.xmpp_websocket_url else None
        room, tenant = session.room, session.tenant
        bot_id = f"facilitate-{session.id}"

        def make_url() -> str:
            token = None
            if settings.jwt_app_id and settings.jwt_app_secret:
                token = mint_token(
                    app_id=settings.jwt_app_id,
                    secret=settings.jwt_app_secret.get_secret_value(),
                    audience=settings.jwt_audience,
                    domain=settings.xmpp_domain,
                    room=room,
                    tenant=tenant,
                    display_name=settings.bot_display_name,
                    bot_id=bot_id,
                    now=self.clock.now(),
                )
            return with_query(base, room=room, prefix=prefix, token=token)

        return BotConfig(
            make_url=make_url,
            domain=settings.xmpp_domain,
            focus=settings.focus,
            breakout=settings.breakout,
            polls=settings.polls,
            display_name=settings.bot_display_name,
            ping_seconds=settings.xmpp_ping_seconds,
            ping_timeout=settings.xmpp_ping_timeout_seconds,
            backoff_cap=settings.reconnect_max_seconds,
            rejoin_grace=settings.rejoin_grace_seconds,
        )

    def start(self, session: MeetingSession) -> MeetingBot | None:
        """Send a bot into the session's meeting (once; a second call returns the first)."""
        if not self.enabled:
            return None
        existing = self.bots.get(session.id)
        if existing is not None:
            return existing
        address = RoomAddress(session.room, session.tenant, self.settings.muc_domain)
        bot = MeetingBot(
            session.id, address, self.config_for(session), self._emitter(session.id), self.clock
        )
        self.bots[session.id] = bot
        self._runs[session.id] = self._tasks.spawn(bot.run(), f"bot-{session.id}")
        return bot

    async def stop(self, session_id: str) -> None:
        """Take the session's bot out of its meeting, wherever it is in its life."""
        bot = self.bots.pop(session_id, None)
        run = self._runs.pop(session_id, None)
        if bot is not None:
            await bot.stop()
        if run is not None:
            run.cancel()  # it may be connecting or waiting to reconnect
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(run, STOP_TIMEOUT)

    async def stop_and_flush(self, session_id: str) -> None:
        """Stop the session's bot and wait until everything it saw is stored."""
        await self.stop(session_id)
        await asyncio.wait_for(self.flush(), STOP_TIMEOUT)

    def bot(self, session_id: str) -> MeetingBot | None:
        return self.bots.get(session_id)

    def state(self, session_id: str) -> str:
        """For the console: disabled, starting, connected, interrupted, removed or stopped."""
        if not self.enabled:
            return "disabled"
        bot = self.bots.get(session_id)
        return bot.state.value if bot is not None else BotState.STOPPED.value

    def states(self) -> dict[str, int]:
        """How many bots are in each state, every state listed (for /healthz and /metrics)."""
        counts = {state.value: 0 for state in BotState if state is not BotState.STOPPED}
        for bot in self.bots.values():
            if bot.state is not BotState.STOPPED:
                counts[bot.state.value] += 1
        return counts

    def participant_count(self) -> int:
        return sum(len(bot.roster.members) for bot in self.bots.values())

    def _emitter(self, session_id: str) -> Emit:
        def emit(event: LiveEvent, data: dict[str, Any]) -> None:
            self.hub.publish(session_id, event, data)
            for listener in self.listeners:
                listener(session_id, event, data)
            if event is LiveEvent.CONNECTION_RESTORED:
                self.metrics.bot_reconnects.inc()
            self._queued += 1
            self._writes.put_nowait((session_id, event, data, self.clock.now()))

        return emit

    async def _write_loop(self) -> None:
        """Apply roster events to the database in arrival order, in batches."""
        while True:
            first = await self._writes.get()
            if first is None:
                return
            batch = [first]
            done = False
            while len(batch) < WRITE_BATCH and not self._writes.empty():
                item = self._writes.get_nowait()
                if item is None:
                    done = True
                    break
                batch.append(item)
            await self._write(batch)
            self._written += len(batch)
            self._progress.set()
            if done:
                return

    async def _write(self, batch: list[Write]) -> None:
        """Commit a batch. While the database is unreachable, retry until it lands (a lost
        raised hand or join would be worse than a late one). Any other failure is one bad
        event: write the rest one by one and log the one that cannot be stored."""
        while True:
            try:
                await self._apply(batch)
                return
            except (OperationalError, InterfaceError, OSError) as exc:
                log.warning("database unreachable (%s); retrying %d roster events", exc, len(batch))
                await asyncio.sleep(WRITE_RETRY_SECONDS)
            except DBAPIError:
                break
        for item in batch:
            try:
                await self._apply([item])
            except DBAPIError:
                log.exception("could not store %s for session %s; skipped", item[1], item[0])

    async def _apply(self, batch: list[Write]) -> None:
        async with self.database.session() as db:
            for session_id, event, data, at in batch:
                await participants.apply_event(db, session_id, event, data, at)
            await db.commit()

    async def flush(self) -> None:
        """Wait until every event emitted before this call is in the database."""
        target = self._queued
        while self._written < target:
            self._progress.clear()
            await self._progress.wait()

    async def close(self) -> None:
        await asyncio.gather(*(self.stop(session_id) for session_id in list(self.bots)))
        self._writes.put_nowait(None)  # after the bots: nothing can be queued behind it
        if self._writer is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._writer), STOP_TIMEOUT)
            except TimeoutError:
                log.error("roster writes still pending at shutdown")
        await self._tasks.close()
