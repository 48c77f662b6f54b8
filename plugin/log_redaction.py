"""Nothing secret or personal reaches a log, even with FACILITATE_LOG_LEVEL=DEBUG.

Capability links: aiohttp's error logs print request paths, and `/checkout/{token}` and
`/setup/{token}` are keys: a filter blanks the token out of any record on the loggers that
print paths, whoever enables them.

Libraries that print what passes through them are held at WARNING whatever the service's
level: SQLAlchemy's engine (statements with their parameters, and result rows: PINs, join
codes, names, password hashes), aiosqlite (each call with its arguments), asyncpg,
websockets (frames are XMPP stanzas with names; the handshake carries the bot's token in
its URL) and aiohttp's access log (paths and query strings: join codes, `?id=PIN`).
"""

from __future__ import annotations

import logging
import re

CAPABILITY = re.compile(r"/(checkout|setup)/[A-Za-z0-9_-]{8,}")
PATH_LOGGERS = ("aiohttp.access", "aiohttp.server", "aiohttp.web", "aiohttp.client")
NOISY_LOGGERS = (
    "sqlalchemy.engine",
    "sqlalchemy.pool",
    "sqlalchemy.orm",
    "aiosqlite",
    "asyncpg",
    "websockets",
    "plugin.jitsi.wire",  # the logger the bot's websockets connection writes to
    "aiohttp.access",
)


def redact(text: str) -> str:
    return CAPABILITY.sub(lambda m: f"/{m.group(1)}/[redacted]", text)


class RedactCapabilities(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def quiet_noisy_loggers() -> None:
    """A level on the logger itself holds whatever the root's level. Idempotent; call it
    again after anything that resets loggers (logging.config.dictConfig does)."""
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def install() -> None:
    """Idempotent: one filter per logger, however many apps are created."""
    for name in PATH_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactCapabilities) for f in logger.filters):
            logger.addFilter(RedactCapabilities())
    quiet_noisy_loggers()
