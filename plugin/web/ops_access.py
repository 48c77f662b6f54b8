"""Who may read /metrics and the detailed /healthz: a bearer token when one is set, else
only a client on this machine that did not come through a proxy."""

from __future__ import annotations

import hmac
import ipaddress
from enum import Enum

from aiohttp import web

from plugin import keys

# A reverse proxy on the same host connects from loopback too; these headers say a request
# came through one. Only their presence counts: their values are never trusted here.
PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


class Access(Enum):
    FULL = "full"  # the token, or (without one) loopback
    NONE = "none"  # no credentials: the public answer, if there is one
    REFUSED = "refused"  # credentials given, and wrong


def access(request: web.Request) -> Access:
    token = request.app[keys.SETTINGS].metrics_token
    if token is None:
        return Access.FULL if _direct_from_loopback(request) else Access.NONE
    given = request.headers.get("Authorization")
    if given is None:
        return Access.NONE
    scheme, _, value = given.partition(" ")
    expected = token.get_secret_value().encode()
    # Bytes, not str: compare_digest refuses non-ASCII str, and a client controls `value`.
    same = hmac.compare_digest(value.strip().encode("utf-8", "replace"), expected)
    return Access.FULL if scheme.lower() == "bearer" and same else Access.REFUSED


def unauthorized() -> web.HTTPUnauthorized:
    return web.HTTPUnauthorized(
        headers={"WWW-Authenticate": 'Bearer realm="facilitate"', "Cache-Control": "no-store"}
    )


def _direct_from_loopback(request: web.Request) -> bool:
    if any(name in request.headers for name in PROXY_HEADERS):
        return False
    try:
        address = ipaddress.ip_address(request.remote or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback
