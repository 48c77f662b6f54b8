"""The participant's side of the check-out: the personal form at /checkout/{token}, and
the ways to get a link (the join page after the meeting, or a meeting's join code).

Nobody signs in here: the link is the key. Pages are never cached, indexed or sent as a
referrer, and unknown or expired links are counted per address and then refused for a while.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from aiohttp import web

from facilitation.checkout import Contact, Feeling, mentions_concern, time_left
from facilitation.checkout_form import LIMITS, FormErrors, parse_form
from facilitation.throttle import ThrottlePolicy
from plugin import keys
from plugin.db import checkout_links
from plugin.db import sessions as sessions_db
from plugin.db.checkouts import open_details
from plugin.db.models import Checkout, CheckoutLink, MeetingSession
from plugin.web import messages
from plugin.web.auth import client_ip
from plugin.web.forms import form_fields
from plugin.web.pages import gettext, page
from plugin.web.throttling import count_failure, seconds_to_wait

routes = web.RouteTableDef()
TOKEN_PATH = "/checkout/{token:[A-Za-z0-9_-]{16,128}}"  # noqa: S105 (a route, not a secret)
FIELDS = ("feeling", "contact", "phone", "good_time", "other_way", "note", "feedback", "name")
# Unknown or expired links (and meeting codes) from one address: 20 in 10 minutes. Links
# carry 256 random bits, so this is about noise and scanning, not about luck.
GUESSING = ThrottlePolicy(max_failures=20, window=timedelta(minutes=10))
# New links for one meeting from one address (join page, meeting code): a whole group
# leaving one day centre together is fine; a script making thousands is not.
ISSUING = ThrottlePolicy(max_failures=200, window=timedelta(minutes=10))
PRIVATE = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


def _message(
    request: web.Request, status: int, message: str, wait: int | None = None
) -> web.Response:
    headers = dict(PRIVATE)
    if wait is not None:
        headers["Retry-After"] = str(wait)
    context = {"message": gettext(request, message), "status": status}
    return page(request, "checkout_message.html", context, status=status, headers=headers)


async def _open_link(
    request: web.Request,
) -> tuple[CheckoutLink, MeetingSession, Checkout | None] | web.Response:
    """The link in the URL, or the page that says why there is none. A good link always
    works; only misses count towards an address's limit, so one person guessing in a day
    centre never locks out everyone else there."""
    now = request.app[keys.CLOCK].now()
    key = "checkout:" + client_ip(request)
    async with request.app[keys.DATABASE].session() as db:
        link = await checkout_links.find(db, request.match_info["token"])
        if link is not None and link.expires_at > now:
            session = await db.get(MeetingSession, link.session_id)
            assert session is not None  # links go with their session
            return link, session, await checkout_links.checkout_of(db, link)
        wait = await seconds_to_wait(db, key, GUESSING, now)
        if wait is not None:
            return _message(request, 429, messages.CHECKOUT_TOO_MANY, wait)
        await count_failure(db, key, now)
    if link is None:
        return _message(request, 404, messages.CHECKOUT_LINK_UNKNOWN)
    return _message(request, 410, messages.CHECKOUT_LINK_EXPIRED)


def _values(request: web.Request, row: Checkout | None) -> dict[str, str]:
    """What the form shows: the saved answers, opened, so they can be changed."""
    if row is None:
        return {"contact": Contact.NONE.value}
    sealer = request.app[keys.CHECKOUTS].sealer
    details = open_details(sealer, row.contact_detail)
    return {
        "feeling": row.feeling,
        "contact": row.contact,
        "phone": details.get("phone", ""),
        "good_time": details.get("good_time", ""),
        "other_way": details.get("other_way", ""),
        "note": sealer.open_text(row.note),
        "feedback": sealer.open_text(row.feedback),
        "name": row.display_name if row.participant_id is None else "",
    }


def _form_page(
    request: web.Request,
    link: CheckoutLink,
    session: MeetingSession,
    values: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    saved: bool = False,
    status: int = 200,
) -> web.Response:
    settings = request.app[keys.SETTINGS]
    days_left, hours_left = time_left(
        (link.expires_at - request.app[keys.CLOCK].now()).total_seconds()
    )
    written = " \n".join(
        values.get(name, "") for name in ("note", "feedback", "good_time", "other_way")
    )
    needs_help = saved and (
        values.get("feeling") == Feeling.STRUGGLING.value
        or mentions_concern(written, settings.concerns)
    )
    context: dict[str, Any] = {
        "session": session,
        "values": values,
        "errors": errors or {},
        "saved": saved,
        "ask_name": link.participant_id is None,
        "days_left": days_left,
        "hours_left": hours_left,
        "needs_help": needs_help,
        "help_text": settings.checkout_help,
        "retention_days": settings.retention_days,
        "feelings": [f.value for f in Feeling],
        "contacts": [c.value for c in Contact],
        "limits": LIMITS,
    }
    return page(request, "checkout.html", context, status=status, headers=PRIVATE)


@routes.get(TOKEN_PATH, name="checkout")
async def checkout_form(request: web.Request) -> web.StreamResponse:
    found = await _open_link(request)
    if isinstance(found, web.Response):
        return found
    link, session, row = found
    saved = request.query.get("saved") == "1" and row is not None
    return _form_page(request, link, session, _values(request, row), saved=saved)


@routes.post(TOKEN_PATH)
async def checkout_send(request: web.Request) -> web.StreamResponse:
    found = await _open_link(request)
    if isinstance(found, web.Response):
        return found
    link, session, _ = found
    # Up to the whole body: parse_form names any field that is too long, and the page shows
    # what was written so nothing is lost.
    fields = await form_fields(request, *FIELDS, limit=request.app[keys.SETTINGS].max_body_bytes)
    region = request.app[keys.SETTINGS].dial_in_region
    try:
        form = parse_form(fields, region, ask_name=link.participant_id is None)
    except FormErrors as exc:
        errors = {
            name: gettext(request, messages.CHECKOUT_FORM[exc.problems[name]], max=LIMITS[name])
            for name in FIELDS  # in the order of the page
            if name in exc.problems
        }
        return _form_page(request, link, session, exc.values, errors=errors, status=400)
    await request.app[keys.CHECKOUTS].save(link, form)
    raise web.HTTPSeeOther(request.path + "?saved=1", headers=PRIVATE)


async def _issue(request: web.Request, session: MeetingSession, channel: str) -> web.StreamResponse:
    """A new link that is not tied to anyone: whoever asks could be anyone in the meeting,
    so it never counts as someone's check-out (the form asks for a name instead)."""
    now = request.app[keys.CLOCK].now()
    settings = request.app[keys.SETTINGS]
    if session.ended_at is not None and now > session.ended_at + timedelta(
        hours=settings.checkout_link_hours
    ):
        return _message(request, 410, messages.CHECKOUT_CLOSED)
    key = f"checkout-issue:{session.id}:{client_ip(request)}"
    async with request.app[keys.DATABASE].session() as db:
        wait = await seconds_to_wait(db, key, ISSUING, now)
        if wait is not None:
            return _message(request, 429, messages.CHECKOUT_TOO_MANY, wait)
        await count_failure(db, key, now)  # every new link counts towards the limit
    token = await request.app[keys.CHECKOUTS].link_for(session.id, None, channel)
    raise web.HTTPSeeOther(f"/checkout/{token}", headers=PRIVATE)


