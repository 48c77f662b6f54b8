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
    """A person's part in one session. Asking is no part yet: a facilitator who asked to
    co-facilitate sees nothing of the session until one of its facilitators says yes."""

    FACILITATOR = "facilitator"
    HOST = "host"
    ASKING = "asking"

    @property
    def is_member(self) -> bool:
        return self is not MemberRole.ASKING


# What a facilitator holds in a session: they run it and they host (review) it.
RUNNER_PARTS = (MemberRole.FACILITATOR, MemberRole.HOST)
MEMBER_PARTS = tuple(part.value for part in MemberRole if part.is_member)
