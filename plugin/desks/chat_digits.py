"""Whether a warm-up or people choosing their breakout group may start, from what the
database says about the session now (the rule is `facilitation.chat_digits`). The warm-up
desk and the breakout desk both ask here, so neither imports the other, and instances of a
cluster agree, since they share the database."""

from __future__ import annotations

from facilitation import chat_digits as rules
from facilitation.breakouts.record import plan_from_record
from facilitation.chat_digits import Starting
from plugin.db import breakouts as breakouts_db
from plugin.db import warmups as warmups_db
from plugin.db.engine import Database


async def live(database: Database, session_id: str) -> tuple[bool, bool]:
    """(a warm-up is running, people are choosing their group) in the session."""
    async with database.session() as db:
        run = await warmups_db.open_run(db, session_id)
        row = await breakouts_db.load(db, session_id)
    method = None
    if row is not None and row.plan:
        try:
            method = plan_from_record(row.plan).method
        except ValueError:
            method = None  # not a sound plan: nobody can pick a group in it
    return run is not None, rules.choosing_open(row.state if row else "none", method)


async def refusal(database: Database, session_id: str, starting: Starting) -> str | None:
    """Why `starting` may not start in the session now (N_-marked English), or None."""
    warmup_running, choosing = await live(database, session_id)
    return rules.refusal(starting, warmup_running=warmup_running, choosing=choosing)


async def warmup_running(database: Database, session_id: str) -> bool:
    async with database.session() as db:
        return await warmups_db.open_run(db, session_id) is not None
