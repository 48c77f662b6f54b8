"""`/sessions/{id}/live`: the console's WebSocket, pushing IFrame-API-style JSON events."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from facilitation.live_events import LiveEvent
from facilitation.roles import Role
from plugin import keys
from plugin.db import sessions as sessions_db
from plugin.web.auth import current_account
from plugin.web.routes_sessions import SESSION_PATH

routes = web.RouteTableDef()


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
    account = current_account(request)
    if account is None:
        raise web.HTTPUnauthorized(reason="sign in first")
    if not _same_origin(request):
        raise web.HTTPForbidden(reason="cross-origin WebSocket refused")
    session_id = request.match_info["session_id"]
    async with request.app[keys.DATABASE].session() as db:
        session = await sessions_db.get(db, session_id)
        allowed = session is not None and (
            Role(account.role).sees_every_session
            or await sessions_db.is_member(db, session_id, account.id or 0)
        )
    if session is None or not allowed:
        raise web.HTTPNotFound()

    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=4096)
    await ws.prepare(request)
    hub = request.app[keys.HUB]
    with hub.subscribe(session_id) as queue:
        await ws.send_json(
            {
                "event": LiveEvent.CONSOLE_READY.value,
                "sessionId": session_id,
                "ended": session.ended_at is not None,
            }
        )
        reader = asyncio.ensure_future(_drain_incoming(ws))
        try:
            while True:
                getter = asyncio.ensure_future(queue.get())
                await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
                if not getter.done():
                    break  # the console went away
                message = getter.result()
                if message is None:
                    break  # shutting down, or the console fell too far behind
                await ws.send_json(message)
        finally:
            for task in (getter, reader):
                task.cancel()
            await asyncio.gather(getter, reader, return_exceptions=True)
            await ws.close()
    return ws


async def _drain_incoming(ws: web.WebSocketResponse) -> None:
    """Consoles only listen; reading keeps pings answered and notices the close."""
    async for message in ws:
        if message.type == WSMsgType.ERROR:
            break
