"""`/sessions/{id}/live`: the console's WebSocket, pushing IFrame-API-style JSON events."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from facilitation.live_events import LiveEvent
from plugin import keys
from plugin.db import accounts
from plugin.desks.console import Message
from plugin.web.auth import current_account
from plugin.web.session_access import SESSION_PATH, session_for

routes = web.RouteTableDef()
# How often an open console re-checks that its sign-in is still valid.
RECHECK_SECONDS = 30.0
CLOSE_SIGNED_OUT = 4401  # application close code, after HTTP 401


def _same_origin(request: web.Request) -> bool:
    """Browsers always send Origin on WebSocket upgrades; refuse other sites (CSWSH)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    allowed = urlsplit(request.app[keys.SETTINGS].base_url)
    given = urlsplit(origin)
    own = (request.scheme, request.host)
    return (given.scheme, given.netloc) in {(allowed.scheme, allowed.netloc), own}


@routes.get(SESSION_PATH + "/live", name="live")
async def live(request: web.Request) -> web.StreamResponse:
    if current_account(request) is None:
        raise web.HTTPUnauthorized(reason="sign in first")
    if not _same_origin(request):
        raise web.HTTPForbidden(reason="cross-origin WebSocket refused")
    async with request.app[keys.DATABASE].session() as db:
        session = await session_for(request, db)  # the console's own rule: strangers get 404

    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=4096)
    await ws.prepare(request)
    with request.app[keys.HUB].subscribe(session.id) as queue:
        await ws.send_json(
            {
                "event": LiveEvent.CONSOLE_READY.value,
                "sessionId": session.id,
                "ended": session.ended_at is not None,
            }
        )
        reader: asyncio.Future[Any] = asyncio.ensure_future(_drain_incoming(ws))
        getter: asyncio.Future[Any] = asyncio.ensure_future(queue.get())
        try:
            while True:
                await asyncio.wait(
                    {getter, reader}, timeout=RECHECK_SECONDS, return_when=asyncio.FIRST_COMPLETED
                )
                if reader.done():
                    break  # the console went away
                if not getter.done():
                    if not await _still_signed_in(request):
                        await ws.close(code=CLOSE_SIGNED_OUT, message=b"signed out")
                        break
                    continue
                message: Message = getter.result()
                if message is None:
                    break  # shutting down, or the console fell too far behind
                await ws.send_json(message)
                getter = asyncio.ensure_future(queue.get())
        finally:
            for task in (getter, reader):
                task.cancel()
            await asyncio.gather(getter, reader, return_exceptions=True)
            await ws.close()
    return ws


async def _still_signed_in(request: web.Request) -> bool:
    """Sign-out, disabling (from the web or the CLI) and expiry all end the live feed."""
    async with request.app[keys.DATABASE].session() as db:
        account = await accounts.account_for_login(
            db, request[keys.SID], request.app[keys.CLOCK].now()
        )
    return account is not None


async def _drain_incoming(ws: web.WebSocketResponse) -> None:
    """Consoles only listen; reading keeps pings answered and notices the close."""
    async for message in ws:
        if message.type == WSMsgType.ERROR:
            break
