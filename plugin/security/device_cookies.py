"""Device cookies: a browser that signed in to an account before may still try that
account's password while a stranger's failures make everyone else wait (OWASP's "device
cookie" defence against lock-out by others).

The cookie holds up to MAX_ENTRIES entries, one per account signed in from this browser
(a shared office computer), newest first. An entry is `ISSUED.DEVICE.TAG`: when it was
issued (Unix seconds), a random id for this browser, and an HMAC of the account's id and
username with both, keyed by the service's secret. Nothing in it names the account or is
secret in itself: only the service can tell whose an entry is, by working out the tag for
the account someone is signing in to.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

ENTRY = re.compile(r"(\d{1,12})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{22})")
SEPARATOR = "~"
MAX_ENTRIES = 5
MAX_LENGTH = MAX_ENTRIES * 60  # anything longer is not ours


@dataclass(frozen=True)
class Entry:
    issued: int
    device: str
    tag: str

    def __str__(self) -> str:
        return f"{self.issued}.{self.device}.{self.tag}"


def _entries(cookie: str) -> list[Entry]:
    if len(cookie) > MAX_LENGTH:
        return []
    found = []
    for part in cookie.split(SEPARATOR)[:MAX_ENTRIES]:
        if match := ENTRY.fullmatch(part):
            found.append(Entry(int(match.group(1)), match.group(2), match.group(3)))
    return found


@dataclass(frozen=True)
class DeviceCookies:
    secret: bytes
    lifetime: timedelta

    def _tag(self, account_id: int, username: str, issued: int, device: str) -> str:
        message = f"device:v1:{account_id}:{username}:{issued}:{device}".encode()
        digest = hmac.new(self.secret, message, hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def _valid(self, entry: Entry, account_id: int, username: str, now: datetime) -> bool:
        if now.timestamp() - entry.issued > self.lifetime.total_seconds():
            return False
        expected = self._tag(account_id, username, entry.issued, entry.device)
        return hmac.compare_digest(expected.encode(), entry.tag.encode())

    def device_for(self, cookie: str, account_id: int, username: str, now: datetime) -> str | None:
        """This browser's id if the cookie holds a live entry for this account, else None."""
        for entry in _entries(cookie):
            if self._valid(entry, account_id, username, now):
                return entry.device
        return None

    def issue(self, cookie: str, account_id: int, username: str, now: datetime) -> str:
        """The cookie's new value after a sign-in: a fresh entry for this account first,
        then the other accounts' entries that have not run out."""
        issued = int(now.timestamp())
        device = base64.urlsafe_b64encode(secrets.token_bytes(16)).rstrip(b"=").decode("ascii")
        fresh = Entry(issued, device, self._tag(account_id, username, issued, device))
        others = [
            entry
            for entry in _entries(cookie)
            if now.timestamp() - entry.issued <= self.lifetime.total_seconds()
            and not self._valid(entry, account_id, username, now)
        ]
        return SEPARATOR.join(str(entry) for entry in [fresh, *others][:MAX_ENTRIES])
