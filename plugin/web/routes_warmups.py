"""Console actions on warm-ups: run one (from the list, a preview or Surprise me), close it.
Plain forms (the page reloads); the filters are a GET form on the console itself. A request
that cannot be done redraws the console with the reason at the panel (400)."""

from __future__ import annotations

import contextlib

from aiohttp import web

from facilitation.queue import Stale
from plugin import keys
from plugin.db import participants as participants_db
from plugin.desks.speaking import BadAction
from plugin.desks.warmups import WarmupError
from plugin.web.auth import require_login
from plugin.web.console_view import render_console
from plugin.web.forms import form_fields
from plugin.web.pages import page
from plugin.web.session_access import SESSION_PATH, can_run, session_for, starters_only
from plugin.web.warmups_view import filters_from, warmups_context

routes = web.RouteTableDef()
BASE = SESSION_PATH + "/warmups"


@routes.get(BASE, name="warmups_panel")
@require_login
async def warmups_panel(request: web.Request) -> web.StreamResponse:
    async with request.app[keys.DATABASE].session() as db:
        session = await session_for(request, db)
        runs = await can_run(request, db, session)
        people = await participants_db.present(db, session.id)
    if request.headers.get("X-Requested-With") != "console":
        raise web.HTTPSeeOther(f"/sessions/{session.id}#warmups")
    phones = any(p.kind == "phone" for p in people)
    context = {
        "session": session,
        "can_run": runs,
        **await warmups_context(request, session.id, phones),
    }
    return page(request, "_warmups_panel.html", context)


@routes.post(BASE, name="warmups_action")
@starters_only
async def warmups_action(request: web.Request) -> web.StreamResponse:
    fields = await form_fields(
        request,
        "action",
        "warmup",
        "announce",
        "again",
        "wu_phone",
        "wu_minutes",
        "wu_energy",
        "wu_private",
    )
    async with request.app[keys.DATABASE].session() as db:
        session = await session_for(request, db, to_run=True)
    if session.ended_at is not None:
        raise web.HTTPConflict(reason="The session has ended")
    desk = request.app[keys.WARMUPS]
    console = f"/sessions/{session.id}"
    action = fields["action"]
    try:
        if action == "surprise":
            query = {k: v for k, v in fields.items() if k.startswith("wu_")}
            filters = filters_from({**query, "wu": "1"}, phone_callers=False)
            picked = await desk.surprise(session.id, filters)
            if picked is None:
                raise WarmupError(
                    "nothing new fits these filters; change them, or pick one played before"
                )
            raise web.HTTPSeeOther(f"{console}?warmup={picked.id}#warmups")
        if action == "run":
            run = await desk.start(
                session.id,
                fields["warmup"],
                announce=fields["announce"] == "on",
                on_purpose=fields["again"] == "1",
            )
            if desk.by_id[run.warmup_id].format.value == "go_round":
                # The go round is the speaking queue's own round, phone callers included.
                with contextlib.suppress(BadAction, Stale):
                    await request.app[keys.QUEUE].act(session.id, "policy", policy="go_round")
        elif action == "close":
            if await desk.finish(session.id) is None:
                raise WarmupError("no warm-up is running")
        else:
            raise WarmupError("unknown warm-up action")
    except WarmupError as exc:
        return await render_console(request, status=400, wu_error=str(exc))
    raise web.HTTPSeeOther(f"{console}#warmups")
