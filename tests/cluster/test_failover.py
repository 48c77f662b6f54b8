"""Two real `facilitate serve` processes on one PostgreSQL database, with the test Prosody
and the Jitsi stand-ins (Jicofo's focus): the meeting's assistant is taken over after
kill -9 and handed over at once on SIGTERM, and a person in the room never sees two."""

from __future__ import annotations

import time

from tests.cluster.conftest import (
    LEASE_SECONDS,
    StartWatched,
    lease_holder,
    scalar,
    until_true,
)
from tests.support.instances import Browser


async def test_after_kill_9_another_instance_takes_the_meeting_over_never_two_assistants(
    watched_meeting: StartWatched, browser: Browser, pg_url: str
) -> None:
    meeting = await watched_meeting(2)
    first, second = meeting.instances
    session_id, person, watch = meeting.session_id, meeting.person, meeting.watch
    await person.raise_hand()
    status, _, _ = await browser.post(
        second.url, f"/sessions/{session_id}/queue", {"action": "undo"}, json=True
    )  # any action: the console on the second instance is the first's, passed on
    assert status in (200, 409)

    killed = time.perf_counter()  # the clock the watcher stamps arrivals with
    first.kill()

    async def back() -> bool:
        return bool(watch.present) and len(watch.arrivals) >= 2

    waited = await until_true(back, within=30)
    print(f"assistant back {waited:.1f} s after kill -9 (lease {LEASE_SECONDS} s)")
    assert watch.arrivals[-1] > killed  # a new assistant, come after the kill
    assert watch.most == 1, "two assistants were in the room at once"
    assert await lease_holder(pg_url, session_id) == second.url
    health = await second.health()
    assert health["instance"]["role"] == "cluster"
    assert health["instance"]["meetings"] == 1
    # The hand raised before the kill is still in the queue the new owner runs.
    state = await scalar(
        pg_url, "SELECT state FROM speaking_queue WHERE session_id = :s", s=session_id
    )
    assert person.nick in str(state), state


async def test_sigterm_hands_the_meeting_over_at_once(
    watched_meeting: StartWatched, pg_url: str
) -> None:
    meeting = await watched_meeting(2)
    first, second = meeting.instances
    watch = meeting.watch

    stopped = time.monotonic()
    first.terminate()

    async def back() -> bool:
        return len(watch.arrivals) >= 2 and bool(watch.present)

    await until_true(back, within=LEASE_SECONDS * 3)
    handover = time.monotonic() - stopped
    print(f"assistant back {handover:.1f} s after SIGTERM")
    # Without the hand-over it would wait for the lease to run out (LEASE_SECONDS).
    assert handover < LEASE_SECONDS, f"took {handover:.1f} s"
    assert watch.most == 1
    assert await lease_holder(pg_url, meeting.session_id) == second.url
