"""What makes a valid account, whoever creates it (setup link, admin page or CLI)."""

from __future__ import annotations

import re
from enum import Enum

from facilitation.passwords import PasswordPolicy, PasswordProblem
from facilitation.roles import Role

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
MAX_DISPLAY_NAME = 120


class AccountProblem(Enum):
    USERNAME = "username"
    DISPLAY_NAME = "display_name"
    ROLE = "role"
    PASSWORD_MISMATCH = "password_mismatch"  # noqa: S105  (a problem name, not a password)


Problem = AccountProblem | PasswordProblem


def normalise_username(username: str) -> str:
    return username.strip().casefold()


def account_problems(
    *,
    username: str,
    display_name: str,
    role: str,
    password: str,
    password_again: str,
    policy: PasswordPolicy,
) -> dict[str, list[Problem]]:
    """Field name -> what is wrong with it. Empty when the account can be created."""
    found: dict[str, list[Problem]] = {}
    name = normalise_username(username)
    if not USERNAME.fullmatch(name):
        found["username"] = [AccountProblem.USERNAME]
    if not 1 <= len(display_name.strip()) <= MAX_DISPLAY_NAME:
        found["display_name"] = [AccountProblem.DISPLAY_NAME]
    if role not in {r.value for r in Role}:
        found["role"] = [AccountProblem.ROLE]
    password_problems: list[Problem] = list(policy.problems(password, name))
    if password_problems:
        found["password"] = password_problems
    elif password != password_again:
        found["password_again"] = [AccountProblem.PASSWORD_MISMATCH]
    return found
