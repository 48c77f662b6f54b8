"""Health, metrics, headers, body limits and database outages."""

from __future__ import annotations

import logging
import socket

import pytest
from aiohttp import web
from pydantic import SecretStr

from plugin.clock import FixedClock
from plugin.settings import Settings, SettingsError, load_settings
from plugin.web.auth import Handler
from tests.conftest import CSRF_INPUT, Client, csrf_from, post_form
from tests.integration.test_sessions import start
from tests.support.app import app_for


async def test_healthz_reports_database_and_schema(client: Client) -> None:
    response = await client.get("/healthz")
    body = await response.json()
    assert response.status == 200
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["database"]["backend"] == "sqlite"
    assert body["database"]["schema_current"] is True


@pytest.mark.usefixtures("signed_in_facilitator")
async def test_metrics_count_requests_and_active_sessions(client: Client) -> None:
    await start(client, "https://meet.example.org/One")
    await start(client, "https://meet.example.org/Two")
    await client.get("/sessions/nope")
    text = await (await client.get("/metrics")).text()
    assert "facilitate_active_sessions 2.0" in text
    assert (
        'facilitate_http_requests_total{method="POST",route="/sessions",status="303"} 2.0' in text
    )
    assert 'route="/sessions/{session_id}",status="404"' in text
    assert 'facilitate_http_request_duration_seconds_count{route="/login"}' in text


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_database_down_is_503_with_a_clear_message(
    aiohttp_client, settings: Settings, clock: FixedClock
) -> None:
    down = settings.model_copy(
        update={"database_url": f"postgresql://nobody@127.0.0.1:{_closed_port()}/none"}
    )
    client = await aiohttp_client(app_for(down, clock))
    health = await client.get("/healthz")
    assert health.status == 503
    assert (await health.json())["database"]["ok"] is False
    page = await client.get("/login")  # no cookie yet: no database needed to show the form
    assert page.status == 200
    match = CSRF_INPUT.search(await page.text())
    assert match
    token = match.group(1)
    response = await client.post(
        "/login", data={"username": "a", "password": "b" * 12, "csrf_token": token}
    )
    assert response.status == 503
    assert response.headers["Retry-After"] == "30"
    assert "nothing was saved" in await response.text()
    api = await client.get("/", headers={"Accept": "application/json"})
    assert api.status == 503
    assert (await api.json())["error"] == "database_unavailable"


@pytest.mark.usefixtures("signed_in_facilitator")
async def test_security_headers_on_pages(client: Client) -> None:
    session_id = await start(client, "https://meet.example.org/Circle")
    console = await client.get(f"/sessions/{session_id}")
    csp = console.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert console.headers["X-Frame-Options"] == "DENY"
    assert console.headers["X-Content-Type-Options"] == "nosniff"
    assert console.headers["Referrer-Policy"] == "same-origin"
    assert console.headers["Cache-Control"] == "no-store"
    text = await console.text()
    join_path = text.split('class="join-link"><a href="http://127.0.0.1:8080', 1)[1].split('"', 1)[
        0
    ]
    join = await client.get(join_path)
    assert (
        "frame-ancestors 'self' https://meet.example.org https://video.example.net"
        in join.headers["Content-Security-Policy"]
    )
    assert join.headers["Referrer-Policy"] == "no-referrer"
    assert join.headers["X-Robots-Tag"] == "noindex"
    assert "X-Frame-Options" not in join.headers
    static = await client.get("/static/style.css")
    assert static.status == 200
    assert static.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.usefixtures("signed_in_facilitator")
async def test_oversized_bodies_are_413(client: Client) -> None:
    response = await post_form(client, "/sessions", {"meeting": "x" * 70_000})
    assert response.status == 413
    assert "too much" in await response.text()


async def test_files_in_forms_are_400_not_500(client: Client) -> None:
    import aiohttp

    token = await csrf_from(client, "/login")
    form = aiohttp.FormData()
    form.add_field("csrf_token", token)
    form.add_field("username", b"bytes", filename="x.txt", content_type="text/plain")
    form.add_field("password", "x")
    response = await client.post("/login", data=form)
    assert response.status == 400


METRICS_TOKEN = "scrape-token-0123456789abcdefghij"


def _from_elsewhere(app: web.Application, remote: str = "203.0.113.7") -> web.Application:
    """The app as a client on another machine sees it (the TCP peer is `remote`)."""

    @web.middleware
    async def elsewhere(request: web.Request, handler: Handler) -> web.StreamResponse:
        return await handler(request.clone(remote=remote))

    app.middlewares.insert(0, elsewhere)
    return app


async def test_metrics_and_health_details_stay_on_this_machine_by_default(
    aiohttp_client, settings: Settings, clock: FixedClock
) -> None:
    remote = await aiohttp_client(_from_elsewhere(app_for(settings, clock)))
    assert (await remote.get("/metrics")).status == 404
    health = await remote.get("/healthz")
    assert health.status == 200
    assert await health.json() == {"status": "ok"}  # up or not, and nothing more
    spoofed = await remote.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"})
    assert spoofed.status == 404


async def test_through_a_proxy_on_this_machine_is_not_local(client: Client) -> None:
    """nginx on the same host connects from 127.0.0.1 but adds X-Forwarded-For."""
    for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
        proxied = {header: "198.51.100.4"}
        assert (await client.get("/metrics", headers=proxied)).status == 404
        assert await (await client.get("/healthz", headers=proxied)).json() == {"status": "ok"}
    assert (await client.get("/metrics")).status == 200


async def test_with_a_token_metrics_need_it_from_anywhere(
    aiohttp_client, settings: Settings, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with_token = settings.model_copy(update={"metrics_token": SecretStr(METRICS_TOKEN)})
    remote = await aiohttp_client(_from_elsewhere(app_for(with_token, clock)))
    local = await aiohttp_client(app_for(with_token, clock))
    for client in (remote, local):
        missing = await client.get("/metrics")
        assert missing.status == 401
        assert missing.headers["WWW-Authenticate"].startswith("Bearer")
        for wrong in ("Bearer wrong", f"Basic {METRICS_TOKEN}", f"Bearer {METRICS_TOKEN}x", "é"):
            refused = await client.get("/metrics", headers={"Authorization": wrong})
            assert refused.status == 401, wrong
            assert (await client.get("/healthz", headers={"Authorization": wrong})).status == 401
        assert await (await client.get("/healthz")).json() == {"status": "ok"}
        auth = {"Authorization": f"Bearer {METRICS_TOKEN}"}
        scraped = await client.get("/metrics", headers=auth)
        assert scraped.status == 200
        assert "facilitate_active_sessions" in await scraped.text()
        details = await (await client.get("/healthz", headers=auth)).json()
        assert details["database"]["schema_current"] is True
    assert METRICS_TOKEN not in repr(with_token)
    for record in caplog.records:
        assert METRICS_TOKEN not in record.getMessage()
        assert METRICS_TOKEN not in repr(record.args)


def test_a_short_metrics_token_is_refused() -> None:
    with pytest.raises(SettingsError, match="FACILITATE_METRICS_TOKEN"):
        load_settings(environ={"FACILITATE_METRICS_TOKEN": "short"})
