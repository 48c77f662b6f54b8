"""The webhook endpoints. Thin: read, authenticate, validate, store, answer."""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web

from plugin import keys
from plugin.intake import Incoming, StorageUnavailable
from webhooks import jaas, prosody
from webhooks.body import Rejected, header_bytes, read_limited
from webhooks.openapi import SPEC

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
# The two answers to a stored event, encoded once: every webhook gets one of them.
STORED = json.dumps({"stored": True, "duplicate": False}).encode()
DUPLICATE = json.dumps({"stored": True, "duplicate": True}).encode()
PROSODY_PATH = (
    "/webhooks/prosody/events/{kind:room|occupant}/{action:created|destroyed|joined|left}"
)


async def _store(request: web.Request, incoming: Incoming, raw: bytes) -> web.Response:
    try:
        new = await request.app[keys.INTAKE].store(incoming, raw)
    except StorageUnavailable:
        return web.json_response(
            {"error": "could not store the event; please retry"},
            status=503,
            headers={"Retry-After": "5"},
        )
    return web.Response(body=STORED if new else DUPLICATE, content_type="application/json")


def _refused(request: web.Request, source: str, rejected: Rejected) -> web.Response:
    """A refusal leaves a trace: senders do not retry a 4xx, so the event is gone."""
    log.warning(
        "refused a %s webhook from %s: %s %s",
        source,
        request.remote,
        rejected.status,
        rejected.reason,
    )
    request.app[keys.METRICS].webhook_rejected(source, rejected.status)
    return rejected.response()


def _bearer_ok(request: web.Request) -> bool:
    expected = request.app[keys.SETTINGS].prosody_token
    given = request.headers.get("Authorization", "")
    if expected is None or not given.startswith("Bearer "):
        return False
    return hmac.compare_digest(
        header_bytes(given.removeprefix("Bearer ").strip()), expected.get_secret_value().encode()
    )


@routes.post(PROSODY_PATH, name="webhook_prosody")
async def prosody_event(request: web.Request) -> web.StreamResponse:
    settings = request.app[keys.SETTINGS]
    try:
        if settings.prosody_token is None:
            raise Rejected(401, "Prosody webhooks are not configured (FACILITATE_PROSODY_TOKEN)")
        if not _bearer_ok(request):
            raise Rejected(401, "missing or wrong Authorization: Bearer token")
        raw = await read_limited(request, settings.webhook_max_body_bytes)
        event, data = prosody.parse(raw, request.match_info["kind"], request.match_info["action"])
        received = request.app[keys.CLOCK].now().timestamp()
        incoming = prosody.to_incoming(event, data, settings.jigasi_users, received)
    except Rejected as rejected:
        return _refused(request, "prosody", rejected)
    return await _store(request, incoming, raw)


@routes.post("/webhooks/jaas", name="webhook_jaas")
async def jaas_event(request: web.Request) -> web.StreamResponse:
    settings = request.app[keys.SETTINGS]
    secrets = tuple(secret.get_secret_value().encode() for secret in settings.jaas_secret)
    try:
        raw = await read_limited(request, settings.webhook_max_body_bytes)
        jaas.verify(
            request.headers.get(jaas.HEADER),
            raw,
            secrets,
            request.app[keys.CLOCK].now().timestamp(),
            settings.webhook_tolerance_seconds,
        )
        incoming = jaas.to_incoming(*jaas.parse(raw))
    except Rejected as rejected:
        return _refused(request, "jaas", rejected)
    if incoming is None:
        return web.json_response({"stored": False, "ignored": "unknown eventType"})
    return await _store(request, incoming, raw)


@routes.get("/webhooks/openapi.json", name="webhook_openapi")
async def openapi(request: web.Request) -> web.StreamResponse:
    return web.json_response(SPEC)
