"""Console pages and actions for a meeting another instance runs are passed to it.

The instance that holds a meeting's lease has its assistant, its timers and its in-memory
state, so a console's request for that session is answered there: the same request (cookies,
form, headers) sent on to the holder's own address, its answer returned as it is. nginx
needs no sticky sessions. The console's live feed is not passed on: every instance gets
every update through PostgreSQL.

A request passed on carries a signature of its path made with the shared secret key, so it
is never passed on again, and a client cannot fake one to skip the owner. If the holder
cannot be reached, this instance answers itself (the database keeps the actions consistent);
one that was reached but did not answer may have done it, so an action gets a 503 rather
than a second try here.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

from plugin import keys
from plugin.web.auth import Handler, client_ip

log = logging.getLogger(__name__)
HEADER = "X-Facilitate-Passed-On"
CLIENT = "X-Facilitate-Client"  # the client's address, as the first instance saw it
SESSION_PAGE = re.compile(r"^/sessions/([A-Za-z0-9_-]{1,32})(?:/(?!live$)[^?]*)?$")
# Hop-by-hop headers and those aiohttp sets itself.
DROPPED = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "content-encoding",
    }
)
TIMEOUT = aiohttp.ClientTimeout(total=20, connect=2)


async def client(app: web.Application) -> AsyncIterator[None]:
    """The app's one client for passing requests on (a cleanup context). It keeps no
    cookies: each request carries its own person's, and an answer's never reach another."""
    async with aiohttp.ClientSession(
        timeout=TIMEOUT, cookie_jar=aiohttp.DummyCookieJar()
    ) as session:
        app[keys.PASS_ON] = session
        yield


def signature(secret: bytes, method: str, path: str, client: str) -> str:
    text = f"{method} {path} {client}"
    return hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()


def _passed_on(request: web.Request, secret: bytes) -> bool:
    given = request.headers.get(HEADER, "")
    client = request.headers.get(CLIENT, "")
    return bool(given) and hmac.compare_digest(
        given, signature(secret, request.method, request.path_qs, client)
    )


@web.middleware
async def forwarding_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    match = SESSION_PAGE.match(request.path)
    if match is None:
        return await handler(request)
    secret = request.app[keys.SETTINGS].secret()
    if _passed_on(request, secret):
        request[keys.PASSED_ON_CLIENT] = request.headers.get(CLIENT, "")
        return await handler(request)
    owner = await request.app[keys.OWNERSHIP].owner_url(match.group(1))
    if owner is None:
        return await handler(request)
    try:
        return await _pass_on(request, owner, secret)
    except aiohttp.ClientConnectorError as exc:  # it never reached the owner
        log.warning("could not reach %s (%s); answering here", owner, exc)
        return await handler(request)
    except (aiohttp.ClientError, TimeoutError) as exc:
        if request.method in ("GET", "HEAD"):
            return await handler(request)
        # The owner may have done it: answering here could do it twice (Next, End).
        log.warning("no answer from %s for %s %s: %s", owner, request.method, request.path, exc)
        return web.Response(
            status=503,
            text="The instance running this meeting did not answer. Reload the console to "
            "see whether it was done before trying again.",
            headers={"Retry-After": "5"},
        )


async def _pass_on(request: web.Request, owner: str, secret: bytes) -> web.StreamResponse:
    headers = CIMultiDict(
        (name, value) for name, value in request.headers.items() if name.lower() not in DROPPED
    )
    seen_from = client_ip(request)
    headers[CLIENT] = seen_from
    headers[HEADER] = signature(secret, request.method, request.path_qs, seen_from)
    body = await request.read()
    async with request.app[keys.PASS_ON].request(
        request.method,
        owner + request.path_qs,
        headers=headers,
        data=body if body else None,
        allow_redirects=False,
    ) as answer:
        payload = await answer.read()
        kept = CIMultiDict(
            (name, value) for name, value in answer.headers.items() if name.lower() not in DROPPED
        )
    return web.Response(status=answer.status, body=payload, headers=kept)
