"""Password policy (NIST SP 800-63B style): length and a block list, no composition rules."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import Enum

MIN_LENGTH = 12
MAX_LENGTH = 256


class PasswordProblem(Enum):
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    COMMON = "common"
    CONTAINS_USERNAME = "contains_username"
    REPETITIVE = "repetitive"


@dataclass(frozen=True)
class PasswordPolicy:
    common: Collection[str]
    min_length: int = MIN_LENGTH
    max_length: int = MAX_LENGTH

    def problems(self, password: str, username: str = "") -> list[PasswordProblem]:
        found: list[PasswordProblem] = []
        if len(password) < self.min_length:
            found.append(PasswordProblem.TOO_SHORT)
        if len(password) > self.max_length:
            found.append(PasswordProblem.TOO_LONG)
        folded = password.casefold()
        if folded in self.common:
            found.append(PasswordProblem.COMMON)
        if len(username) >= 3 and username.casefold() in folded:
            found.append(PasswordProblem.CONTAINS_USERNAME)
        if password and len(set(password)) <= 2:
            found.append(PasswordProblem.REPETITIVE)
        return found
