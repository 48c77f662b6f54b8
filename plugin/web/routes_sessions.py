"""Starting a session from a meeting link, the console, ending, and the join page."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from sqlalchemy.exc import IntegrityError

from facilitation.attendance import Kind, Stay, masked_phone_name
from facilitation.meeting_link import (
    JitsiBase,
    LinkProblem,
    MeetingLinkError,
    MeetingRef,
    parse_meeting_link,
)
from facilitation.roles import Role
from plugin import keys, session_end
from plugin.db import attendance as attendance_db
from plugin.db import audit, review
from plugin.db import participants as participants_db
from plugin.db import sessions as sessions_db
from plugin.web import messages
from plugin.web.auth import require_login, signed_in
from plugin.web.forms import form_fields
from plugin.web.middleware import csp
from plugin.web.pages import gettext, page
from plugin.web.routes_rights import RESULTS, rights_context
from plugin.web.session_access import (
    SESSION_PATH,
    can_run,
    dial_in_context,
    session_for,
    starters_only,
)

routes = web.RouteTableDef()
MAX_LINK = 2000
# Session ids are token_urlsafe(12): anything else cannot exist, so it never reaches the database.


def _example_link(request: web.Request) -> str:
    return request.app[keys.SETTINGS].jitsi_bases[0].url + "/OurMeeting"


def _link_error(request: web.Request, exc: MeetingLinkError) -> str:
    settings = request.app[keys.SETTINGS]
    params: dict[str, object] = {}
    if exc.problem is LinkProblem.WRONG_SERVER:
        params["allowed"] = ", ".join(base.url for base in settings.jitsi_bases)
    elif exc.problem in (LinkProblem.NO_ROOM, LinkProblem.TOO_MANY_PARTS):
        params["example"] = _example_link(request)
    return gettext(request, messages.LINK[exc.problem], **params)


def _parse(request: web.Request, link: str) -> MeetingRef:
    if len(link) > MAX_LINK:
        raise MeetingLinkError(LinkProblem.TOO_LONG)
    return parse_meeting_link(link, request.app[keys.SETTINGS].jitsi_bases)


async def _home(
    request: web.Request, link: str = "", error: str = "", status: int = 200
) -> web.Response:
    account = signed_in(request)
    async with request.app[keys.DATABASE].session() as db:
        visible = await sessions_db.visible_to(
            db, account, every=Role(account.role).sees_every_session
        )
    context = {
        "sessions": visible,
        "link": link,
        "error": error,
        "example": _example_link(request),
        "can_start": Role(account.role).can_start_sessions,
    }
    return page(request, "home.html", context, status=status)


@routes.get("/", name="home")
@require_login
async def home(request: web.Request) -> web.StreamResponse:
    return await _home(request)


@routes.get("/sessions/new", name="new_session")
@starters_only
async def new_session(request: web.Request) -> web.StreamResponse:
    """The bookmark flow. A GET never starts anything: it shows a confirm button."""
    link = request.query.get("meeting", "")
    error, existing, ref = "", None, None
    if link:
        try:
            ref = _parse(request, link)
        except MeetingLinkError as exc:
            error = _link_error(request, exc)
        else:
            async with request.app[keys.DATABASE].session() as db:
                existing = await sessions_db.live_for_room(db, ref.key)
    context = {"link": link, "error": error, "ref": ref, "existing": existing}
    return page(request, "new_session.html", context, status=400 if error else 200)


@routes.post("/sessions", name="sessions")
@starters_only
async def start_session(request: web.Request) -> web.StreamResponse:
    link = (await form_fields(request, "meeting"))["meeting"]
    try:
        ref = _parse(request, link)
    except MeetingLinkError as exc:
        return await _home(request, link=link, error=_link_error(request, exc), status=400)
    account = signed_in(request)
    now = request.app[keys.CLOCK].now()
    async with request.app[keys.DATABASE].session() as db:
        session, created = await sessions_db.start_or_get(db, ref, account, now)
        console_url = f"/sessions/{session.id}"  # a rollback below would expire `session`
        # Someone else may run this room: join them as co-facilitator rather than fork it.
        joined = not created and await sessions_db.add_member(db, session.id, account.id or 0)
        if created or joined:
            audit.record(
                db,
                at=now,
                actor_id=account.id,
                action="session.started" if created else "session.joined_as_facilitator",
                target=f"session:{session.id}",
                room=ref.room,
            )
            try:
                await db.commit()
            except IntegrityError:
                await db.rollback()  # a second click raced the first, which did the work
            else:
                if created:
                    request.app[keys.CONNECTOR].start(session)
    raise web.HTTPSeeOther(console_url)


def _attendee(stay: Stay, now: datetime) -> dict[str, object]:
    """One line of Jitsi's own record; phone numbers never reach the page in full."""
    name = masked_phone_name(stay.name) if stay.kind is Kind.PHONE else stay.name
    return {
        "name": name,
        "phone": stay.kind is Kind.PHONE,
        "present": stay.present,
        "minutes": round(stay.minutes(now)),
    }


