"""Marking English source text for translation. Pure: the adapters translate it with the
service's gettext catalogues, where it is shown or spoken."""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a string for extraction (`make messages`); it is translated where it is shown."""
    return message
