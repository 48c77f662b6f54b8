"""The console page, drawn for its own route and again, with a 4xx and the error in place,
by the console's forms that need to say what was wrong."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from facilitation.attendance import Kind, Stay, masked_phone_name
from plugin import keys
from plugin.db import attendance as attendance_db
from plugin.db import join_requests, review
from plugin.db import participants as participants_db
from plugin.db import sessions as sessions_db
from plugin.web.pages import page
from plugin.web.routes_rights import RESULTS, rights_context
from plugin.web.session_access import can_run, dial_in_context, session_for
from plugin.web.warmups_view import warmups_context

# What came of the team panel's forms, by code (never free text in a URL).
TEAM_RESULTS = frozenset({"added", "already", "approved", "declined", "answered"})


def _attendee(stay: Stay, now: datetime) -> dict[str, object]:
    """One line of Jitsi's own record; phone numbers never reach the page in full."""
    name = masked_phone_name(stay.name) if stay.kind is Kind.PHONE else stay.name
    return {
        "name": name,
        "phone": stay.kind is Kind.PHONE,
        "present": stay.present,
        "minutes": round(stay.minutes(now)),
    }


async def render_console(
    request: web.Request, *, status: int = 200, **extra: object
) -> web.Response:
    """The console of the session in the URL, for those who may see it (404 for others)."""
    async with request.app[keys.DATABASE].session() as db:
        session = await session_for(request, db)
        people = await participants_db.present(db, session.id)
        now = request.app[keys.CLOCK].now()
        stays = await attendance_db.for_session(db, session, now)
        dial_in = await dial_in_context(request, db, session)
        checkout_counts = (await review.counts(db, [session.id]))[session.id]
        members = await sessions_db.members(db, session.id)
        runs = await can_run(request, db, session)
        asking = await join_requests.pending(db, session.id) if runs else []
    queue = await request.app[keys.QUEUE].view(session.id)
    breakouts = await request.app[keys.BREAKOUTS].view(session.id)
    phones = any(p.kind == "phone" for p in people)
    warmups = await warmups_context(request, session.id, phones)
    base_url = request.app[keys.SETTINGS].base_url
    query = request.query
    context = {
        "session": session,
        "participants": people,
        "attendance": [_attendee(stay, now) for stay in stays],
        "assistant": request.app[keys.CONNECTOR].state(session.id),
        "join_url": f"{base_url}/join/{session.join_code}",
        "queue": queue,
        "hands": {entry["id"] for entry in queue["entries"]},
        "rights_result": query.get("rights", "") if query.get("rights") in RESULTS else "",
        **rights_context(request.app, session, people, runs),
        "stale": query.get("stale") == "1",
        "present": [p for p in people if p.jitsi_id],
        "checkout": checkout_counts,
        "can_run": runs,
        "members": members,
        "asking": asking,
        "links_sent": query.get("links", ""),
        "host_result": query.get("host", ""),
        "team_result": query.get("team", "") if query.get("team") in TEAM_RESULTS else "",
        "team_error": "",
        "request_error": "",
        "team_username": "",
        "name_error": "",
        "breakouts": breakouts,
        **warmups,
        "breakout_error": "",
        **dial_in,
        **extra,
    }
    return page(request, "console.html", context, status=status)
