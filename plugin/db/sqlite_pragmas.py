"""The settings of every SQLite connection the service opens (the async engine, the webhook
writer process): WAL with synchronous=FULL, so an acknowledged commit survives power loss.
Standard library only: the writer process imports it before anything else."""

from __future__ import annotations

BUSY_TIMEOUT_MS = 5000
PRAGMAS = (
    "journal_mode=WAL",
    "synchronous=FULL",
    f"busy_timeout={BUSY_TIMEOUT_MS}",
    "foreign_keys=ON",
)
