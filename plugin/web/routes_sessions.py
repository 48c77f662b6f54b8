"""Starting a session from a meeting link, the console, ending, and the join page."""

from __future__ import annotations

import math
from urllib.parse import urlencode

from aiohttp import web
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from facilitation.meeting_events import TeamChange, TeamChanged
from facilitation.meeting_link import (
    JitsiBase,
    LinkProblem,
    MeetingLinkError,
    MeetingRef,
    parse_meeting_link,
)
from facilitation.roles import Role
from plugin import keys, session_end
from plugin.db import audit, join_requests
from plugin.db import sessions as sessions_db
from plugin.db.models import MeetingSession
from plugin.web import messages
from plugin.web.auth import client_ip, require_login, signed_in
from plugin.web.console_view import render_console
from plugin.web.forms import form_fields
from plugin.web.middleware import csp
from plugin.web.pages import gettext, page
from plugin.web.session_access import SESSION_PATH, dial_in_context, session_for, starters_only
from plugin.web.throttling import GUESSING, count_miss

routes = web.RouteTableDef()
MAX_LINK = 2000
# What the start page says of a meeting nobody runs yet (see _running).
NOT_RUNNING: dict[str, object] = {"open_url": "", "taken": False, "runners": (), "asked": False}
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


async def _running(
    request: web.Request, db: AsyncSession, session: MeetingSession | None
) -> dict[str, object]:
    """What the start page may say about the live session for a meeting. Its own team and
    admins get the way in; anyone else learns only who runs it, never its id."""
    if session is None:
        return dict(NOT_RUNNING)
    account = signed_in(request)
    if Role(account.role).sees_every_session or await sessions_db.is_member(
        db, session.id, account.id or 0
    ):
        return {**NOT_RUNNING, "open_url": f"/sessions/{session.id}"}
    return {
        **NOT_RUNNING,
        "taken": True,
        "runners": await sessions_db.runner_names(db, session.id),
        "asked": await join_requests.has_asked(db, session.id, account.id or 0),
    }


@routes.get("/sessions/new", name="new_session")
@starters_only
async def new_session(request: web.Request) -> web.StreamResponse:
    """The bookmark flow. A GET never starts anything: it shows a confirm button."""
    link = request.query.get("meeting", "")
    error, ref = "", None
    running = dict(NOT_RUNNING)
    if link:
        try:
            ref = _parse(request, link)
        except MeetingLinkError as exc:
            error = _link_error(request, exc)
        else:
            async with request.app[keys.DATABASE].session() as db:
                running = await _running(request, db, await sessions_db.live_for_room(db, ref.key))
    context = {"link": link, "error": error, "ref": ref, **running}
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
        if not created:
            # Someone already runs this room: their team goes in; anyone else may ask.
            running = await _running(request, db, session)
            if running["open_url"]:
                raise web.HTTPSeeOther(str(running["open_url"]))
            context = {"link": ref.url, "error": "", "ref": ref, **running}
            return page(request, "new_session.html", context, status=409)
        console_url = f"/sessions/{session.id}"  # a rollback below would expire `session`
        audit.record(
            db,
            at=now,
            actor_id=account.id,
            action="session.started",
            target=f"session:{session.id}",
            room=ref.room,
        )
        try:
            await db.commit()
        except IntegrityError:
            await db.rollback()  # a second click raced the first, which did the work
        else:
            await request.app[keys.OWNERSHIP].adopt(session)
    raise web.HTTPSeeOther(console_url)


