"""Console actions on people: the speaking queue (one form posts every action) and naming
phone callers. Both work without JavaScript (the page reloads); the console script sends the
same queue form and asks for JSON."""

from __future__ import annotations

import re

from aiohttp import web

from facilitation.meeting_events import NameGiven
from facilitation.queue import Stale
from plugin import keys
from plugin.db import audit
from plugin.db import participants as participants_db
from plugin.desks.speaking import BadAction
from plugin.web.auth import require_login, signed_in
from plugin.web.console_view import render_console
from plugin.web.forms import form_fields
from plugin.web.pages import page
from plugin.web.session_access import SESSION_PATH, can_run, session_for, starters_only

routes = web.RouteTableDef()
SEQ = re.compile(r"[0-9]{1,11}")  # ASCII digits only ("²" is a digit to str.isdigit)


def _wants_json(request: web.Request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@routes.get(SESSION_PATH + "/queue", name="queue_panel")
@require_login
async def queue_panel(request: web.Request) -> web.StreamResponse:
    """The queue panel alone, for the console script to refresh after a change. A browser
    that opens it as a page is sent to the console instead."""
    async with request.app[keys.DATABASE].session() as db:
        session = await session_for(request, db)
        people = await participants_db.present(db, session.id)
        runs = await can_run(request, db, session)
    if request.headers.get("X-Requested-With") != "console":
        raise web.HTTPSeeOther(f"/sessions/{session.id}#queue")
    context = {
        "session": session,
        "queue": await request.app[keys.QUEUE].view(session.id),
        "present": [p for p in people if p.jitsi_id],
        "stale": False,
        "can_run": runs,
    }
    return page(request, "_queue_panel.html", context)


@routes.post(SESSION_PATH + "/queue", name="queue_action")
@starters_only
async def queue_action(request: web.Request) -> web.StreamResponse:
    fields = await form_fields(request, "action", "participant", "policy", "seq")
    async with request.app[keys.DATABASE].session() as db:
        session = await session_for(request, db, to_run=True)
    console = f"/sessions/{session.id}"
    if session.ended_at is not None:
        raise web.HTTPConflict(reason="The session has ended")
    seq = fields["seq"].strip()
    if seq and not SEQ.fullmatch(seq):
        raise web.HTTPBadRequest(reason="seq must be a number")
    try:
        queue = await request.app[keys.QUEUE].act(
            session.id,
            fields["action"],
            participant=fields["participant"][:120] or None,
            policy=fields["policy"] or None,
            based_on=int(seq) if seq else None,
        )
    except BadAction as exc:
        if _wants_json(request):
            return web.json_response({"error": str(exc)}, status=400)
        raise web.HTTPBadRequest(reason=str(exc)) from exc
    except Stale:
        current = await request.app[keys.QUEUE].load(session.id)
        if _wants_json(request):
            return web.json_response(
                {"error": "the queue changed; nothing was done", "seq": current.action_seq},
                status=409,
            )
        raise web.HTTPSeeOther(f"{console}?stale=1#queue") from None
    if _wants_json(request):
        return web.json_response({"seq": queue.seq})
    raise web.HTTPSeeOther(f"{console}#queue")


@routes.post(SESSION_PATH + "/participants/name", name="name_participant")
@starters_only
async def name_participant(request: web.Request) -> web.StreamResponse:
    """A facilitator names a phone caller (who is otherwise "…123"): shown on the console,
    in the queue and with their check-out. Never sent into the meeting."""
    fields = await form_fields(request, "participant", "name")
    name = " ".join(fields["name"].split())
    if len(name) > 60 or any(not c.isprintable() for c in name):
        # The console again, with the error at the caller's field and in its summary.
        return await render_console(request, status=400, name_error=fields["participant"])
    async with request.app[keys.DATABASE].session() as db:
        session = await session_for(request, db, to_run=True)
        person = await participants_db.open_row(db, session.id, fields["participant"][:120])
        if person is None:
            raise web.HTTPNotFound()
        person.given_name = name or None
        db.add(person)
        audit.record(
            db,
            at=request.app[keys.CLOCK].now(),
            actor_id=signed_in(request).id,
            action="participant.named",
            target=f"session:{session.id}",
        )
        await db.commit()
        shown = person.shown_name
    request.app[keys.BUS].publish(NameGiven(session.id, fields["participant"], shown))
    await request.app[keys.QUEUE].publish(
        session.id, await request.app[keys.QUEUE].load(session.id)
    )
    raise web.HTTPSeeOther(f"/sessions/{session.id}")
