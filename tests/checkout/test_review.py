"""Host review, tested as an attacker would try it: two facilitators and a host, every
review route with the other's ids. Every view of a flag and every change is audited."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from facilitation.roles import Role
from plugin import keys
from plugin.db.models import Flag, FlagAction
from tests.checkout.conftest import (
    add_people,
    after_the_wait,
    audit_entries,
    end_session,
    personal_link,
    send_checkout,
    start_session,
)
from tests.conftest import AddAccount, Client, app_of, csrf_from, login, post_form

Hosts = dict[str, tuple[str, list[Flag]]]


async def _flags(client: Client, session_id: str) -> list[Flag]:
    async with app_of(client)[keys.DATABASE].session() as db:
        query = select(Flag).where(Flag.session_id == session_id).order_by(Flag.id)  # type: ignore[arg-type]
        return list((await db.exec(query)).all())


async def _seen(client: Client, flag_id: int | None) -> str:
    """The version a review page puts in its form (the flag's last change)."""
    async with app_of(client)[keys.DATABASE].session() as db:
        flag = await db.get(Flag, flag_id)
    assert flag is not None
    return flag.updated_at.isoformat()


async def _session_with_flags(client: Client, room: str) -> tuple[str, list[Flag]]:
    """Ann checks out struggling, Bob fine, Cy never: after the wait, two flags."""
    session_id = await start_session(client, room)
    ids = await add_people(client, session_id, ("Ann", "web"), ("Bob", "web"), ("Cy", "web"))
    await send_checkout(
        client,
        await personal_link(client, session_id, ids["Ann"]),
        {"feeling": "struggling", "contact": "other", "other_way": "ann@example.org"},
    )
    await send_checkout(
        client, await personal_link(client, session_id, ids["Bob"]), {"feeling": "good"}
    )
    await end_session(client, session_id)
    assert await after_the_wait(client) == 1
    return session_id, await _flags(client, session_id)


@pytest.fixture
async def two_hosts(client: Client, second_client: Client, add_account: AddAccount) -> Hosts:
    await add_account("fran")
    await add_account("gita")
    await login(client, "fran")
    await login(second_client, "gita")
    fran_session, fran_flags = await _session_with_flags(client, "FranRoom")
    gita_session, gita_flags = await _session_with_flags(second_client, "GitaRoom")
    return {
        "fran": (fran_session, fran_flags),
        "gita": (gita_session, gita_flags),
    }


async def test_each_host_sees_only_their_own_sessions_flags(
    client: Client, second_client: Client, two_hosts: Hosts
) -> None:
    fran_session, fran_flags = two_hosts["fran"]
    gita_session, gita_flags = two_hosts["gita"]
    listing = await (await client.get("/review")).text()
    assert "FranRoom" in listing and "GitaRoom" not in listing
    # Every review route with the other host's ids: as if they did not exist.
    for flag in gita_flags:
        assert (await client.get(f"/review/flags/{flag.id}")).status == 404
        token = await csrf_from(client, "/review")
        changed = await client.post(
            f"/review/flags/{flag.id}",
            data={"status": "resolved", "note": "x", "csrf_token": token},
        )
        assert changed.status == 404
    assert (await client.get(f"/review/sessions/{gita_session}")).status == 404
    assert (await client.get(f"/sessions/{gita_session}")).status == 404
    assert (await client.get("/review/flags/999999")).status == 404
    # Nothing of Gita's was changed or viewed by Fran.
    assert all(f.status == "open" for f in await _flags(client, gita_session))
    viewed = {e.target for e in await audit_entries(client, "flag.viewed")}
    assert not viewed & {f"flag:{f.id}" for f in gita_flags}
    # Signed out: the sign-in page, never a flag.
    await client.post("/logout", data={"csrf_token": await csrf_from(client, "/")})
    gone = await client.get(f"/review/sessions/{fran_session}", allow_redirects=False)
    assert gone.status == 303 and gone.headers["Location"].startswith("/login")
    assert (await second_client.get(f"/review/sessions/{gita_session}")).status == 200
    del fran_flags


async def test_a_host_added_to_a_session_sees_it_and_no_other(
    client: Client, second_client: Client, two_hosts: Hosts, add_account: AddAccount
) -> None:
    fran_session, _ = two_hosts["fran"]
    gita_session, _ = two_hosts["gita"]
    await add_account("hana", Role.HOST)
    added = await post_form(
        client, f"/sessions/{fran_session}/hosts", {"username": "hana"}, f"/sessions/{fran_session}"
    )
    assert added.status == 303 and "host=added" in added.headers["Location"]
    await client.post("/logout", data={"csrf_token": await csrf_from(client, "/")})
    await login(client, "hana")
    assert (await client.get(f"/review/sessions/{fran_session}")).status == 200
    assert (await client.get(f"/review/sessions/{gita_session}")).status == 404
    # A host reviews; they cannot run the session or add hosts.
    refused = await post_form(client, f"/sessions/{fran_session}/checkout/start", {}, "/review")
    assert refused.status == 403
    refused = await post_form(
        client, f"/sessions/{gita_session}/hosts", {"username": "hana"}, "/review"
    )
    assert refused.status == 403


async def test_an_admin_sees_every_session(
    client: Client, two_hosts: Hosts, add_account: AddAccount
) -> None:
    gita_session, _ = two_hosts["gita"]
    await add_account("root", Role.ADMIN)
    await login(client, "root")
    assert (await client.get(f"/review/sessions/{gita_session}")).status == 200


async def test_the_session_page_urgent_first_every_view_audited_changes_recorded(
    client: Client, two_hosts: Hosts
) -> None:
    session_id, flags = two_hosts["fran"]
    page = await (await client.get(f"/review/sessions/{session_id}")).text()
    articles = page.split("<article")[1:]
    assert len(articles) == 2
    assert "Ann" in articles[0] and "urgent" in articles[0]  # urgent first
    assert "Cy" in articles[1] and "Did not check out" in articles[1]
    assert "ann@example.org" in page and "Cy" in page
    assert re.search(
        r'no follow-up needed</h2>\s*<ul class="fine"><li><strong>Bob</strong>: Good', page
    )
    assert (
        "Checked out: 2" in page
        and "Flagged from their answers: 1" in page
        and "Did not check out: 1" in page
    )
    viewed = await audit_entries(client, "flag.viewed")
    assert sorted(e.target for e in viewed) == sorted(f"flag:{f.id}" for f in flags)
    assert all(e.actor_id is not None for e in viewed)

    urgent = next(f for f in flags if f.level == "urgent")
    token = await csrf_from(client, "/review")
    saved = await client.post(
        f"/review/flags/{urgent.id}",
        data={
            "status": "contacted",
            "note": "Rang Ann, she is OK for now",
            "seen": await _seen(client, urgent.id),
            "csrf_token": token,
        },
        allow_redirects=False,
    )
    assert saved.status == 303
    location = saved.headers["Location"]
    assert location == f"/review/sessions/{session_id}?saved={urgent.id}#flag-{urgent.id}"
    confirmed = await (await client.get(location)).text()
    assert f'id="flag-{urgent.id}-saved"' in confirmed and "<title>Saved:" in confirmed
    (changed,) = await audit_entries(client, "flag.changed")
    assert changed.target == f"flag:{urgent.id}" and changed.detail == {
        "status": "contacted",
        "noted": True,
    }
    assert "Rang" not in str([e.detail for e in await audit_entries(client)])  # never content
    async with app_of(client)[keys.DATABASE].session() as db:
        (action,) = (await db.exec(select(FlagAction).where(FlagAction.kind == "host"))).all()
    assert action.note is not None and "Rang" not in action.note  # sealed at rest
    page = await (await client.get(f"/review/flags/{urgent.id}")).text()
    assert "Fran: Contacted" in page and "Rang Ann, she is OK for now" in page


async def test_empty_and_bad_changes_are_explained(client: Client, two_hosts: Hosts) -> None:
    _, flags = two_hosts["fran"]
    token = await csrf_from(client, "/review")
    seen = await _seen(client, flags[0].id)
    same = await client.post(
        f"/review/flags/{flags[0].id}",
        data={"status": "open", "note": " ", "seen": seen, "csrf_token": token},
    )
    assert same.status == 400 and "Nothing to save" in await same.text()
    bad = await client.post(
        f"/review/flags/{flags[0].id}",
        data={"status": "gone", "note": "", "seen": seen, "csrf_token": token},
    )
    assert bad.status == 400 and "open, contacted or resolved" in await bad.text()
    long = await client.post(
        f"/review/flags/{flags[0].id}",
        data={"status": "resolved", "note": "x" * 2001, "seen": seen, "csrf_token": token},
    )
    assert long.status == 400
    assert await audit_entries(client, "flag.changed") == []


async def test_the_audit_log_refuses_edits_and_deletions(client: Client, two_hosts: Hosts) -> None:
    session_id, _ = two_hosts["fran"]
    await client.get(f"/review/sessions/{session_id}")
    before = len(await audit_entries(client))
    async with app_of(client)[keys.DATABASE].session() as db:
        for statement in ("UPDATE audit_entry SET actor_id = NULL", "DELETE FROM audit_entry"):
            with pytest.raises(DBAPIError, match="append-only"):
                await db.exec(text(statement))  # type: ignore[call-overload]
            await db.rollback()
    assert len(await audit_entries(client)) == before


async def test_a_late_check_out_settles_the_missing_flag(
    client: Client, signed_in_facilitator: None
) -> None:
    session_id = await start_session(client)
    ids = await add_people(client, session_id, ("Dee", "web"))
    path = await personal_link(client, session_id, ids["Dee"])
    await end_session(client, session_id)
    assert await after_the_wait(client) == 1
    assert await after_the_wait(client) == 0  # raised once, not every run
    await send_checkout(client, path, {"feeling": "good"})
    (flag,) = await _flags(client, session_id)
    assert flag.reasons == ["no_checkout"] and flag.status == "resolved"


async def test_people_only_jitsi_saw_are_followed_up_too(
    client: Client, signed_in_facilitator: None
) -> None:
    """The assistant was not in the meeting; Prosody's webhooks recorded who came."""
    from plugin.db.models import Attendance

    session_id = await start_session(client, "NoBot")
    app = app_of(client)
    now = app[keys.CLOCK].now()
    async with app[keys.DATABASE].session() as db:
        for n, name in enumerate(("Eve", "+447700900321", "Facilitation assistant")):
            db.add(
                Attendance(
                    room="nobot",
                    occupant=f"nobot@muc/{n}",
                    name=name,
                    kind="phone" if name.startswith("+") else "web",
                    joined_at=now,
                )
            )
        await db.commit()
    await end_session(client, session_id)
    assert await after_the_wait(client) == 2
    names = sorted(f.display_name for f in await _flags(client, session_id))
    assert names == ["Eve", "…321"]


async def test_a_change_made_on_an_old_view_is_refused(
    client: Client, signed_in_facilitator: None
) -> None:
    """A host opens a flag; the person then makes it urgent; "resolved" from the old page
    must not close what the host never saw."""
    session_id = await start_session(client)
    ids = await add_people(client, session_id, ("Ann", "web"))
    path = await personal_link(client, session_id, ids["Ann"])
    await send_checkout(client, path, {"feeling": "not_sure"})
    (flag,) = await _flags(client, session_id)
    seen = await _seen(client, flag.id)
    app_of(client)[keys.CLOCK].advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    await send_checkout(client, path, {"feeling": "struggling", "note": "I feel unsafe at home"})
    token = await csrf_from(client, "/review")
    stale = await client.post(
        f"/review/flags/{flag.id}",
        data={"status": "resolved", "note": "", "seen": seen, "csrf_token": token},
    )
    assert stale.status == 409
    page = await stale.text()
    assert "changed since you opened it" in page and "I feel unsafe at home" in page
    (flag,) = await _flags(client, session_id)
    assert (flag.level, flag.status) == ("urgent", "open")


async def test_a_facilitator_added_as_host_reviews_but_cannot_run_the_session(
    client: Client, second_client: Client, add_account: AddAccount
) -> None:
    await add_account("fran")
    await add_account("gita")
    await login(client, "fran")
    await login(second_client, "gita")
    session_id = await start_session(client)
    added = await post_form(
        client, f"/sessions/{session_id}/hosts", {"username": "gita"}, f"/sessions/{session_id}"
    )
    assert "host=added" in added.headers["Location"]
    assert (await second_client.get(f"/review/sessions/{session_id}")).status == 200
    console = await (await second_client.get(f"/sessions/{session_id}")).text()
    assert "End session now" not in console and "Start the check-out" not in console
    page = f"/sessions/{session_id}"
    for action, data in (
        ("/end", {}),
        ("/hosts", {"username": "fran"}),
        ("/checkout/start", {}),
        ("/queue", {"action": "next", "seq": "0"}),
    ):
        refused = await post_form(second_client, page + action, data, "/review")
        assert refused.status == 403, action
    async with app_of(client)[keys.DATABASE].session() as db:
        from plugin.db.models import MeetingSession

        session = await db.get(MeetingSession, session_id)
    assert session is not None and session.ended_at is None


async def test_the_overview_puts_urgent_flags_first_and_records_that_they_were_listed(
    client: Client, two_hosts: Hosts
) -> None:
    _, flags = two_hosts["fran"]
    urgent = next(f for f in flags if f.level == "urgent")
    page = await (await client.get("/review")).text()
    top = page.split("Urgent, not yet resolved", 1)[1].split("<h2", 1)[0]
    assert f'href="/review/flags/{urgent.id}">Ann</a>' in top
    assert "GitaRoom" not in page
    listed = await audit_entries(client, "flag.listed")
    assert [e.target for e in listed] == [f"flag:{urgent.id}"]


async def test_notes_and_feedback_from_fine_check_outs_reach_the_hosts(
    client: Client, signed_in_facilitator: None
) -> None:
    session_id = await start_session(client)
    ids = await add_people(client, session_id, ("Ann", "web"))
    await send_checkout(
        client,
        await personal_link(client, session_id, ids["Ann"]),
        {"feeling": "ok", "note": "my carer left, please ring", "feedback": "more breaks"},
    )
    page = await (await client.get(f"/review/sessions/{session_id}")).text()
    assert "my carer left, please ring" in page and "more breaks" in page
    (entry,) = await audit_entries(client, "checkouts.viewed")
    assert entry.target == f"session:{session_id}" and entry.detail == {"count": 1}
