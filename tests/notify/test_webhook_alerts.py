"""The optional signed outgoing webhook (Standard Webhooks): the same alerts through the
same outbox, verified here the way a receiver would, from the specification's formula."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import SecretStr
from sqlmodel import select

from plugin import keys
from plugin.clock import FixedClock
from plugin.db.models import Notification
from plugin.settings import Settings
from tests.checkout.conftest import add_people, personal_link, send_checkout, start_session
from tests.conftest import AddAccount, Client, app_of, login
from tests.support.app import app_for

KEY = os.urandom(32)
SECRET = "whsec_" + base64.b64encode(KEY).decode()


async def test_an_urgent_flag_posts_a_signed_webhook_once_with_the_same_id_on_retry(
    aiohttp_client: Callable[..., Awaitable[Client]],
    aiohttp_server: Callable[..., Awaitable[TestServer]],
    settings: Settings,
    clock: FixedClock,
    add_account: AddAccount,
) -> None:
    received: list[tuple[dict[str, str], bytes]] = []
    answers = [500, 204]

    async def receive(request: web.Request) -> web.Response:
        received.append((dict(request.headers), await request.read()))
        return web.Response(status=answers.pop(0) if answers else 204)

    receiver = web.Application()
    receiver.router.add_post("/hooks/alerts", receive)
    server = await aiohttp_server(receiver)
    url = f"http://127.0.0.1:{server.port}/hooks/alerts"
    with_hook = settings.model_copy(
        update={"alert_webhook_url": url, "alert_webhook_secret": SecretStr(SECRET)}
    )
    client = await aiohttp_client(app_for(with_hook, clock))
    app = app_of(client)
    await add_account("fiona")
    await login(client, "fiona")
    session_id = await start_session(client, "Circle")
    ids = await add_people(client, session_id, ("Ana Example", "web"))
    link = await personal_link(client, session_id, ids["Ana Example"])
    await send_checkout(client, link, {"feeling": "struggling", "note": "very low"})
    # The sender also wakes by itself on the flag: whichever of the two gets it delivers.
    await app[keys.SENDER].deliver_due()
    async with asyncio.timeout(10):
        while not received:
            await asyncio.sleep(0.02)
    clock.advance(timedelta(seconds=16))
    async with asyncio.timeout(10):
        while len(received) < 2:
            await app[keys.SENDER].deliver_due()
            await asyncio.sleep(0.02)

    assert len(received) == 2  # a 500, then the retry
    (first, _), (headers, body) = received
    assert first["webhook-id"] == headers["webhook-id"]  # a receiver can drop repeats
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(KEY, signed, hashlib.sha256).digest()).decode()
    assert headers["webhook-signature"] == f"v1,{expected}"
    event: dict[str, Any] = json.loads(body)
    assert event["type"] == "checkout.flag.urgent"
    assert event["data"]["session_id"] == session_id
    assert event["data"]["url"].startswith("http://127.0.0.1:8080/review/flags/")
    assert b"Ana" not in body and b"struggling" not in body and b"low" not in body
    async with app[keys.DATABASE].session() as db:
        (row,) = (await db.exec(select(Notification))).all()
    assert (row.channel, row.state, row.attempts) == ("webhook", "sent", 1)
    page = await (await client.get(f"/review/flags/{row.flag_id}")).text()
    assert "Alert webhook: <strong>sent</strong>" in page
