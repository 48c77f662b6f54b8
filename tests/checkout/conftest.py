"""Helpers for the check-out tests: a session with people in it, as the assistant's roster
would record them, and personal links issued the way the assistant's private chat does."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlmodel import select

from plugin import keys
from plugin.db.models import AuditEntry, Participant
from tests.conftest import CSRF_INPUT, Client, app_of, post_form


async def start_session(client: Client, room: str = "CheckIn") -> str:
    """A live session (the client must be signed in as a facilitator)."""
    response = await post_form(client, "/sessions", {"meeting": f"https://meet.example.org/{room}"})
    assert response.status == 303
    return str(response.headers["Location"]).rsplit("/", 1)[-1]


async def add_people(client: Client, session_id: str, *people: tuple[str, str]) -> dict[str, int]:
    """Participants as the assistant records them: (display name, kind). Returns name -> row id."""
    app = app_of(client)
    now = app[keys.CLOCK].now()
    ids: dict[str, int] = {}
    async with app[keys.DATABASE].session() as db:
        for index, (name, kind) in enumerate(people):
            row = Participant(
                session_id=session_id,
                kind=kind,
                display_name=name,
                jitsi_id=f"p{index}{session_id[:6].lower().replace('-', 'x').replace('_', 'y')}",
                joined_at=now,
            )
            db.add(row)
            await db.flush()
            assert row.id is not None
            ids[name] = row.id
        await db.commit()
    return ids


async def jitsi_id_of(client: Client, participant_id: int) -> str:
    async with app_of(client)[keys.DATABASE].session() as db:
        row = await db.get(Participant, participant_id)
    assert row is not None and row.jitsi_id is not None
    return row.jitsi_id


async def personal_link(client: Client, session_id: str, participant_id: int | None) -> str:
    """A link as the assistant sends it by private chat: returns the path /checkout/TOKEN."""
    desk = app_of(client)[keys.CHECKOUTS]
    jitsi_id = await jitsi_id_of(client, participant_id) if participant_id else None
    token = await desk.link_for(session_id, jitsi_id, "chat")
    return f"/checkout/{token}"


async def send_checkout(client: Client, path: str, answers: dict[str, str]) -> Any:
    """Fill the form like a browser: fetch it (for the form token), then post."""
    page = await client.get(path)
    match = CSRF_INPUT.search(await page.text())
    assert match, f"no form on {path}: {page.status}"
    return await client.post(
        path, data={**answers, "csrf_token": match.group(1)}, allow_redirects=False
    )


HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')


async def check_out_in_steps(
    client: Client, path: str, feeling: str, contact: str, last: dict[str, str] | None = None
) -> Any:
    """Answer one question at a time, as the pages ask: the feeling, whether someone should
    get in touch, then the last page (its hidden fields as the page has them, and `last`).
    Returns the last page's response."""
    for step, answer in (("feeling", {"feeling": feeling}), ("contact", {"contact": contact})):
        sent = await send_checkout(client, path, {"step": step, **answer})
        assert sent.status == 303, (step, sent.status)
    next_page = sent.headers["Location"]
    assert "step=details" in next_page
    html = await (await client.get(next_page)).text()
    hidden = dict(HIDDEN.findall(html))
    assert hidden["step"] == "details" and hidden["contact"] == contact
    return await client.post(next_page, data={**hidden, **(last or {})}, allow_redirects=False)


async def last_step(client: Client, path: str) -> str:
    """The last page (details and the optional boxes) after "Good" and "No, thank you"."""
    for answer in ({"step": "feeling", "feeling": "good"}, {"step": "contact", "contact": "none"}):
        assert (await send_checkout(client, path, answer)).status == 303
    return str(await (await client.get(path + "?step=details")).text())


async def audit_entries(client: Client, action: str | None = None) -> list[AuditEntry]:
    async with app_of(client)[keys.DATABASE].session() as db:
        query = select(AuditEntry)
        if action:
            query = query.where(AuditEntry.action == action)
        return list((await db.exec(query)).all())


async def end_session(client: Client, session_id: str) -> None:
    response = await post_form(client, f"/sessions/{session_id}/end", {}, f"/sessions/{session_id}")
    assert response.status == 303


async def after_the_wait(client: Client) -> int:
    """Move the clock past the check-out wait and run the no-check-out job, as the schedule would."""
    app = app_of(client)
    app[keys.CLOCK].advance(timedelta(minutes=app[keys.SETTINGS].checkout_wait_minutes + 1))  # type: ignore[attr-defined]
    return await app[keys.CHECKOUTS].flag_missing()


async def join_code(client: Client, session_id: str) -> str:
    """The meeting code, as the console shows it."""
    console = await (await client.get(f"/sessions/{session_id}")).text()
    found = re.search(r'class="code">([A-Z0-9]+)<', console)
    assert found, "no meeting code on the console"
    return found.group(1)
