"""Capability links never reach a log. aiohttp's access and error logs print request paths,
and `/checkout/{token}` and `/setup/{token}` are keys: this filter blanks the token out of
any record on the loggers that print paths, whoever enables them."""

from __future__ import annotations

import logging
import re

CAPABILITY = re.compile(r"/(checkout|setup)/[A-Za-z0-9_-]{8,}")
PATH_LOGGERS = ("aiohttp.access", "aiohttp.server", "aiohttp.web", "aiohttp.client")


def redact(text: str) -> str:
    return CAPABILITY.sub(lambda m: f"/{m.group(1)}/[redacted]", text)


class RedactCapabilities(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install() -> None:
    """Idempotent: one filter per logger, however many apps are created."""
    for name in PATH_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactCapabilities) for f in logger.filters):
            logger.addFilter(RedactCapabilities())
