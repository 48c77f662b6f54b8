"""Moderator rights on the console: whether the assistant has them, why controls that need
them are unavailable, and handing the seat on to a facilitator in the meeting."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from plugin import keys
from plugin.db import audit
from plugin.db import participants as participants_db
from plugin.db.models import MeetingSession, Participant
from plugin.jitsi import commands
from plugin.jitsi.bot_types import NotConnected
from plugin.web.auth import require_login, signed_in
from plugin.web.forms import form_fields
from plugin.web.pages import page
from plugin.web.session_access import SESSION_PATH, can_run, session_for, starters_only

routes = web.RouteTableDef()
MODERATOR = "moderator"
# What came of "Make moderator", by code (never free text in a URL).
RESULTS = frozenset({"granted", "refused", "away", "not-moderator"})


def rights_context(
    app: web.Application, session: MeetingSession, people: list[Participant], runs: bool
) -> dict[str, Any]:
    """The rights panel's facts: the assistant's state and role, who else moderates, and
    whom the assistant could make a moderator."""
    connector = app[keys.CONNECTOR]
    bot = connector.bot(session.id)
    role = bot.role if bot is not None and bot.ready else ""
    here = [p for p in people if p.jitsi_id and not p.room]
    return {
        "assistant": connector.state(session.id),
        # Why Jitsi refused the assistant's account (an XMPP condition such as
        # not-authorized), so the console can say what to fix; never the account itself.
        "login_refused": bot.login_refused if bot is not None else None,
        "assistant_role": role,
        "assistant_name": app[keys.SETTINGS].bot_display_name,
        "moderators": [p for p in here if p.role == MODERATOR],
        "candidates": [p for p in here if p.role != MODERATOR and p.kind == "web"],
        "can_run": runs,
    }


@routes.get(SESSION_PATH + "/rights", name="rights_panel")
@require_login
async def rights_panel(request: web.Request) -> web.StreamResponse:
    """The panel alone, for the console script to refresh when a role changes."""
    async with request.app[keys.DATABASE].session() as db:
        session = await session_for(request, db)
        people = await participants_db.present(db, session.id)
        runs = await can_run(request, db, session)
    if request.headers.get("X-Requested-With") != "console":
        raise web.HTTPSeeOther(f"/sessions/{session.id}#rights")
    context = {"session": session, **rights_context(request.app, session, people, runs)}
    return page(request, "_rights_panel.html", context)


@routes.post(SESSION_PATH + "/moderators", name="grant_moderator")
@starters_only
async def grant_moderator(request: web.Request) -> web.StreamResponse:
    fields = await form_fields(request, "participant")
    async with request.app[keys.DATABASE].session() as db:
        session = await session_for(request, db, to_run=True)
    if session.ended_at is not None:
        raise web.HTTPConflict(reason="The session has ended")
    who = fields["participant"].strip()
    if not who or len(who) > 120:
        raise web.HTTPBadRequest(reason="participant: choose someone in the meeting")
    bot = request.app[keys.CONNECTOR].bot(session.id)
    result = "granted"
    if bot is None or not bot.ready:
        result = "away"
    elif bot.role != MODERATOR:
        result = "not-moderator"
    else:
        try:
            await commands.grant_moderator(bot, who)
        except commands.CommandRefused:
            result = "refused"
        except NotConnected:
            result = "away"
    if result == "granted":
        async with request.app[keys.DATABASE].session() as db:
            audit.record(
                db,
                at=request.app[keys.CLOCK].now(),
                actor_id=signed_in(request).id,
                action="participant.made_moderator",
                target=f"session:{session.id}",
            )
            await db.commit()
    raise web.HTTPSeeOther(f"/sessions/{session.id}?rights={result}#rights")
