"""Encryption at rest for contact details (a call-back number, say): Fernet (AES-128-CBC
with HMAC-SHA256), keyed from the service's secret key with HKDF, so the database alone
does not reveal them. Rotating the secret key makes old details unreadable, which the
retention period would soon delete anyway."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PURPOSE = b"facilitate: contact details at rest"


class Sealer:
    def __init__(self, secret: bytes) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=PURPOSE).derive(secret)
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, text: str) -> str:
        return self._fernet.encrypt(text.encode()).decode("ascii")

    def seal_text(self, text: str) -> str | None:
        """Sealed text, or None for nothing to keep (an empty optional answer)."""
        return self.seal(text) if text else None

    def open_text(self, sealed: str | None) -> str:
        """The text of an optional sealed field; empty when unset or unreadable."""
        return (self.open(sealed) or "") if sealed else ""

    def open(self, sealed: str) -> str | None:
        """The text, or None if it was sealed with another key or tampered with."""
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode()
        except (InvalidToken, ValueError):
            return None
