"""PostgreSQL LISTEN/NOTIFY between instances: one connection listens, one sends.

Notifications are sent one after another from one connection, so every instance receives
them in the order they were sent; PostgreSQL delivers them in commit order to every
listener, this instance included. A payload over NOTIFY's limit is stored in
`cluster_message` and the notification carries `@<id>`.

When the listening connection drops, notifications sent meanwhile are lost to this
instance: it reconnects and calls each `on_gap` callback, so consoles reload the state
instead of drifting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from plugin.tasks import BackgroundTasks

log = logging.getLogger(__name__)
NOTIFY_LIMIT = 7900  # PostgreSQL's is 8000 bytes, channel name included
RECONNECT_SECONDS = 1.0
SEND_ATTEMPTS = 30
SEND_TIMEOUT = 5.0
CLOSE_SECONDS = 2.0
Handler = Callable[[str], None]


def plain_dsn(url: str) -> str:
    """The database URL as asyncpg takes it (no SQLAlchemy driver suffix)."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


class PgRelay:
    def __init__(self, url: str) -> None:
        self._dsn = plain_dsn(url)
        self._handlers: dict[str, Handler] = {}
        self._gap: list[Callable[[], None]] = []
        self._outgoing: asyncio.Queue[tuple[str, str, str | None]] = asyncio.Queue()
        self._listener: Any = None
        self._sender: Any = None
        self._tasks = BackgroundTasks()
        self._connected = asyncio.Event()
        self._lost = asyncio.Event()

    def on(self, channel: str, handler: Handler) -> None:
        """Call `handler(payload)` for each notification on `channel` (before `open`)."""
        self._handlers[channel] = handler

    def on_gap(self, callback: Callable[[], None]) -> None:
        self._gap.append(callback)

    async def open(self) -> None:
        """Listen now, or keep trying in the background (the service starts, and says
        503, while its database is down)."""
        try:
            await self._listen()
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            log.warning("cluster: cannot listen yet: %s", exc)
            self._lost.set()
        self._tasks.spawn(self._keep_listening(), "cluster-listen")
        self._tasks.spawn(self._send_loop(), "cluster-notify")

    def send(self, channel: str, payload: str, session_id: str | None = None) -> None:
        """Queue a notification; sent in order, as soon as possible."""
        self._outgoing.put_nowait((channel, payload, session_id))

    async def flushed(self) -> None:
        await self._outgoing.join()

    async def _listen(self) -> None:
        connection = await asyncpg.connect(self._dsn, timeout=5)
        for channel in self._handlers:
            await connection.add_listener(channel, self._received)
        connection.add_termination_listener(lambda _c: self._lost.set())
        self._listener = connection
        self._lost.clear()

    def _received(self, _conn: Any, _pid: int, channel: str, payload: str) -> None:
        handler = self._handlers.get(channel)
        if handler is None:
            return
        try:
            handler(payload)
        except Exception:  # one bad message must not stop the listener
            log.exception("cluster: could not handle a %s notification", channel)

    async def _keep_listening(self) -> None:
        while True:
            await self._lost.wait()
            log.warning("cluster: lost the LISTEN connection; reconnecting")
            while True:
                try:
                    await self._listen()
                    break
                except Exception as exc:  # whatever the reason, keep trying
                    log.warning("cluster: cannot listen yet: %s", exc)
                    await asyncio.sleep(RECONNECT_SECONDS)
            for callback in self._gap:
                callback()

    async def _send_loop(self) -> None:
        try:
            await self._sending()
        finally:
            if self._sender is not None:
                await _close(self._sender)

    async def _sending(self) -> None:
        connection: Any = None
        while True:
            channel, payload, session_id = await self._outgoing.get()
            try:
                for attempt in range(SEND_ATTEMPTS):
                    try:
                        if connection is None or connection.is_closed():
                            connection = await asyncpg.connect(self._dsn, timeout=5)
                            self._sender = connection
                        await asyncio.wait_for(
                            self._notify(connection, channel, payload, session_id), SEND_TIMEOUT
                        )
                        break
                    except Exception as exc:  # a broken connection, mostly: a new one
                        log.warning("cluster: cannot notify yet (try %d): %s", attempt + 1, exc)
                        if connection is not None:
                            with contextlib.suppress(Exception):
                                await connection.close()
                        connection = None
                        await asyncio.sleep(RECONNECT_SECONDS)
                else:  # consoles that missed it reload at the next gap or change
                    log.error("cluster: a %s notification was dropped", channel)
            finally:
                self._outgoing.task_done()

    @staticmethod
    async def _notify(connection: Any, channel: str, payload: str, session_id: str | None) -> None:
        if len(payload.encode()) > NOTIFY_LIMIT:
            kind = "live"
            message_id = await connection.fetchval(
                "INSERT INTO cluster_message (kind, session_id, body, created_at) "
                "VALUES ($1, $2, $3, now()) RETURNING id",
                kind,
                session_id,
                payload,
            )
            payload = f"@{message_id}"
        await connection.execute("SELECT pg_notify($1, $2)", channel, payload)

    async def check(self) -> None:
        """Is the listening connection still there? A silent network cut is noticed here
        (every heartbeat) instead of never: it is dropped and made again."""
        listener = self._listener
        if listener is None or self._lost.is_set():
            return
        try:
            await asyncio.wait_for(listener.execute("SELECT 1"), SEND_TIMEOUT)
        except Exception as exc:
            log.warning("cluster: the LISTEN connection does not answer: %s", exc)
            listener.terminate()
            self._lost.set()

    async def close(self) -> None:
        await self._tasks.close()
        if self._listener is not None:
            await _close(self._listener)


async def _close(connection: Any) -> None:
    """Close politely if the server answers at once, else cut the connection: a stop never
    waits on it."""
    try:
        await asyncio.wait_for(connection.close(), CLOSE_SECONDS)
    except Exception:  # no answer in time, or already broken
        connection.terminate()
    except asyncio.CancelledError:
        connection.terminate()
        raise
