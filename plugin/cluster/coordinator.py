"""Several instances on one PostgreSQL database: meeting leases, heartbeats, hand-over.

Every `beat` (a fifth of the lease) the instance says it is alive, renews its leases and
takes meetings nobody holds (its fair share of them, so a second instance started later
gets some). A lease it failed to renew is a meeting it no longer runs: its assistant leaves
at once. If the database cannot be reached for 60 % of a lease, every assistant here leaves
before the leases run out, so another instance can never find the meeting still occupied:
two assistants in one room never happens, even while failing over.

SIGTERM (a clean stop) takes the assistants out, deletes the leases and notifies the others,
which take the meetings over at once instead of waiting for the leases to run out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import time

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select

from facilitation.meeting_events import MeetingEvent
from plugin.bus import EventBus
from plugin.cluster.inputs import PassedInputs
from plugin.cluster.live import LiveUpdates
from plugin.cluster.ownership import Ownership, Report
from plugin.cluster.relay import PgRelay
from plugin.db import leases
from plugin.db.engine import Database
from plugin.db.models import MeetingSession
from plugin.desks.console import LiveHub
from plugin.jitsi.connector import Connector
from plugin.settings import Settings
from plugin.settings_types import listening_url
from plugin.tasks import BackgroundTasks

log = logging.getLogger(__name__)
LEASES = "facilitate_leases"
FORGET_AFTER_SECONDS = 3600.0
FENCE_CHECK_SECONDS = 0.5
CLOSE_SECONDS = 10.0  # the hand-over at a clean stop; after that the leases just run out
MAX_UNHELD = 5000


def instance_url(settings: Settings) -> str:
    if settings.instance_url:
        return settings.instance_url.rstrip("/")
    return listening_url(settings.host, settings.port, wildcard="127.0.0.1")


class ClusterOwnership(Ownership):
    role = "cluster"

    def __init__(
        self,
        settings: Settings,
        database: Database,
        connector: Connector,
        bus: EventBus,
        hub: LiveHub,
    ) -> None:
        super().__init__(connector, bus)
        self.database = database
        self.hub = hub
        self.url = instance_url(settings)
        self.ttl = settings.lease_seconds
        self.beat = self.ttl / 5
        self.fence_after = self.ttl - 2 * self.beat
        self.relay = PgRelay(settings.database_url)
        self._held: set[str] = set()
        self._taking: set[str] = set()
        self._schedule = False
        self._owners: dict[str, tuple[str, str]] = {}
        self._last_ok = time.monotonic()
        self._wake = asyncio.Event()
        self.live = LiveUpdates(self.relay, hub, database)
        self.inputs = PassedInputs(database, self.relay, bus, self.instance_id, lambda: self._held)
        self._tasks = BackgroundTasks()
        self._closing = False

    # --- life ----------------------------------------------------------------------------

    async def open(self) -> None:
        self.live.listen()
        self.inputs.listen()
        self.relay.on(LEASES, lambda _payload: self._wake.set())
        await self.relay.open()
        self._tasks.spawn(self.live.deliver(), "cluster-live")
        try:
            await asyncio.wait_for(self._beat(), self.beat * 2)
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            log.warning("cluster: no first heartbeat (%s); trying again shortly", exc)
        self._tasks.spawn(self._beat_loop(), "cluster-heartbeat")
        self._tasks.spawn(self._fence_loop(), "cluster-fence")

    async def close(self) -> None:
        """A clean stop: assistants out first, then the leases go, then the others hear."""
        self._closing = True
        await self._tasks.close()
        await self._lose_all(list(self._held))
        try:
            await asyncio.wait_for(self._hand_over(), CLOSE_SECONDS)
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            log.warning("cluster: could not hand the meetings over at once: %s", exc)
        self.live.stop()
        await self.relay.close()

    async def _hand_over(self) -> None:
        async with self.database.engine.begin() as conn:
            await leases.release(conn, self.instance_id)
            await leases.retire(conn, self.instance_id)
        self.relay.send(LEASES, self.instance_id)
        await self.relay.flushed()

    # --- what the rest of the service asks ----------------------------------------------

    def owns(self, session_id: str) -> bool:
        return session_id in self._held

    def runs_schedule(self) -> bool:
        return self._schedule

    async def adopt(self, session: MeetingSession) -> None:
        self._taking.add(session.id)  # not a stray lease while its take is under way
        try:
            async with self.database.engine.begin() as conn:
                name = leases.meeting_lease(session.id)
                taken = await leases.take(conn, name, self.instance_id, self.ttl, self.beat)
            if taken is not None:
                self._run(session)
            else:
                self._wake.set()
        finally:
            self._taking.discard(session.id)

    async def release(self, session_id: str) -> None:
        self._held.discard(session_id)
        self._forget(session_id)
        async with self.database.engine.begin() as conn:
            await leases.drop(conn, leases.meeting_lease(session_id))

    async def owner_url(self, session_id: str) -> str | None:
        owner = await self._other_owner(session_id)
        return owner[1] if owner is not None else None

    async def _other_owner(self, session_id: str) -> tuple[str, str] | None:
        """(instance id, URL) of the other instance that runs the meeting; None if this
        one does, or nobody does."""
        if self.owns(session_id):
            return None
        owner = self._owners.get(session_id)
        if owner is None:  # started since the last heartbeat, perhaps: ask the database
            try:
                async with self.database.engine.connect() as conn:
                    owner = await leases.holder_of(conn, session_id, self.ttl)
            except SQLAlchemyError:
                return None
            if owner is None:
                return None
            self._owners[session_id] = owner
        return None if owner[0] == self.instance_id else owner

    def has_assistant(self, session_id: str) -> bool:
        if not self.connector.enabled:
            return False
        return session_id in self.connector.bots or session_id in self._owners

    def report(self) -> Report:
        return Report(self.instance_id, self.role, tuple(sorted(self._held)), self._schedule)

    # --- inputs from calls ---------------------------------------------------------------

    async def deliver(self, event: MeetingEvent) -> None:
        owner = await self._other_owner(event.session_id)
        if owner is None:
            self.bus.publish(event)  # ours, or nobody's yet: the next owner reads the state
            return
        try:
            await self.inputs.pass_on(event, owner[0])
        except SQLAlchemyError as exc:
            log.warning("cluster: applying an input here, could not pass it on: %s", exc)
            self.bus.publish(event)

    def start_inputs(self) -> None:
        """The desks are listening: inputs passed on to this instance may be applied."""
        self._tasks.spawn(self.inputs.run(), "cluster-inputs")

    # --- heartbeat -----------------------------------------------------------------------

    async def _beat_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.beat)
            self._wake.clear()
            try:
                await asyncio.wait_for(self._beat(), self.beat)
            except (SQLAlchemyError, OSError, TimeoutError) as exc:
                log.warning("cluster: heartbeat failed: %s", exc)
            except Exception:  # the heartbeat must go on whatever one beat met
                log.exception("cluster: heartbeat failed")
            await self.relay.check()

    async def _fence_loop(self) -> None:
        """No renewal for too long: the leases may run out soon, so leave first (on its own
        timer, whatever a heartbeat is waiting for)."""
        while True:
            await asyncio.sleep(FENCE_CHECK_SECONDS)
            if not self._held or time.monotonic() - self._last_ok <= self.fence_after:
                continue
            log.error(
                "cluster: no heartbeat for %.0f s; leaving %d meetings before another "
                "instance takes them",
                time.monotonic() - self._last_ok,
                len(self._held),
            )
            self._schedule = False
            await self._lose_all(list(self._held))

    async def _beat(self) -> None:
        started = time.monotonic()
        held_before = set(self._held)
        async with self.database.engine.begin() as conn:
            await leases.announce(conn, self.instance_id, self.url)
            renewed = await leases.renew(conn, self.instance_id, self.ttl)
            meetings = {n.removeprefix(leases.MEETING) for n in renewed if n != leases.SCHEDULE}
            # Renewed but not run here (a take whose assistant never started, one we left
            # while fencing): let them go, so another instance runs them.
            stray = meetings - held_before - self._held - self._taking
            if stray:
                names = [leases.meeting_lease(session_id) for session_id in stray]
                await leases.release(conn, self.instance_id, names)
        self._last_ok = started
        gone = [s for s in held_before - meetings if s in self._held]
        for session_id in gone:
            log.warning("cluster: session %s is no longer ours; its assistant leaves", session_id)
        await self._lose_all(gone)
        self._schedule = leases.SCHEDULE in renewed
        if self._closing:
            return
        await self._take_free()
        async with self.database.engine.begin() as conn:
            if not self._schedule:
                taken = await leases.take(
                    conn, leases.SCHEDULE, self.instance_id, self.ttl, self.beat
                )
                self._schedule = taken is not None
            if self._schedule:
                await leases.forget_gone(conn, FORGET_AFTER_SECONDS)
            self._owners = await leases.holders(conn, self.ttl)
        self.inputs.wake()

    async def _take_free(self) -> None:
        async with self.database.engine.begin() as conn:
            free = await leases.unheld_meetings(conn, MAX_UNHELD, self.beat)
            if not free:
                return
            alive = sum(1 for i in await leases.instances(conn, self.ttl) if i.alive)
            random.shuffle(free)  # instances taking at once mostly take different ones
            share = free[: max(1, math.ceil(len(free) / max(1, alive)))]
            mine = [
                session_id
                for session_id in share
                if await leases.take(
                    conn, leases.meeting_lease(session_id), self.instance_id, self.ttl, self.beat
                )
                is not None
            ]
        if not mine:
            return
        async with self.database.session() as db:
            query = select(MeetingSession).where(col(MeetingSession.id).in_(mine))
            sessions = list((await db.exec(query)).all())
        for session in sessions:
            log.info("cluster: taking over session %s", session.id)
            self._run(session)

    def _run(self, session: MeetingSession) -> None:
        self._held.add(session.id)
        self.connector.start(session)

    async def _lose_all(self, session_ids: list[str]) -> None:
        """Assistants out of these meetings, all at once (a takeover may be near)."""
        await asyncio.gather(*(self._lose(session_id) for session_id in session_ids))

    async def _lose(self, session_id: str) -> None:
        self._held.discard(session_id)
        self._forget(session_id)
        # Shielded: a heartbeat timing out or a shutdown must not leave an assistant half
        # stopped, in the room with nobody keeping track of it.
        await asyncio.shield(self.connector.stop(session_id))