@routes.post("/sessions/ask", name="ask_to_join")
@starters_only
async def ask_to_join(request: web.Request) -> web.StreamResponse:
    """Ask the team running a meeting to let you co-facilitate it. The form carries the
    meeting link, not the session: a stranger to the session never learns its id."""
    link = (await form_fields(request, "meeting"))["meeting"]
    try:
        ref = _parse(request, link)
    except MeetingLinkError as exc:
        return await _home(request, link=link, error=_link_error(request, exc), status=400)
    account = signed_in(request)
    async with request.app[keys.DATABASE].session() as db:
        session = await sessions_db.live_for_room(db, ref.key)
        if (
            session is not None
            and not Role(account.role).sees_every_session
            and await join_requests.ask(db, session.id, account.id or 0)
        ):
            audit.record(
                db,
                at=request.app[keys.CLOCK].now(),
                actor_id=account.id,
                action="session.join_asked",
                target=f"session:{session.id}",
                account=account.id,
            )
            session_id = session.id  # outlives a rollback
            try:
                await db.commit()
            except IntegrityError:
                await db.rollback()  # a second click asked first
            else:  # the team's consoles fetch their team panel again (no names go out)
                request.app[keys.BUS].publish(TeamChanged(session_id, TeamChange.ASKED))
    # Back to this meeting's start page, which says where things stand (asked, or let in).
    raise web.HTTPSeeOther("/sessions/new?" + urlencode({"meeting": ref.url}))


@routes.get(SESSION_PATH, name="console")
@require_login
async def console(request: web.Request) -> web.StreamResponse:
    return await render_console(request)


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
    return await _join_page(request, None)


@routes.get("/join/{code:[A-Za-z0-9]{1,16}}/groups/{number:[0-9]{1,3}}", name="join_group")
async def join_group(request: web.Request) -> web.StreamResponse:
    """A breakout group's own call (separate calls): the same page, with the group's room
    embedded and the way back. When the groups are closed it sends people to the main one."""
    return await _join_page(request, int(request.match_info["number"]))


def _too_many_guesses(request: web.Request, wait: int) -> web.Response:
    text = messages.join_too_many(request.app[keys.TRANSLATIONS], max(1, math.ceil(wait / 60)))
    headers = {
        "Retry-After": str(wait),
        "Referrer-Policy": "no-referrer",
        "X-Robots-Tag": "noindex",
    }
    return page(
        request, "error.html", {"status": 429, "message": text}, status=429, headers=headers
    )


async def _join_page(request: web.Request, number: int | None) -> web.StreamResponse:
    code = request.match_info["code"]
    async with request.app[keys.DATABASE].session() as db:
        session = await sessions_db.by_join_code(db, code)
        # A right code is checked first and always works, so someone guessing at a day
        # centre never locks out the person beside them; only misses count, per address.
        if session is None or session.purged_at is not None:
            now = request.app[keys.CLOCK].now()
            key = "join:" + client_ip(request)
            wait = await count_miss(db, key, GUESSING, now)
            if wait is not None:
                return _too_many_guesses(request, wait)
            raise web.HTTPNotFound()
        dial_in = await dial_in_context(request, db, session)
    group = None
    room = session.room
    if number is not None:
        view = await request.app[keys.BREAKOUTS].view(session.id)
        group = next((g for g in view["groups"] if g["number"] == number and g["room"]), None)
        if view["state"] != "open" or view.get("mode") != "calls" or group is None:
            raise web.HTTPSeeOther(f"/join/{session.join_code}")
        room = str(group["room"])
    connector = request.app[keys.CONNECTOR]
    bot = connector.bot(session.id) if number is None else connector.groups.bot(session.id, room)
    base = JitsiBase.parse(session.jitsi_base)
    origin = base.origin
    embed = {
        "api": f"{base.url}/external_api.js",
        "domain": base.url.split("://", 1)[1],
        "room": f"{session.tenant}/{room}" if session.tenant else room,
        # Only the assistant's private message counts as someone's own check-out link.
        "assistant": bot.nick if bot else "",
        "join_prefix": f"{request.app[keys.SETTINGS].base_url}/join/{session.join_code}",
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
    meeting_url = session.meeting_url
    if group is not None:
        meeting_url = f"{base.url}/{embed['room']}"
    context = {
        "session": session,
        "embed": embed,
        "group": group,
        "meeting_url": meeting_url,
        **dial_in,
    }
    return page(request, "join.html", context, headers=headers)
