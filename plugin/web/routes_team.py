"""The console's team panel: answer requests to co-facilitate, and add co-facilitators by
username, the way hosts are added. Only the session's facilitators (and admins) may.
Every change is pushed to the session's consoles (`TeamChanged`, no names), which fetch
the panel again from `team_panel`."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.exc import IntegrityError

from facilitation.meeting_events import TeamChange, TeamChanged
from facilitation.roles import Role
from plugin import keys
from plugin.db import accounts, audit, join_requests
from plugin.db import sessions as sessions_db
from plugin.db.models import Account
from plugin.web.auth import require_login, signed_in
from plugin.web.console_view import render_console
from plugin.web.forms import form_fields
from plugin.web.pages import page
from plugin.web.session_access import SESSION_PATH, session_for, starters_only

routes = web.RouteTableDef()
ANSWERS = {"approve": "session.join_approved", "decline": "session.join_declined"}
CHANGES = {"approve": TeamChange.APPROVED, "decline": TeamChange.DECLINED}


def _team(session_id: str, result: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"/sessions/{session_id}?team={result}#team")


def _cannot_run(account: Account | None) -> str:
    """Why this account cannot co-facilitate, as a code the console explains; "" if it can."""
    if account is None or account.id is None:
        return "unknown"
    if account.disabled:
        return "disabled"
    return "" if Role(account.role).can_start_sessions else "host_account"


def _changed(request: web.Request, session_id: str, change: TeamChange) -> None:
    """Tell the session's consoles (on every instance) to fetch their team panel again."""
    request.app[keys.BUS].publish(TeamChanged(session_id, change))


@routes.get(SESSION_PATH + "/team", name="team_panel")
@require_login
async def team_panel(request: web.Request) -> web.StreamResponse:
    """The team panel alone, for the console script to refresh after a change. Only those
    who may run the session get it: strangers 404, as for every panel; its hosts 403."""
    async with request.app[keys.DATABASE].session() as db:
        session = await session_for(request, db, to_run=True)
        members = await sessions_db.members(db, session.id)
        asking = await join_requests.pending(db, session.id)
    if request.headers.get("X-Requested-With") != "console":
        raise web.HTTPSeeOther(f"/sessions/{session.id}#team")
    context = {
        "session": session,
        "members": members,
        "asking": asking,
        "team_result": "",
        "team_error": "",
        "request_error": "",
        "team_username": "",
    }
    return page(request, "_team_panel.html", context)


@routes.post(SESSION_PATH + "/requests/{account_id:[0-9]{1,12}}", name="answer_request")
@starters_only
async def answer_request(request: web.Request) -> web.StreamResponse:
    answer = (await form_fields(request, "answer"))["answer"]
    if answer not in ANSWERS:
        raise web.HTTPBadRequest(reason="The answer must be approve or decline")
    account_id = int(request.match_info["account_id"])
    async with request.app[keys.DATABASE].session() as db:
        session_id = (await session_for(request, db, to_run=True)).id  # outlives a rollback
        if not await join_requests.has_asked(db, session_id, account_id):
            raise _team(session_id, "answered")  # another facilitator got there first
        asker = await db.get(Account, account_id)
        problem = _cannot_run(asker) if answer == "approve" else ""
        if not problem:
            # One answer wins: the request is consumed in one statement, and a second
            # approval at the same moment (another tab, another instance) finds it gone.
            if not await join_requests.consume(db, session_id, account_id):
                await db.rollback()
                raise _team(session_id, "answered")
            if answer == "approve":
                await sessions_db.add_member(db, session_id, account_id)
            audit.record(
                db,
                at=request.app[keys.CLOCK].now(),
                actor_id=signed_in(request).id,
                action=ANSWERS[answer],
                target=f"session:{session_id}",
                account=account_id,
            )
            try:
                await db.commit()
            except IntegrityError:
                await db.rollback()
                raise _team(session_id, "answered") from None
            _changed(request, session_id, CHANGES[answer])
            raise _team(session_id, "approved" if answer == "approve" else "declined")
    username = asker.username if asker is not None else ""
    return await render_console(request, status=409, request_error=problem, team_username=username)


@routes.post(SESSION_PATH + "/facilitators", name="add_facilitator")
@starters_only
async def add_facilitator(request: web.Request) -> web.StreamResponse:
    username = (await form_fields(request, "username"))["username"].strip()[:64]
    async with request.app[keys.DATABASE].session() as db:
        session_id = (await session_for(request, db, to_run=True)).id  # outlives a rollback
        account = await accounts.by_username(db, username) if username else None
        # As for hosts: a switched-off account is not offered as a name that exists.
        problem = "unknown" if account is not None and account.disabled else _cannot_run(account)
        if not problem and account is not None and account.id is not None:
            if Role(account.role).sees_every_session or not await sessions_db.add_member(
                db, session_id, account.id
            ):
                raise _team(session_id, "already")
            audit.record(
                db,
                at=request.app[keys.CLOCK].now(),
                actor_id=signed_in(request).id,
                action="session.facilitator_added",
                target=f"session:{session_id}",
                account=account.id,
            )
            try:
                await db.commit()
            except IntegrityError:
                await db.rollback()
                raise _team(session_id, "already") from None  # a second click added them
            _changed(request, session_id, TeamChange.ADDED)
            raise _team(session_id, "added")
    return await render_console(request, status=400, team_error=problem, team_username=username)