@routes.get(SESSION_PATH, name="console")
@require_login
async def console(request: web.Request) -> web.StreamResponse:
    async with request.app[keys.DATABASE].session() as db:
        session = await session_for(request, db)
        people = await participants_db.present(db, session.id)
        now = request.app[keys.CLOCK].now()
        stays = await attendance_db.for_session(db, session, now)
        dial_in = await dial_in_context(request, db, session)
        checkout_counts = (await review.counts(db, [session.id]))[session.id]
        members = await sessions_db.members(db, session.id)
        runs = await can_run(request, db, session)
    queue = await request.app[keys.QUEUE].view(session.id)
    base_url = request.app[keys.SETTINGS].base_url
    context = {
        "session": session,
        "participants": people,
        "attendance": [_attendee(stay, now) for stay in stays],
        "assistant": request.app[keys.CONNECTOR].state(session.id),
        "join_url": f"{base_url}/join/{session.join_code}",
        "queue": queue,
        "hands": {entry["id"] for entry in queue["entries"]},
        "rights_result": request.query.get("rights", "")
        if request.query.get("rights") in RESULTS
        else "",
        **rights_context(request.app, session, people, runs),
        "stale": request.query.get("stale") == "1",
        "present": [p for p in people if p.jitsi_id],
        "checkout": checkout_counts,
        "can_run": runs,
        "members": members,
        "links_sent": request.query.get("links", ""),
        "host_result": request.query.get("host", ""),
        **dial_in,
    }
    return page(request, "console.html", context)


@routes.post(SESSION_PATH + "/end", name="end_session")
@starters_only
async def end_session(request: web.Request) -> web.StreamResponse:
    async with request.app[keys.DATABASE].session() as db:
        session = await session_for(request, db, to_run=True)
    if session.ended_at is None:
        await session_end.end_session(request.app, session, signed_in(request).id)
    raise web.HTTPSeeOther(f"/sessions/{session.id}")


@routes.get("/join/{code:[A-Za-z0-9]{1,16}}", name="join")
async def join(request: web.Request) -> web.StreamResponse:
    code = request.match_info["code"]
    async with request.app[keys.DATABASE].session() as db:
        session = await sessions_db.by_join_code(db, code)
        if session is None:
            raise web.HTTPNotFound()
        dial_in = await dial_in_context(request, db, session)
    base = JitsiBase.parse(session.jitsi_base)
    origin = base.origin
    embed = {
        "api": f"{base.url}/external_api.js",
        "domain": base.url.split("://", 1)[1],
        "room": f"{session.tenant}/{session.room}" if session.tenant else session.room,
        # Only the assistant's private message counts as someone's own check-out link.
        "assistant": bot.nick if (bot := request.app[keys.CONNECTOR].bot(session.id)) else "",
        "checkout_prefix": f"{request.app[keys.SETTINGS].base_url}/checkout/",
    }
    headers = {
        # A capability URL: never leak it to other sites; Jitsi may frame this page.
        "Referrer-Policy": "no-referrer",
        "X-Robots-Tag": "noindex",
        # The meeting is embedded with Jitsi's IFrame API: its script and frame, and the
        # camera and microphone for that frame, are allowed here and on no other page.
        "Content-Security-Policy": csp(
            frame_ancestors="'self' " + " ".join(request.app[keys.SETTINGS].jitsi_origins)
        ).replace("script-src 'self'", f"script-src 'self' {origin}")
        + f"; frame-src {origin}",
        "Permissions-Policy": ", ".join(
            f'{feature}=(self "{origin}")'
            for feature in ("camera", "microphone", "display-capture", "fullscreen", "autoplay")
        ),
    }
    context = {"session": session, "embed": embed, **dial_in}
    return page(request, "join.html", context, headers=headers)
