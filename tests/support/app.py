"""The one way tests make the service: with a cheap password hasher.

Production hashes with argon2id at RFC 9106's low-memory profile, about a tenth of a second
per hash on this machine, and each app, account and sign-in costs one or two. The tests'
hasher is argon2id too, at the lowest cost, so stored hashes and checks work the same way.
"""

from __future__ import annotations

from aiohttp import web
from argon2 import PasswordHasher

from facilitation.passwords import PasswordPolicy
from plugin.app import create_app
from plugin.clock import Clock
from plugin.security.passwords import Passwords, load_common_passwords
from plugin.settings import Settings

CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORDS = Passwords(PasswordPolicy(load_common_passwords()), CHEAP_HASHER)


def app_for(settings: Settings, clock: Clock | None = None) -> web.Application:
    return create_app(settings, clock=clock, passwords=PASSWORDS)
