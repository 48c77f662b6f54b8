"""With logging at DEBUG (FACILITATE_LOG_LEVEL=DEBUG), nothing secret or personal reaches a
log: not a password, a PIN, a join code, a caller's number or a participant's name, neither
from the service nor from the libraries under it (SQLAlchemy, aiosqlite, aiohttp)."""

from __future__ import annotations

import logging

import pytest

from tests.checkout.conftest import add_people, join_code
from tests.conftest import CSRF_INPUT, PASSWORD, AddAccount, Client, login
from tests.phone.conftest import post_pbx, start_catchup

CALLER = "+447700900456"
NAMES = ("Ann Wellbeloved", "Zebedee Quartermaine")


async def test_nothing_secret_or_personal_reaches_a_debug_log(
    client: Client, add_account: AddAccount, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await add_account("fran")
    await login(client, "fran", PASSWORD)
    session_id, pin = await start_catchup(client)
    await add_people(client, session_id, (NAMES[0], "web"))
    code = await join_code(client, session_id)  # the console lists Ann too
    looked_up = await client.get("/dial-in/conference-mapper", params={"id": pin})
    assert (await looked_up.json())["conference"] == "catchup@muc.meet.jitsi"
    call = {"type": "call.started", "call_id": "c-log", "caller_id": CALLER, "pin": pin}
    assert (await post_pbx(client, call)).status == 200
    assert (await client.get(f"/join/{code}")).status == 200

    start = await client.get("/checkout")
    csrf = CSRF_INPUT.search(await start.text())
    assert csrf
    issued = await client.post(
        "/checkout", data={"code": code, "csrf_token": csrf.group(1)}, allow_redirects=False
    )
    assert issued.status == 303
    form = await client.get(issued.headers["Location"])
    csrf = CSRF_INPUT.search(await form.text())
    assert csrf
    sent = await client.post(
        issued.headers["Location"],
        data={"feeling": "ok", "name": NAMES[1], "csrf_token": csrf.group(1)},
        allow_redirects=False,
    )
    assert sent.status == 303
    assert NAMES[1] in await (await client.get(f"/review/sessions/{session_id}")).text()

    assert logging.getLogger("plugin").isEnabledFor(logging.DEBUG)  # the service's own logs
    secrets = (PASSWORD, pin, code, CALLER, CALLER[-6:], *NAMES)
    for record in caplog.records:
        logged = record.getMessage() + repr(record.args)
        for secret in secrets:
            assert secret not in logged, f"{secret!r} in a {record.name} record"


async def test_sql_logging_turned_on_by_hand_still_hides_the_values(
    client: Client, add_account: AddAccount, caplog: pytest.LogCaptureFixture
) -> None:
    """An admin chasing a database problem may turn SQLAlchemy's statement log on: the
    statements show, the values bound to them (a PIN here) do not."""
    await add_account("fran")
    await login(client, "fran", PASSWORD)
    _, pin = await start_catchup(client)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    assert (await client.get("/dial-in/conference-mapper", params={"id": pin})).status == 200
    statements = [r.getMessage() for r in caplog.records if r.name.startswith("sqlalchemy")]
    assert any("SELECT" in message for message in statements)
    assert any("parameters hidden" in message for message in statements)
    assert not [message for message in statements if pin in message]