@routes.post("/join/{code:[A-Za-z0-9]{1,16}}/checkout", name="join_checkout")
async def from_join_page(request: web.Request) -> web.StreamResponse:
    """The join page's check-out button (and its script, when the meeting closes before the
    assistant sent the person their own link)."""
    async with request.app[keys.DATABASE].session() as db:
        session = await sessions_db.by_join_code(db, request.match_info["code"])
    if session is None or session.purged_at is not None:
        return _message(request, 404, messages.NO_SUCH_CODE)
    return await _issue(request, session, "join")


@routes.get("/checkout", name="checkout_start")
async def start(request: web.Request) -> web.StreamResponse:
    """Where Jitsi's own close page sends people (see the README): the meeting's code."""
    return page(request, "checkout_start.html", {"code": "", "error": ""}, headers=PRIVATE)


@routes.post("/checkout")
async def start_send(request: web.Request) -> web.StreamResponse:
    code = (await form_fields(request, "code"))["code"].strip().upper().replace(" ", "")
    now = request.app[keys.CLOCK].now()
    key = "checkout:" + client_ip(request)
    async with request.app[keys.DATABASE].session() as db:
        wait = await seconds_to_wait(db, key, GUESSING, now)
        if wait is not None:
            return _message(request, 429, messages.CHECKOUT_TOO_MANY, wait)
        session = None
        if re.fullmatch(r"[A-Z0-9]{1,16}", code):
            session = await sessions_db.by_join_code(db, code)
        if session is None or session.purged_at is not None:
            await count_failure(db, key, now)
            context = {"code": code[:16], "error": gettext(request, messages.NO_SUCH_CODE)}
            return page(request, "checkout_start.html", context, status=400, headers=PRIVATE)
    return await _issue(request, session, "code")
