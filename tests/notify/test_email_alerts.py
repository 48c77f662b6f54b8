"""Hosts are told: an urgent check-out emails every host and facilitator of the session
at once (through a real SMTP server with STARTTLS and a login), the other flags come as
one digest after the check-out window, and no email holds health content."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from facilitation.notices import MAX_ATTEMPTS, State
from facilitation.roles import Role
from plugin import keys
from plugin.db import sessions as sessions_db
from plugin.db.models import AuditEntry, Flag, Notification
from tests.checkout.conftest import (
    add_people,
    after_the_wait,
    end_session,
    personal_link,
    send_checkout,
    start_session,
)
from tests.conftest import AddAccount, Client, app_of, login, post_form
from tests.support.smtp import MailServer

FAC = "fac@example.org"
HOST = "host@example.org"
NOTE = "I feel very low and alone tonight"


async def set_alerts(client: Client, email: str, notify: str = "all") -> None:
    response = await post_form(client, "/account", {"email": email, "notify": notify}, "/account")
    assert response.status == 303, await response.text()
    assert response.headers["Location"] == "/account?saved=1"


async def team(client: Client, add_account: AddAccount, host_notify: str = "all") -> str:
    """A facilitator (signed in, alerts to FAC) runs a session; a host (alerts to HOST)."""
    await add_account("fiona")
    host_id = await add_account("harry", Role.HOST)
    await login(client, "harry")
    await set_alerts(client, HOST, host_notify)
    await client.post("/logout", data={})  # sign-out needs its token; a new sign-in replaces it
    await login(client, "fiona")
    await set_alerts(client, FAC)
    session_id = await start_session(client, "Circle")
    async with app_of(client)[keys.DATABASE].session() as db:
        await sessions_db.add_host(db, session_id, host_id)
        await db.commit()
    return session_id


async def arrived(server: MailServer, count: int, within: float) -> float:
    started = time.monotonic()
    while len(server.inbox.messages) < count:
        assert time.monotonic() - started < within, f"{len(server.inbox.messages)} of {count}"
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def alerts(client: Client) -> list[Notification]:
    async with app_of(client)[keys.DATABASE].session() as db:
        return list((await db.exec(select(Notification).order_by(Notification.id))).all())  # type: ignore[arg-type]


async def all_sent(client: Client) -> None:
    """Wait until the sender has recorded every alert as sent (it does so just after the
    mail server answers), before the test moves the clock on."""
    for _ in range(100):
        if {row.state for row in await alerts(client)} == {State.SENT.value}:
            return
        await asyncio.sleep(0.05)
    raise AssertionError([row.state for row in await alerts(client)])


async def test_an_urgent_checkout_reaches_every_host_within_5_seconds_without_health_content(
    alert_client: Client, add_account: AddAccount, mail_server: MailServer
) -> None:
    session_id = await team(alert_client, add_account)
    ids = await add_people(alert_client, session_id, ("Ana Example", "web"))
    answers = {
        "feeling": "struggling",
        "contact": "call_later",
        "note": NOTE,
        "phone": "07700900123",
    }
    link = await personal_link(alert_client, session_id, ids["Ana Example"])
    response = await send_checkout(alert_client, link, answers)
    assert response.status in (200, 303)

    took = await arrived(mail_server, 2, within=5.0)  # the sender wakes on the flag
    assert took < 5.0
    (fac,), (host,) = mail_server.inbox.to(FAC), mail_server.inbox.to(HOST)
    async with app_of(alert_client)[keys.DATABASE].session() as db:
        (flag,) = (await db.exec(select(Flag).where(Flag.session_id == session_id))).all()
    for message in (fac, host):
        body = message.get_payload()
        assert isinstance(body, str)
        assert message["Subject"].startswith("Urgent")
        assert f"http://127.0.0.1:8080/review/flags/{flag.id}" in body
        for secret in ("Ana", "struggling", "low and alone", "07700900123", "call"):
            assert secret not in body and secret not in message["Subject"]
        assert message["From"] == "alerts@facilitate.example.org"
    assert fac["Message-ID"] != host["Message-ID"]
    # The review page says who was told and that it went (once the sender recorded it).
    await all_sent(alert_client)
    page = await (await alert_client.get(f"/review/flags/{flag.id}")).text()
    assert "Email to Fiona: <strong>sent</strong>" in page
    assert "Email to Harry: <strong>sent</strong>" in page
    # Sending again changes nothing: each alert is sent once.
    assert await app_of(alert_client)[keys.SENDER].deliver_due() == 0
    assert len(mail_server.inbox.messages) == 2


async def test_other_flags_come_as_one_digest_after_the_window_to_those_who_want_all(
    alert_client: Client, add_account: AddAccount, mail_server: MailServer
) -> None:
    session_id = await team(alert_client, add_account, host_notify="urgent")
    ids = await add_people(alert_client, session_id, ("Ben", "web"), ("Cat", "web"))
    await send_checkout(
        alert_client,
        await personal_link(alert_client, session_id, ids["Ben"]),
        {"feeling": "not_sure"},
    )
    sender = app_of(alert_client)[keys.SENDER]
    assert await sender.deliver_due() == 0  # not urgent: nothing at once
    assert mail_server.inbox.messages == []

    await end_session(alert_client, session_id)
    assert await after_the_wait(alert_client) == 1  # Cat never checked out
    await sender.deliver_due()  # or the sender woken by the digest sends it
    await arrived(mail_server, 1, within=5.0)
    await all_sent(alert_client)
    assert len(mail_server.inbox.to(FAC)) == 1
    assert mail_server.inbox.to(HOST) == []  # Harry asked for urgent ones only
    (digest,) = mail_server.inbox.to(FAC)
    assert digest["Subject"] == "2 check-out flags to follow up from Circle"
    body = str(digest.get_payload())
    assert f"/review/sessions/{session_id}" in body
    assert "Ben" not in body and "Cat" not in body and "not sure" not in body.lower()
    # The job runs again later: still one digest.
    await after_the_wait(alert_client)
    await sender.deliver_due()
    await asyncio.sleep(0.3)
    assert len(mail_server.inbox.messages) == 1
    page = await (await alert_client.get(f"/review/sessions/{session_id}")).text()
    assert "Email to Fiona: <strong>sent</strong>" in page


async def test_an_smtp_outage_is_retried_with_back_off_and_shown_on_the_review_page(
    alert_client: Client, add_account: AddAccount, mail_server: MailServer
) -> None:
    app = app_of(alert_client)
    session_id = await team(alert_client, add_account)
    ids = await add_people(alert_client, session_id, ("Dee", "web"))
    mail_server.inbox.refuse = 2  # the server says "try later" twice
    await send_checkout(
        alert_client,
        await personal_link(alert_client, session_id, ids["Dee"]),
        {"feeling": "struggling"},
    )
    await asyncio.sleep(0.5)  # the woken sender tries once for each of the two
    await app[keys.SENDER].deliver_due()
    rows = await alerts(alert_client)
    assert {r.state for r in rows} == {State.RETRYING.value}
    assert all(r.last_error and "451" in r.last_error for r in rows)
    page = await (await alert_client.get(f"/review/flags/{rows[0].flag_id}")).text()
    assert "not sent yet, trying again" in page and "SMTP error 451" in page

    assert await app[keys.SENDER].deliver_due() == 0  # not due yet: it backs off
    app[keys.CLOCK].advance(timedelta(seconds=16))  # type: ignore[attr-defined]
    await app[keys.SENDER].deliver_due()
    rows = await alerts(alert_client)
    assert [r.state for r in rows] == [State.SENT.value, State.SENT.value]
    assert len(mail_server.inbox.messages) == 2  # once each, after the outage


async def test_an_alert_that_cannot_be_sent_fails_with_its_reason_after_the_last_try(
    alert_client: Client, add_account: AddAccount, mail_server: MailServer
) -> None:
    app = app_of(alert_client)
    session_id = await team(alert_client, add_account)
    ids = await add_people(alert_client, session_id, ("Eve", "web"))
    mail_server.stop()  # the server is gone for good
    await send_checkout(
        alert_client,
        await personal_link(alert_client, session_id, ids["Eve"]),
        {"feeling": "struggling"},
    )
    for _ in range(40):  # about 4 hours of back-off, within the sign-in's 12 hours
        await app[keys.SENDER].deliver_due()
        if {r.state for r in await alerts(alert_client)} == {State.FAILED.value}:
            break
        app[keys.CLOCK].advance(timedelta(minutes=20))  # type: ignore[attr-defined]
    rows = await alerts(alert_client)
    assert [(r.state, r.attempts) for r in rows] == [(State.FAILED.value, MAX_ATTEMPTS)] * 2
    assert rows[0].last_error == "could not connect to the SMTP server"
    page = await (await alert_client.get(f"/review/flags/{rows[0].flag_id}")).text()
    assert "failed, no more tries" in page and "could not connect to the SMTP server" in page


async def test_two_senders_on_one_database_send_each_alert_once(
    alert_client: Client, add_account: AddAccount, mail_server: MailServer
) -> None:
    from plugin.notify.mail import Mailer
    from plugin.notify.sender import Sender
    from plugin.notify.webhook import AlertWebhook

    app = app_of(alert_client)
    session_id = await team(alert_client, add_account)
    people = [(f"P{n}", "web") for n in range(6)]
    ids = await add_people(alert_client, session_id, *people)
    settings = app[keys.SETTINGS]
    other = Sender(app[keys.DATABASE], app[keys.CLOCK], Mailer(settings), AlertWebhook(settings))
    # 12 alerts (6 flags, 2 people each); the app's own sender, woken, races them too.
    for name, _ in people:
        await send_checkout(
            alert_client,
            await personal_link(alert_client, session_id, ids[name]),
            {"feeling": "struggling"},
        )
    await asyncio.gather(app[keys.SENDER].deliver_due(), other.deliver_due(), other.deliver_due())
    await arrived(mail_server, 12, within=10.0)
    await asyncio.sleep(0.5)
    ids_seen = [message["Message-ID"] for _, message in mail_server.inbox.messages]
    assert len(ids_seen) == 12 and len(set(ids_seen)) == 12


async def test_hosts_choose_their_address_and_alerts_on_their_account_page(
    alert_client: Client, add_account: AddAccount
) -> None:
    await add_account("gil", Role.HOST)
    await login(alert_client, "gil")
    page = await (await alert_client.get("/account")).text()
    assert "Only urgent ones" in page and "novalidate" in page
    bad = await post_form(
        alert_client, "/account", {"email": "gil at home", "notify": "all"}, "/account"
    )
    assert bad.status == 400
    text = await bad.text()
    assert "Enter an email address like name@example.org" in text and 'href="#email"' in text
    odd = await post_form(
        alert_client, "/account", {"email": "", "notify": "sometimes"}, "/account"
    )
    assert odd.status == 400 and "Choose which alerts you want." in await odd.text()
    await set_alerts(alert_client, "gil@example.org", "urgent")
    page = await (await alert_client.get("/account?saved=1")).text()
    assert 'value="gil@example.org"' in page and 'value="urgent" checked' in page
    async with app_of(alert_client)[keys.DATABASE].session() as db:
        entries = (
            await db.exec(select(AuditEntry).where(AuditEntry.action == "account.alerts_changed"))
        ).all()
    assert len(entries) == 1 and "gil@example.org" not in str(entries[0].model_dump())


def test_check_tries_the_smtp_server_and_notify_test_sends_one(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    mail_server: MailServer,
) -> None:
    from plugin.cli import main

    monkeypatch.setenv("FACILITATE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("FACILITATE_DATA_DIR", str(tmp_path / "data"))
    for name, value in mail_server.settings().items():
        monkeypatch.setenv(f"FACILITATE_{name.upper()}", str(value))
    assert main(["db", "upgrade"]) == 0
    assert main(["check"]) == 0
    out = capsys.readouterr()
    assert f"SMTP server localhost:{mail_server.port} answered (STARTTLS and signed in)" in out.out
    assert "smtp-password-for-tests" not in out.out + out.err

    assert main(["notify-test", "me@example.org"]) == 0
    (message,) = mail_server.inbox.to("me@example.org")
    assert message["Subject"] == "Test message from the meeting helper"

    monkeypatch.setenv("FACILITATE_SMTP_PASSWORD", "not the password")
    assert main(["check"]) == 1
    assert (
        "FACILITATE_SMTP_HOST: the SMTP server refused the login (535)" in capsys.readouterr().err
    )
    assert main(["notify-test", "me@example.org"]) == 1
    assert "Not sent: the SMTP server refused the login" in capsys.readouterr().err
    mail_server.stop()
    monkeypatch.setenv("FACILITATE_SMTP_PASSWORD", "smtp-password-for-tests")
    assert main(["check"]) == 1
    assert "could not connect to the SMTP server" in capsys.readouterr().err
