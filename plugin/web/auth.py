"""Who is asking: the sign-in cookie, CSRF tokens, and guards for handlers."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from functools import wraps
from urllib.parse import quote

from aiohttp import web

from facilitation.roles import Role
from plugin import keys
from plugin.db import accounts
from plugin.db.models import Account
from plugin.security.tokens import csrf_ok, csrf_token, new_token
from plugin.web.forms import read_form

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Machine-to-machine surfaces authenticate with their own signatures or tokens, never with
# a sign-in cookie: no session look-up and no CSRF check for them.
MACHINE_PREFIXES = ("/webhooks/", "/dial-in/")
# Paths that never need to know who is asking: no cookie, no database look-up.
ANONYMOUS_PATHS = frozenset({"/healthz", "/metrics"})


class CsrfFailed(web.HTTPForbidden):
    """A state-changing request without this browser's form token."""


SID_FORMAT = re.compile(r"[A-Za-z0-9_-]{32,64}")  # what new_token() makes
# A check-out form is posted to its own secret address: another site cannot forge a post to
# a URL it does not know, so it needs no CSRF token, and answers are never lost to a browser
# that drops cookies (a library computer) or a form left open overnight.
CAPABILITY_FORM = re.compile(r"/checkout/[A-Za-z0-9_-]{43}")


def cookie_name(request: web.Request) -> str:
    # The __Host- prefix pins the cookie to this host and path, but needs Secure.
    return "__Host-fac_sid" if request.app[keys.SETTINGS].secure_cookies else "fac_sid"


def set_sid_cookie(request: web.Request, response: web.StreamResponse, sid: str) -> None:
    settings = request.app[keys.SETTINGS]
    response.set_cookie(
        cookie_name(request),
        sid,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=settings.secure_cookies,
        max_age=settings.login_session_hours * 3600,
    )


def request_csrf(request: web.Request) -> str:
    return csrf_token(request.app[keys.SETTINGS].secret(), request[keys.SID])


@web.middleware
async def identity_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Attach the session id and the signed-in account (if any); check CSRF."""
    if request.path.startswith("/static/") or request.path in ANONYMOUS_PATHS:
        return await handler(request)
    if request.path.startswith(MACHINE_PREFIXES):
        return await handler(request)
    given = request.cookies.get(cookie_name(request), "")
    fresh = not SID_FORMAT.fullmatch(given)
    sid = new_token() if fresh else given
    request[keys.SID] = sid
    if not fresh:
        async with request.app[keys.DATABASE].session() as db:
            account = await accounts.account_for_login(db, sid, request.app[keys.CLOCK].now())
        if account is not None:
            request[keys.ACCOUNT] = account
    if request.method in UNSAFE_METHODS and not CAPABILITY_FORM.fullmatch(request.path):
        await _check_csrf(request)
    response = await handler(request)
    if fresh and not response.prepared and response.content_type == "text/html":
        set_sid_cookie(request, response, sid)
    return response


async def _check_csrf(request: web.Request) -> None:
    given = request.headers.get("X-CSRF-Token", "")
    if not given and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        given = str((await read_form(request)).get("csrf_token", ""))
    secret = request.app[keys.SETTINGS].secret()
    if not given or not csrf_ok(secret, request[keys.SID], given):
        raise CsrfFailed()


def current_account(request: web.Request) -> Account | None:
    return request.get(keys.ACCOUNT)


def signed_in(request: web.Request) -> Account:
    """The signed-in account; anyone else is sent to the sign-in page."""
    account = current_account(request)
    if account is None:
        raise login_redirect(request)
    return account


def login_redirect(request: web.Request) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"/login?next={quote(request.path_qs, safe='')}")


def require_login(handler: Handler) -> Handler:
    @wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        signed_in(request)
        return await handler(request)

    return guarded


def require_role(check: Callable[[Role], bool]) -> Callable[[Handler], Handler]:
    def decorate(handler: Handler) -> Handler:
        @wraps(handler)
        async def guarded(request: web.Request) -> web.StreamResponse:
            if not check(Role(signed_in(request).role)):
                raise web.HTTPForbidden(reason="role")
            return await handler(request)

        return guarded

    return decorate


def safe_next(target: str | None) -> str:
    """Only same-site paths: never an open redirect.

    Control characters are refused outright: URL parsers (yarl included) strip tabs and
    newlines, so "/\t/evil.example" would otherwise come out as "//evil.example".
    """
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target)
    ):
        return "/"
    return target


def client_ip(request: web.Request) -> str:
    if keys.PASSED_ON_CLIENT in request:  # as the first instance saw it (web.forwarding)
        return request[keys.PASSED_ON_CLIENT]
    if request.app[keys.SETTINGS].behind_proxy:
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()  # the hop our own proxy added
    return request.remote or "unknown"
