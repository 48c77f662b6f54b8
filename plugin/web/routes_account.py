"""Your account: where flag alerts reach you, and which ones (urgent only, or all)."""

from __future__ import annotations

from aiohttp import web
from pydantic import TypeAdapter, ValidationError

from facilitation.notices import Preference
from plugin import keys
from plugin.db import audit
from plugin.db.models import Account
from plugin.i18n import N_
from plugin.settings_types import Email
from plugin.web.auth import require_login, signed_in
from plugin.web.forms import form_fields
from plugin.web.pages import gettext, page

routes = web.RouteTableDef()
BAD_EMAIL = N_("Enter an email address like name@example.org, or leave it empty for no emails.")
BAD_CHOICE = N_("Choose which alerts you want.")


EMAIL = TypeAdapter(Email)  # the settings' own address rule, built once


def _email_problem(value: str) -> str | None:
    if not value:
        return None
    try:
        EMAIL.validate_python(value)
    except ValidationError:
        return BAD_EMAIL
    return None if len(value) <= 254 else BAD_EMAIL  # the account column's length


def _page(
    request: web.Request, email: str, notify: str, errors: dict[str, str], status: int = 200
) -> web.Response:
    context = {
        "email": email,
        "notify": notify,
        "errors": errors,
        "saved": request.query.get("saved") == "1",
        "email_on": request.app[keys.SETTINGS].smtp_host is not None,
    }
    return page(request, "account.html", context, status=status)


@routes.get("/account", name="account")
@require_login
async def account_page(request: web.Request) -> web.StreamResponse:
    me = signed_in(request)
    return _page(request, me.email or "", me.notify, {})


@routes.post("/account")
@require_login
async def save_account(request: web.Request) -> web.StreamResponse:
    fields = await form_fields(request, "email", "notify")
    email, notify = fields["email"].strip(), fields["notify"]
    errors: dict[str, str] = {}
    if (problem := _email_problem(email)) is not None:
        errors["email"] = gettext(request, problem)
    if notify not in {p.value for p in Preference}:
        errors["notify-all"] = gettext(request, BAD_CHOICE)
    if errors:
        return _page(request, email, notify, errors, status=400)
    me = signed_in(request)
    async with request.app[keys.DATABASE].session() as db:
        row = await db.get(Account, me.id)
        if row is None:
            raise web.HTTPNotFound()
        row.email = email or None
        row.notify = notify
        db.add(row)
        # Who changed where their alerts go; never the address itself.
        audit.record(
            db,
            at=request.app[keys.CLOCK].now(),
            actor_id=me.id,
            action="account.alerts_changed",
            target=f"account:{me.id}",
            email_set=bool(email),
            notify=notify,
        )
        await db.commit()
    raise web.HTTPSeeOther("/account?saved=1")
