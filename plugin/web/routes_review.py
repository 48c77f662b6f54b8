"""Hosts review check-out flags: their own sessions only (admins all). Every flag shown
and every change is written to the audit log: who, when, which flag, never what it says."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlmodel.ext.asyncio.session import AsyncSession

from facilitation.followup import NoteTooLong, NothingToSave, Status, check_action
from facilitation.roles import Role
from plugin import keys
from plugin.db import audit, outbox, review
from plugin.db import flags as flags_db
from plugin.db import sessions as sessions_db
from plugin.db.checkouts import open_details
from plugin.db.models import Checkout, Flag, MeetingSession
from plugin.web import messages
from plugin.web.alert_views import alert_views
from plugin.web.auth import require_login, signed_in
from plugin.web.forms import form_fields
from plugin.web.pages import gettext, page
from plugin.web.session_access import SESSION_PATH, session_for

routes = web.RouteTableDef()
FLAG_PATH = "/review/flags/{flag_id:[0-9]{1,9}}"  # fits a 32-bit id column
PRIVATE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


@routes.get("/review", name="review")
@require_login
async def review_home(request: web.Request) -> web.StreamResponse:
    account = signed_in(request)
    every = Role(account.role).sees_every_session
    now = request.app[keys.CLOCK].now()
    async with request.app[keys.DATABASE].session() as db:
        recent = await sessions_db.visible_to(db, account, every=every)
        older = await review.open_flag_sessions(db, account.id, every=every)
        sessions = list({s.id: s for s in recent + older}.values())
        numbers = await review.counts(db, [s.id for s in sessions])
        urgent = await review.urgent_open(db, account.id, every=every)
        for flag, _ in urgent:  # names on a list of urgent flags: a view, so recorded
            audit.record(
                db, at=now, actor_id=account.id, action="flag.listed", target=f"flag:{flag.id}"
            )
        await db.commit()
    sessions.sort(
        key=lambda s: (-numbers[s.id].urgent_open, -numbers[s.id].open, -s.started_at.timestamp())
    )
    context = {"sessions": sessions, "counts": numbers, "urgent": urgent}
    return page(request, "review.html", context, headers=PRIVATE)


def _version(flag: Flag) -> str:
    """What the review form sends back, so a change made on an old view is refused."""
    return flag.updated_at.isoformat()


def _flag_view(
    request: web.Request, flag: Flag, checkout: Any, history: list[Any], who: dict[int, str]
) -> dict[str, Any]:
    sealer = request.app[keys.CHECKOUTS].sealer
    answers = None
    if checkout is not None:
        answers = {
            "feeling": checkout.feeling,
            "contact": checkout.contact,
            "details": open_details(sealer, checkout.contact_detail),
            "note": sealer.open_text(checkout.note),
            "feedback": sealer.open_text(checkout.feedback),
            "source": checkout.source,
            "at": checkout.updated_at or checkout.created_at,
        }
    return {
        "id": flag.id,
        "name": flag.display_name,
        "level": flag.level,
        "reasons": flag.reasons,
        "status": flag.status,
        "version": _version(flag),
        "answers": answers,
        "created_at": flag.created_at,
        "history": [
            {
                "at": action.at,
                "who": who.get(action.actor_id or 0, ""),
                "kind": action.kind,
                "status": action.status,
                "note": sealer.open_text(action.note),
            }
            for action in history
        ],
    }


def _fine_views(request: web.Request, rows: list[Checkout]) -> list[dict[str, Any]]:
    """Check-outs that need no follow-up: who, how they felt, and anything they wrote for
    the host or about the next meeting (co-production feedback reaches the hosts too)."""
    sealer = request.app[keys.CHECKOUTS].sealer
    return [
        {
            "name": row.display_name,
            "feeling": row.feeling,
            "source": row.source,
            "note": sealer.open_text(row.note),
            "feedback": sealer.open_text(row.feedback),
        }
        for row in rows
    ]


async def _flag_views(
    request: web.Request, db: AsyncSession, flags: list[Flag]
) -> list[dict[str, Any]]:
    """The flags as shown, each view written to the audit log in the same commit."""
    account = signed_in(request)
    now = request.app[keys.CLOCK].now()
    checkouts = await review.checkouts_by_id(db, [f.checkout_id for f in flags if f.checkout_id])
    history = review.histories(await flags_db.actions(db, [f.id for f in flags if f.id]))
    actors = {a.actor_id for items in history.values() for a in items if a.actor_id}
    alerts = await outbox.for_flags(db, [f.id for f in flags if f.id])
    who = await review.names(db, actors | {a.account_id for a in alerts if a.account_id})
    sent = alert_views(alerts, who)
    views = []
    for flag in sorted(flags, key=review.sort_key):
        checkout = checkouts.get(flag.checkout_id or 0)
        view = _flag_view(request, flag, checkout, history.get(flag.id or 0, []), who)
        view["alerts"] = sent.get(flag.id or 0, [])
        views.append(view)
        audit.record(
            db, at=now, actor_id=account.id, action="flag.viewed", target=f"flag:{flag.id}"
        )
    await db.commit()
    return views


@routes.get("/review" + SESSION_PATH, name="review_session")
@require_login
async def review_session(request: web.Request) -> web.StreamResponse:
    async with request.app[keys.DATABASE].session() as db:
        session = await session_for(request, db)
        flags = await flags_db.in_session(db, session.id)
        numbers = (await review.counts(db, [session.id]))[session.id]
        fine = _fine_views(request, await review.fine_checkouts(db, session.id))
        if fine:
            audit.record(
                db,
                at=request.app[keys.CLOCK].now(),
                actor_id=signed_in(request).id,
                action="checkouts.viewed",
                target=f"session:{session.id}",
                count=len(fine),
            )
        views = await _flag_views(request, db, flags)
        digests = [a for a in await outbox.for_session(db, session.id) if a.flag_id is None]
        names = await review.names(db, {a.account_id for a in digests if a.account_id})
    context = {
        "digests": alert_views(digests, names).get(0, []),
        "session": session,
        "counts": numbers,
        "flags": views,
        "fine": fine,
        "saved": int(request.query["saved"]) if request.query.get("saved", "").isdigit() else 0,
        "error": "",
        "statuses": [s.value for s in Status],
    }
    return page(request, "review_session.html", context, headers=PRIVATE)


async def _flag_for(request: web.Request, db: AsyncSession) -> tuple[Flag, MeetingSession]:
    """The flag in the URL if the signed-in account may see its session; else a plain 404."""
    flag = await db.get(Flag, int(request.match_info["flag_id"]))
    if flag is None:
        raise web.HTTPNotFound()
    return flag, await session_for(request, db, flag.session_id)


@routes.get(FLAG_PATH, name="review_flag")
@require_login
async def review_flag(request: web.Request) -> web.StreamResponse:
    async with request.app[keys.DATABASE].session() as db:
        flag, session = await _flag_for(request, db)
        (view,) = await _flag_views(request, db, [flag])
    context = {"session": session, "flag": view, "statuses": [s.value for s in Status], "error": ""}
    return page(request, "review_flag.html", context, headers=PRIVATE)


@routes.post(FLAG_PATH)
@require_login
async def change_flag(request: web.Request) -> web.StreamResponse:
    fields = await form_fields(request, "status", "note", "seen")
    account = signed_in(request)
    now = request.app[keys.CLOCK].now()
    async with request.app[keys.DATABASE].session() as db:
        flag, session = await _flag_for(request, db)
        error, status_code = "", 400
        if fields["seen"] != _version(flag):
            # Changed since this page was shown (new answers, another host): look first.
            error, status_code = messages.FLAG_CHANGED, 409
        elif fields["status"] not in Status.__members__.values():
            error = messages.FLAG_BAD_STATUS
        else:
            status = Status(fields["status"])
            try:
                note = check_action(Status(flag.status), status, fields["note"])
            except NothingToSave:
                error = messages.FLAG_NOTHING_TO_SAVE
            except NoteTooLong:
                error = messages.FLAG_NOTE_TOO_LONG
        if error:
            (view,) = await _flag_views(request, db, [flag])
            context = {
                "session": session,
                "flag": view,
                "statuses": [s.value for s in Status],
                "error": gettext(request, error),
                "note": fields["note"],
            }
            return page(request, "review_flag.html", context, status=status_code, headers=PRIVATE)
        sealed = request.app[keys.CHECKOUTS].sealer.seal_text(note)
        assert account.id is not None
        flags_db.host_action(db, flag, account.id, status, sealed, now)
        audit.record(
            db,
            at=now,
            actor_id=account.id,
            action="flag.changed",
            target=f"flag:{flag.id}",
            status=status.value,
            noted=bool(note),
        )
        await db.commit()
    raise web.HTTPSeeOther(f"/review/sessions/{session.id}?saved={flag.id}#flag-{flag.id}")
