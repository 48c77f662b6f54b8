"""The console's check-out controls: send everyone their link now, and choose who else
hosts (reviews the check-outs of) this session."""

from __future__ import annotations

from aiohttp import web

from facilitation.roles import Role
from plugin import keys
from plugin.db import accounts, audit
from plugin.db import sessions as sessions_db
from plugin.web.auth import require_role, signed_in
from plugin.web.forms import form_fields
from plugin.web.session_access import SESSION_PATH, session_for

routes = web.RouteTableDef()
starters_only = require_role(lambda role: role.can_start_sessions)


@routes.post(SESSION_PATH + "/checkout/start", name="start_checkout")
@starters_only
async def start_checkout(request: web.Request) -> web.StreamResponse:
    async with request.app[keys.DATABASE].session() as db:
        session = await session_for(request, db, to_run=True)
    sent = await request.app[keys.CHECKOUTS].send_links(session.id, only_missing=False)
    async with request.app[keys.DATABASE].session() as db:
        audit.record(
            db,
            at=request.app[keys.CLOCK].now(),
            actor_id=signed_in(request).id,
            action="checkout.started",
            target=f"session:{session.id}",
            links_sent=sent,
        )
        await db.commit()
    raise web.HTTPSeeOther(f"/sessions/{session.id}?links={sent}#checkout")


@routes.post(SESSION_PATH + "/hosts", name="add_host")
@starters_only
async def add_host(request: web.Request) -> web.StreamResponse:
    username = (await form_fields(request, "username"))["username"].strip().lower()
    now = request.app[keys.CLOCK].now()
    async with request.app[keys.DATABASE].session() as db:
        session = await session_for(request, db, to_run=True)
        account = await accounts.by_username(db, username[:64]) if username else None
        if account is None or account.disabled or account.id is None:
            raise web.HTTPSeeOther(f"/sessions/{session.id}?host=unknown#checkout")
        if Role(account.role) is Role.ADMIN or not await sessions_db.add_host(
            db, session.id, account.id
        ):
            raise web.HTTPSeeOther(f"/sessions/{session.id}?host=already#checkout")
        audit.record(
            db,
            at=now,
            actor_id=signed_in(request).id,
            action="session.host_added",
            target=f"session:{session.id}",
            account=account.id,
        )
        await db.commit()
    raise web.HTTPSeeOther(f"/sessions/{session.id}?host=added#checkout")
