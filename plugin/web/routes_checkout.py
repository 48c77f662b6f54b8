"""The participant's side of the check-out: the personal form at /checkout/{token}, one
question at a time (`?step=contact`, `?step=details`, then the thank-you page `?saved=1`),
and the ways to get a link (the join page after the meeting, or a meeting's join code).

Nobody signs in here: the link is the key. Pages are never cached, indexed or sent as a
referrer, and unknown or expired links are counted per address and then refused for a while.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from aiohttp import web

from facilitation.checkout import Contact, Feeling, mentions_concern, time_left
from facilitation.checkout_form import (
    LIMITS,
    CheckoutForm,
    FormErrors,
    Problem,
    answers_so_far,
    details_for,
    parse_contact,
    parse_feeling,
    parse_form,
    same_as_saved,
)
from facilitation.throttle import ThrottlePolicy
from plugin import keys
from plugin.db import checkout_links
from plugin.db import sessions as sessions_db
from plugin.db.checkouts import open_details
from plugin.db.models import Checkout, CheckoutLink, MeetingSession
from plugin.i18n import N_
from plugin.web import messages
from plugin.web.auth import client_ip
from plugin.web.forms import form_fields
from plugin.web.pages import gettext, page
from plugin.web.throttling import GUESSING, count_failure, count_miss, seconds_to_wait

routes = web.RouteTableDef()
TOKEN_PATH = "/checkout/{token:[A-Za-z0-9_-]{16,128}}"  # noqa: S105 (a route, not a secret)
FIELDS = ("feeling", "contact", "phone", "good_time", "other_way", "name", "note", "feedback")
STEPS = ("feeling", "contact", "details")  # one question at a time; see checkout.html
PROBLEMS = {
    **messages.CHECKOUT_FORM,
    Problem.NO_CONTACT: N_("Please choose one. You can choose “No, thank you”."),
}
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


def _saved(request: web.Request, row: Checkout | None) -> dict[str, str]:
    """The saved answers, opened, so they can be changed (empty when there are none)."""
    if row is None:
        return {}
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


def _step_page(
    request: web.Request,
    link: CheckoutLink,
    session: MeetingSession,
    step: str,
    values: dict[str, str],
    *,
    errors: FormErrors | None = None,
) -> web.Response:
    """One question of the check-out (or, last, the details and the optional boxes)."""
    problems = errors.problems if errors else {}
    context: dict[str, Any] = {
        "session": session,
        "step": step,
        "number": STEPS.index(step) + 1,
        "steps": len(STEPS),
        "values": values,
        "errors": {
            name: gettext(request, PROBLEMS[problems[name]], max=LIMITS[name])
            for name in FIELDS  # in the order of the page
            if name in problems
        },
        "change": request.query.get("change") == "1",
        "details": details_for(values.get("contact", "")),
        "ask_name": link.participant_id is None,
        "retention_days": request.app[keys.SETTINGS].retention_days,
        "feelings": [f.value for f in Feeling],
        "contacts": [c.value for c in Contact],
        "limits": LIMITS,
    }
    status = 400 if errors else 200
    return page(request, "checkout.html", context, status=status, headers=PRIVATE)


def _thanks_page(request: web.Request, link: CheckoutLink, values: dict[str, str]) -> web.Response:
    settings = request.app[keys.SETTINGS]
    days_left, hours_left = time_left(
        (link.expires_at - request.app[keys.CLOCK].now()).total_seconds()
    )
    written = " \n".join(values[name] for name in ("note", "feedback", "good_time", "other_way"))
    needs_help = values["feeling"] == Feeling.STRUGGLING.value or mentions_concern(
        written, settings.concerns
    )
    context: dict[str, Any] = {
        "contact": values["contact"],
        "days_left": days_left,
        "hours_left": hours_left,
        "needs_help": needs_help,
        "help_text": settings.checkout_help,
    }
    return page(request, "checkout_thanks.html", context, headers=PRIVATE)


def _go(request: web.Request, query: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"{request.path}?{query}", headers=PRIVATE)


@routes.get(TOKEN_PATH, name="checkout")
async def checkout_form(request: web.Request) -> web.StreamResponse:
    found = await _open_link(request)
    if isinstance(found, web.Response):
        return found
    link, session, row = found
    values = _saved(request, row)
    step = request.query.get("step", "")
    if row is None:  # the first question comes first
        return _step_page(request, link, session, "feeling", values)
    if request.query.get("saved") == "1":
        return _thanks_page(request, link, values)
    if step == "details":  # the answer just chosen, when it needs details before saving
        chosen = request.query.get("contact", "")
        values["contact"] = chosen if details_for(chosen) else row.contact
        return _step_page(request, link, session, step, values)
    # The first step saves "none" for a question not yet answered: it shows as chosen only
    # when the person comes back through "Change your answers", after a whole check-out.
    if row.contact == Contact.NONE.value and request.query.get("change") != "1":
        values["contact"] = ""
    return _step_page(request, link, session, "contact" if step == "contact" else "feeling", values)


@routes.post(TOKEN_PATH)
async def checkout_send(request: web.Request) -> web.StreamResponse:
    """Each step is saved as soon as it can be: "struggling" raises its urgent flag at once,
    even if the page is closed before the end. A post with every field (no step) is taken
    whole, as the last step is."""
    found = await _open_link(request)
    if isinstance(found, web.Response):
        return found
    link, session, row = found
    # Up to the whole body: parse_form names any field that is too long, and the page shows
    # what was written so nothing is lost.
    limit = request.app[keys.SETTINGS].max_body_bytes
    fields = await form_fields(request, "step", "change", *FIELDS, limit=limit)
    saved, step = _saved(request, row), fields["step"]
    try:
        if step == "feeling":
            await _save(request, link, saved, {"feeling": parse_feeling(fields).value})
            raise _go(request, "step=contact" + ("&change=1" if fields["change"] == "1" else ""))
        if step == "contact":
            if row is None:
                raise web.HTTPSeeOther(request.path, headers=PRIVATE)
            contact = parse_contact(fields)
            if details_for(contact):  # saved with its details, on the last step
                raise _go(request, f"step=details&contact={contact.value}")
            await _save(request, link, saved, {"feeling": row.feeling, "contact": contact.value})
            raise _go(request, "step=details")
        region = request.app[keys.SETTINGS].dial_in_region
        form = parse_form(fields, region, ask_name=link.participant_id is None)
    except FormErrors as exc:
        at = step if step in ("feeling", "contact") else "details"
        return _step_page(request, link, session, at, exc.values, errors=exc)
    await _save(request, link, saved, form)
    raise _go(request, "saved=1")


async def _save(
    request: web.Request,
    link: CheckoutLink,
    saved: dict[str, str],
    form: CheckoutForm | dict[str, str],
) -> None:
    """Store the answers (or one step's, put into those saved before), unless nothing
    changed: going through the steps again leaves no trace in a flag's history."""
    region, ask_name = request.app[keys.SETTINGS].dial_in_region, link.participant_id is None
    if isinstance(form, dict):
        form = answers_so_far(saved, form, region, ask_name=ask_name)
    if not same_as_saved(saved, form, region, ask_name=ask_name):
        await request.app[keys.CHECKOUTS].save(link, form)


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
            # The join page's own limit: a miss here is a guess at a meeting code too.
            key = "join:" + client_ip(request)
            wait = await count_miss(db, key, GUESSING, request.app[keys.CLOCK].now())
            if wait is not None:
                return _message(request, 429, messages.CHECKOUT_TOO_MANY, wait)
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
    # The code is checked first, so a right code always goes through: someone guessing at a
    # day centre never stops the person beside them checking out. Only misses count, and
    # past the limit a miss is refused without being counted (a script costs no writes).
    # That the answer (303, or 400/429) tells right from wrong even past the limit gives a
    # guesser nothing new: /join/{code} answers the same question, and what keeps meetings
    # from being found is the code itself, 8 characters from 31 (about 8.5e11 codes). Timing
    # tells no more than the status does: every code costs the same indexed look-up.
    async with request.app[keys.DATABASE].session() as db:
        session = None
        if re.fullmatch(r"[A-Z0-9]{1,16}", code):
            session = await sessions_db.by_join_code(db, code)
        if session is None or session.purged_at is not None:
            wait = await seconds_to_wait(db, key, GUESSING, now)
            if wait is not None:
                return _message(request, 429, messages.CHECKOUT_TOO_MANY, wait)
            await count_failure(db, key, now)
            context = {"code": code[:16], "error": gettext(request, messages.NO_SUCH_CODE)}
            return page(request, "checkout_start.html", context, status=400, headers=PRIVATE)
    return await _issue(request, session, "code")
