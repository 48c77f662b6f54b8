"""Random tokens for cookies and capability links; only their hashes are stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets

# No 0/O/1/I/L: join codes are read aloud and typed by people on phones.
JOIN_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_join_code(length: int = 8) -> str:
    return "".join(secrets.choice(JOIN_ALPHABET) for _ in range(length))


def new_session_id() -> str:
    return secrets.token_urlsafe(12)


def csrf_token(secret: bytes, sid: str) -> str:
    return hmac.new(secret, b"csrf:" + sid.encode(), hashlib.sha256).hexdigest()


def csrf_ok(secret: bytes, sid: str, given: str) -> bool:
    # Bytes, not str: compare_digest refuses non-ASCII str, and a client controls `given`.
    return hmac.compare_digest(csrf_token(secret, sid).encode(), given.encode("utf-8", "replace"))
