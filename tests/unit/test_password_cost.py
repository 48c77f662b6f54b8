"""The service hashes with production argon2id unless a test hands it a cheap hasher."""

from __future__ import annotations

from plugin import keys
from plugin.app import create_app
from plugin.settings import Settings
from tests.support.app import app_for


def test_the_service_hashes_at_production_cost(settings: Settings) -> None:
    stored = create_app(settings)[keys.PASSWORDS].hash("correct horse battery staple")
    # argon2-cffi's default: RFC 9106's low-memory profile (64 MiB, 3 passes, 4 lanes).
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_tests_hash_cheaply_in_the_same_scheme(settings: Settings) -> None:
    passwords = app_for(settings)[keys.PASSWORDS]
    stored = passwords.hash("correct horse battery staple")
    assert stored.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert passwords.verify(stored, "correct horse battery staple")
    assert not passwords.verify(stored, "wrong")
