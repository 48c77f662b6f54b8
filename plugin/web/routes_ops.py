"""Health and metrics for load balancers and Prometheus.

Anyone may ask /healthz whether the service is up (its status and code only); the details
(database, schema, assistants, consoles) and /metrics need a bearer token or, without
one, a client on this machine (see ops_access)."""

from __future__ import annotations

import time

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import SQLAlchemyError

from plugin import keys
from plugin.cluster.ownership import Report
from plugin.db import sessions as sessions_db
from plugin.db.migrate import head_revision, revision_on
from plugin.web.ops_access import Access, access, unauthorized

routes = web.RouteTableDef()


@routes.get("/healthz", name="healthz")
async def healthz(request: web.Request) -> web.StreamResponse:
    allowed = access(request)
    if allowed is Access.REFUSED:
        raise unauthorized()
    database = request.app[keys.DATABASE]
    started = time.perf_counter()
    try:
        async with database.engine.connect() as conn:
            revision = await revision_on(conn)  # also proves the database answers
    except (SQLAlchemyError, OSError) as exc:
        failed: dict[str, object] = {
            "status": "unavailable",
            "database": {"ok": False, "error": type(exc).__name__},
        }
        return _health(allowed, failed, 503)
    latency = round((time.perf_counter() - started) * 1000, 2)
    expected = head_revision()
    body: dict[str, object] = {
        "status": "ok" if revision == expected else "degraded",
        "database": {
            "ok": True,
            "backend": database.engine.dialect.name,
            "latency_ms": latency,
            "schema": revision,
            "schema_current": revision == expected,
        },
        "live_consoles": request.app[keys.HUB].count(),
        "meeting_bots": request.app[keys.CONNECTOR].states(),
        "instance": _instance(request.app[keys.OWNERSHIP].report()),
    }
    return _health(allowed, body, 200 if revision == expected else 503)


def _instance(report: Report) -> dict[str, object]:
    """This instance's part: alone (SQLite) or one of several, and the meetings it runs."""
    return {
        "id": report.instance,
        "role": report.role,
        "meetings": len(report.meetings),
        "runs_schedule": report.schedule,
    }


def _health(allowed: Access, body: dict[str, object], status: int) -> web.Response:
    public = body if allowed is Access.FULL else {"status": body["status"]}
    return web.json_response(public, status=status, headers={"Cache-Control": "no-store"})


@routes.get("/metrics", name="metrics")
async def metrics(request: web.Request) -> web.StreamResponse:
    allowed = access(request)
    if allowed is not Access.FULL:
        if allowed is Access.NONE and request.app[keys.SETTINGS].metrics_token is None:
            raise web.HTTPNotFound()  # as if there were nothing here
        raise unauthorized()
    registry = request.app[keys.METRICS]
    try:
        async with request.app[keys.DATABASE].session() as db:
            registry.active_sessions.set(await sessions_db.count_live(db))
    except SQLAlchemyError:
        pass  # keep serving the in-process metrics; /healthz reports the database
    registry.live_consoles.set(request.app[keys.HUB].count())
    connector = request.app[keys.CONNECTOR]
    for state, count in connector.states().items():
        registry.bots.labels(state=state).set(count)
    registry.bot_participants.set(connector.participant_count())
    body = generate_latest(registry.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
