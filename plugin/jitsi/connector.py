"""One bot per live session: started with the session, stopped when it ends, all owned by
the app's `cleanup_ctx`. The connector is an adapter: what the bots see is published on
the bus as typed meeting events, and desks subscribe (the presence desk stores it)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from facilitation.meeting_events import AssistantRestored, MeetingEvent
from plugin.bus import EventBus
from plugin.clock import Clock
from plugin.db import sessions as sessions_db
from plugin.db.engine import Database
from plugin.db.models import MeetingSession
from plugin.jitsi.bot import MeetingBot
from plugin.jitsi.bot_types import BotConfig, BotState, Emit
from plugin.jitsi.group_rooms import GroupRooms
from plugin.jitsi.jid import RoomAddress
from plugin.jitsi.sasl import Credentials
from plugin.jitsi.tokens import mint_token
from plugin.jitsi.urls import with_query
from plugin.metrics import Metrics
from plugin.settings import Settings
from plugin.tasks import BackgroundTasks

log = logging.getLogger(__name__)
STOP_TIMEOUT = 10.0


def account_of(settings: Settings) -> Credentials | None:
    """The assistant's XMPP account, when one is configured (else it signs in anonymously)."""
    if not settings.xmpp_username or settings.xmpp_password is None:
        return None
    return Credentials(
        settings.xmpp_username,
        settings.xmpp_login_domain,
        settings.xmpp_password.get_secret_value(),
    )


class Connector:
    def __init__(
        self, settings: Settings, bus: EventBus, database: Database, clock: Clock, metrics: Metrics
    ) -> None:
        self.settings = settings
        self.bus = bus
        self.database = database
        self.clock = clock
        self.metrics = metrics
        self.bots: dict[str, MeetingBot] = {}
        self._runs: dict[str, asyncio.Task[Any]] = {}
        self._tasks = BackgroundTasks()
        self.groups = GroupRooms(settings, bus, clock, self.config_for, self.bot)

    @property
    def enabled(self) -> bool:
        return self.settings.connector_enabled

    async def open(self) -> None:
        """Start a bot for every session that was live at shutdown."""
        if not self.enabled:
            return
        async with self.database.session() as db:
            live = await sessions_db.all_live(db)
        for session in live:
            self.start(session)

    def config_for(self, session: MeetingSession, room: str | None = None) -> BotConfig:
        """The bot's settings for the session's meeting, or for another room of the same
        deployment (a breakout group's own room)."""
        settings = self.settings
        base = settings.websocket_url(session.jitsi_base, session.tenant)
        prefix = session.tenant if settings.xmpp_websocket_url else None
        room, tenant = room or session.room, session.tenant
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
            move_grace=settings.breakout_move_grace_seconds,
            polls_style=settings.polls_style,
            credentials=account_of(settings),
            jigasi_domains=settings.jigasi_trusted_domains,
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
        """Take the session's bot out of its meeting (and out of its groups' rooms),
        wherever it is in its life."""
        await self.groups.stop_all(session_id)
        bot = self.bots.pop(session_id, None)
        run = self._runs.pop(session_id, None)
        if bot is not None:
            await bot.stop()
        if run is not None:
            run.cancel()  # it may be connecting or waiting to reconnect
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(run, STOP_TIMEOUT)

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
        return sum(len(bot.roster.people()) for bot in self.bots.values())

    def _emitter(self, session_id: str) -> Emit:
        def emit(event: MeetingEvent) -> None:
            if isinstance(event, AssistantRestored):
                self.metrics.bot_reconnects.inc()
            self.bus.publish(event)

        return emit

    async def close(self) -> None:
        await asyncio.gather(*(self.stop(session_id) for session_id in list(self.bots)))
        await self.groups.close()
        await self._tasks.close()
