"""Who may do what. Roles are per account; session membership narrows what a host sees."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    FACILITATOR = "facilitator"
    HOST = "host"

    @property
    def can_manage_accounts(self) -> bool:
        return self is Role.ADMIN

    @property
    def can_start_sessions(self) -> bool:
        return self in (Role.ADMIN, Role.FACILITATOR)

    @property
    def sees_every_session(self) -> bool:
        return self is Role.ADMIN


class MemberRole(StrEnum):
    """A person's part in one session."""

    FACILITATOR = "facilitator"
    HOST = "host"
