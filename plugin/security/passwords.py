"""argon2id hashing plus the bundled common-password list."""

from __future__ import annotations

from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from facilitation.passwords import PasswordPolicy


def load_common_passwords() -> frozenset[str]:
    text = resources.files("plugin.security").joinpath("common-passwords.txt").read_text("utf-8")
    return frozenset(line.strip().casefold() for line in text.splitlines() if line.strip())


class Passwords:
    def __init__(self, policy: PasswordPolicy, hasher: PasswordHasher | None = None) -> None:
        self.policy = policy
        self._hasher = hasher or PasswordHasher()  # argon2id, RFC 9106 low-memory profile
        # Verified against when the username is unknown, so timing does not reveal it.
        self._dummy = self._hasher.hash("not a real password, only used to spend time")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)
