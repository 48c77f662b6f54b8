"""`facilitate check`'s part about instances: this instance's role, and on PostgreSQL the
instances that share the database and the leases each holds."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from plugin.cluster.coordinator import instance_url
from plugin.db import leases
from plugin.db.engine import is_postgres
from plugin.settings import Settings

SHOWN = 10  # meeting leases listed per instance; the rest are counted


async def cluster_report(settings: Settings, engine: AsyncEngine) -> tuple[list[str], list[str]]:
    """Lines to print, and warnings."""
    if not is_postgres(settings.database_url):
        return [
            "Role: the only instance (SQLite): it runs every meeting. Several instances "
            "need PostgreSQL."
        ], []
    url = instance_url(settings)
    lines = [f"Role: one of several instances (PostgreSQL); the others reach this one at {url}."]
    warnings = []
    if settings.secret_key is None:
        warnings.append(
            "FACILITATE_SECRET_KEY is not set: each instance makes its own key in its data "
            "directory, and sign-ins made on one are refused by the others. Set the same "
            "key on every instance."
        )
    async with engine.connect() as conn:
        everyone = await leases.instances(conn, settings.lease_seconds)
        held = await leases.leases(conn)
    if not everyone:
        lines.append("No instance is running on this database now.")
    for instance in everyone:
        names = [lease.name for lease in held if lease.holder == instance.id]
        meetings = sorted(n.removeprefix(leases.MEETING) for n in names if n != leases.SCHEDULE)
        state = "running" if instance.alive else "gone (its leases run out)"
        this = " (this instance's address)" if instance.url == url else ""
        lines.append(f"Instance {instance.id} at {instance.url}{this}: {state}.")
        listed = ", ".join(meetings[:SHOWN]) + (" ..." if len(meetings) > SHOWN else "")
        lines.append(
            f"  holds {len(meetings)} meeting lease(s){': ' + listed if meetings else ''}"
            + (
                "; runs the schedule (purges, missing check-outs)"
                if leases.SCHEDULE in names
                else ""
            )
        )
    return lines, warnings
