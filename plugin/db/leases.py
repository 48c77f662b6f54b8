"""Leases and instances in PostgreSQL, every time in the database's clock (`now()`), so
instances whose clocks disagree still agree on who holds what.

A lease is taken only when nobody holds it or its holder let it run out; the holder alone
renews it; release deletes it. One statement each: two instances taking the same lease at
the same moment meet on the primary key and only one row comes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

MEETING = "meeting:"
SCHEDULE = "schedule"


def meeting_lease(session_id: str) -> str:
    return MEETING + session_id


@dataclass(frozen=True)
class Lease:
    name: str
    holder: str
    expires_at: datetime
    generation: int


@dataclass(frozen=True)
class Instance:
    id: str
    url: str
    started_at: datetime
    seen_at: datetime
    alive: bool


_TAKE = text(
    """
    INSERT INTO cluster_lease (name, holder, expires_at, taken_at, generation)
    VALUES (:name, :holder, now() + make_interval(secs => :ttl), now(), 1)
    ON CONFLICT (name) DO UPDATE
       SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at,
           taken_at = EXCLUDED.taken_at, generation = cluster_lease.generation + 1
     WHERE cluster_lease.expires_at < now() - make_interval(secs => :grace)
        OR cluster_lease.holder = EXCLUDED.holder
    RETURNING generation
    """
)

# Meeting leases are renewed only while their session is live: ending a session on any
# instance makes its holder lose the lease at the next renewal and leave the meeting.
_RENEW = text(
    """
    UPDATE cluster_lease AS l
       SET expires_at = now() + make_interval(secs => :ttl)
     WHERE l.holder = :holder AND l.expires_at >= now()
       AND (l.name NOT LIKE 'meeting:%' OR EXISTS (
            SELECT 1 FROM meeting_session s
             WHERE s.id = substr(l.name, 9) AND s.ended_at IS NULL))
    RETURNING l.name
    """
)

_UNHELD = text(
    """
    SELECT s.id FROM meeting_session s
      LEFT JOIN cluster_lease l ON l.name = 'meeting:' || s.id
            AND l.expires_at >= now() - make_interval(secs => :grace)
     WHERE s.ended_at IS NULL AND l.name IS NULL
     ORDER BY s.started_at
     LIMIT :limit
    """
)


async def take(
    conn: AsyncConnection, name: str, holder: str, ttl: float, grace: float = 0.0
) -> int | None:
    """The lease's generation if `holder` has it now (taken or already theirs), else None.
    Another holder's lease is taken only once it ran out `grace` seconds ago: time for an
    old holder that lost touch to have left."""
    params = {"name": name, "holder": holder, "ttl": ttl, "grace": grace}
    result = await conn.execute(_TAKE, params)
    row = result.first()
    return int(row[0]) if row is not None else None


async def renew(conn: AsyncConnection, holder: str, ttl: float) -> set[str]:
    """Extend every lease `holder` still validly holds; the names renewed."""
    result = await conn.execute(_RENEW, {"holder": holder, "ttl": ttl})
    return {str(row[0]) for row in result}


async def release(conn: AsyncConnection, holder: str, names: list[str] | None = None) -> int:
    """Give leases up at once (all of `holder`'s, or the named ones); how many went."""
    if names is not None and not names:
        return 0
    if names is None:
        query = text("DELETE FROM cluster_lease WHERE holder = :holder")
        result = await conn.execute(query, {"holder": holder})
    else:
        query = text(
            "DELETE FROM cluster_lease WHERE holder = :holder AND name IN :names"
        ).bindparams(bindparam("names", expanding=True))
        result = await conn.execute(query, {"holder": holder, "names": names})
    return int(result.rowcount)


async def drop(conn: AsyncConnection, name: str) -> None:
    """Remove a lease whoever holds it (its meeting ended)."""
    await conn.execute(text("DELETE FROM cluster_lease WHERE name = :name"), {"name": name})


async def unheld_meetings(conn: AsyncConnection, limit: int, grace: float = 0.0) -> list[str]:
    """Live sessions whose meeting lease nobody holds, or ran out `grace` seconds ago."""
    result = await conn.execute(_UNHELD, {"limit": limit, "grace": grace})
    return [str(row[0]) for row in result]


async def leases(conn: AsyncConnection) -> list[Lease]:
    """Every valid lease, by holder then name."""
    result = await conn.execute(
        text(
            "SELECT name, holder, expires_at, generation FROM cluster_lease "
            "WHERE expires_at >= now() ORDER BY holder, name"
        )
    )
    return [Lease(str(r[0]), str(r[1]), r[2], int(r[3])) for r in result]


async def holders(
    conn: AsyncConnection, alive_seconds: float, session_id: str | None = None
) -> dict[str, tuple[str, str]]:
    """Meeting session id -> (instance id, URL) of the live instance holding its lease:
    for every meeting, or only `session_id`'s."""
    names = meeting_lease(session_id) if session_id is not None else "meeting:%"
    result = await conn.execute(
        text(
            """
            SELECT substr(l.name, 9), i.id, i.url FROM cluster_lease l
              JOIN cluster_instance i ON i.id = l.holder
             WHERE l.name LIKE :names AND l.expires_at >= now()
               AND i.seen_at >= now() - make_interval(secs => :alive)
            """
        ),
        {"names": names, "alive": alive_seconds},
    )
    return {str(r[0]): (str(r[1]), str(r[2])) for r in result}


async def holder_of(
    conn: AsyncConnection, session_id: str, alive_seconds: float
) -> tuple[str, str] | None:
    """(instance id, URL) of the live instance holding the meeting's lease, if any."""
    return (await holders(conn, alive_seconds, session_id)).get(session_id)


async def announce(conn: AsyncConnection, instance_id: str, url: str) -> None:
    """Say this instance is alive (and where), at start and at every heartbeat."""
    await conn.execute(
        text(
            """
            INSERT INTO cluster_instance (id, url, started_at, seen_at)
            VALUES (:id, :url, now(), now())
            ON CONFLICT (id) DO UPDATE SET url = EXCLUDED.url, seen_at = now()
            """
        ),
        {"id": instance_id, "url": url},
    )


async def retire(conn: AsyncConnection, instance_id: str) -> None:
    await conn.execute(text("DELETE FROM cluster_instance WHERE id = :id"), {"id": instance_id})


async def instances(conn: AsyncConnection, alive_seconds: float) -> list[Instance]:
    result = await conn.execute(
        text(
            """
            SELECT id, url, started_at, seen_at,
                   seen_at >= now() - make_interval(secs => :alive)
              FROM cluster_instance ORDER BY started_at
            """
        ),
        {"alive": alive_seconds},
    )
    return [Instance(str(r[0]), str(r[1]), r[2], r[3], bool(r[4])) for r in result]


async def forget_gone(conn: AsyncConnection, older_than_seconds: float) -> None:
    """Instances not seen for a long while (killed) and old large messages go."""
    params = {"old": older_than_seconds}
    await conn.execute(
        text("DELETE FROM cluster_instance WHERE seen_at < now() - make_interval(secs => :old)"),
        params,
    )
    await conn.execute(
        text("DELETE FROM cluster_message WHERE created_at < now() - make_interval(secs => :old)"),
        params,
    )
