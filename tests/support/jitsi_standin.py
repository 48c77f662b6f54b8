"""STAND-INS for Jicofo (the focus) and Jitsi's breakout-rooms and polls Prosody modules,
which cannot run here, in one object for the tests.

- focus: tests.support.standin_focus (an external component, like Jicofo's connection).
- polls: tests.support.standin_polls (an external component), only when the deployment runs
  the polls component (`polls_style="component"`, docker-jitsi-meet stable-10532 and later);
  with "room", prosody_modules/mod_polls_inroom_standin.lua plays mod_polls on the MUC.
- breakout rooms: a Prosody module on a real MUC, as in Jitsi, so the stand-in is
  prosody_modules/mod_muc_breakout_rooms_standin.lua, which Prosody loads itself; see
  tests.support.standin_breakout.
"""

from __future__ import annotations

from typing import Any

from tests.support import prosody, standin_breakout
from tests.support.standin_focus import (
    FOCUS_NS,
    FOCUS_OCCUPANT,
    JINGLE,
    MUC_ADMIN,
    MUC_USER,
    STANZAS,
    FocusStandIn,
    Occupant,
    RoomState,
)
from tests.support.standin_polls import JITMEET, PollsStandIn
from tests.support.xep0114 import Component

__all__ = [
    "FOCUS_NS",
    "FOCUS_OCCUPANT",
    "JINGLE",
    "JITMEET",
    "MUC_ADMIN",
    "MUC_USER",
    "STANZAS",
    "JitsiStandIn",
    "Occupant",
    "RoomState",
]


class JitsiStandIn(FocusStandIn):
    """The focus, with the polls component when the deployment has one."""

    def __init__(
        self,
        server: prosody.Prosody,
        *,
        auto_owner: bool = True,
        polls_style: str | None = None,
    ) -> None:
        super().__init__(server, auto_owner=auto_owner)
        # Which polls the deployment runs; it must match the Prosody config, so by default
        # it is the server's.
        self.polls_style = polls_style or server.polls_style
        self.poll_component = PollsStandIn(server, self)

    @property
    def polls_component(self) -> Component:
        return self.poll_component.component

    @property
    def polls(self) -> list[dict[str, Any]]:
        return self.poll_component.polls

    @property
    def room_polls(self) -> dict[str, dict[str, dict[str, Any]]]:
        return self.poll_component.room_polls

    @property
    def breakout_requests(self) -> list[dict[str, str]]:
        """Requests the breakout module took from moderators, in order (from its log)."""
        return standin_breakout.requests(self.server)

    @property
    def components(self) -> tuple[Component, ...]:
        if self.polls_style == "component":
            return (self.focus, self.polls_component)
        return (self.focus,)

    async def start(self) -> None:
        for component in self.components:
            await component.start()

    async def close(self) -> None:
        for component in self.components:
            await component.close()
