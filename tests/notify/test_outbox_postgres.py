"""The outbox on the real PostgreSQL server: two instances' senders (two apps, two
connection pools, one database) race for the same alerts, and each goes out once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlmodel import select

from plugin import keys
from plugin.db import sessions as sessions_db
from plugin.db.models import Account, Notification
from tests.checkout.conftest import add_people, personal_link, send_checkout, start_session
from tests.conftest import Client, app_of, create_account, login
from tests.integration.test_storage import postgres_settings, postgres_url  # noqa: F401
from tests.notify.conftest import with_mail
from tests.support.app import app_for
from tests.support.smtp import MailServer

pytestmark = pytest.mark.postgres


async def test_two_instances_send_each_alert_once_on_postgres(
    aiohttp_client: Any,
    postgres_settings: Any,  # noqa: F811
    clock: Any,
    mail_server: MailServer,
) -> None:
    settings = with_mail(postgres_settings, mail_server)
    one: Client = await aiohttp_client(app_for(settings, clock))
    two: Client = await aiohttp_client(app_for(settings, clock))
    app = app_of(one)
    fran = await create_account(app[keys.DATABASE], "fran", clock.now())
    hosts = [await create_account(app[keys.DATABASE], f"host{n}", clock.now()) for n in range(3)]
    await login(one, "fran")
    session_id = await start_session(one)
    async with app[keys.DATABASE].session() as db:
        for account_id in [fran, *hosts]:
            account = await db.get(Account, account_id)
            assert account is not None
            account.email = f"a{account_id}@example.org"
            db.add(account)
            if account_id != fran:
                await sessions_db.add_host(db, session_id, account_id)
        await db.commit()
    people = [(f"P{n}", "web") for n in range(5)]
    ids = await add_people(one, session_id, *people)
    for name, _ in people:
        link = await personal_link(one, session_id, ids[name])
        await send_checkout(one, link, {"feeling": "struggling"})
    senders = [app_of(c)[keys.SENDER] for c in (one, two)]
    await asyncio.gather(*(s.deliver_due() for s in senders * 3))
    for _ in range(100):
        async with app[keys.DATABASE].session() as db:
            states = (await db.exec(select(Notification.state))).all()
        if set(states) == {"sent"}:
            break
        await asyncio.sleep(0.1)
    assert len(states) == 20 and set(states) == {"sent"}  # 5 flags x 4 people
    ids_seen = [message["Message-ID"] for _, message in mail_server.inbox.messages]
    assert len(ids_seen) == 20 and len(set(ids_seen)) == 20
