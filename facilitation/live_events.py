"""Names of events pushed to facilitator consoles, in the style of Jitsi's IFrame API."""

from __future__ import annotations

from enum import StrEnum


class LiveEvent(StrEnum):
    CONSOLE_READY = "consoleReady"
    PARTICIPANT_JOINED = "participantJoined"
    PARTICIPANT_LEFT = "participantLeft"
    DISPLAY_NAME_CHANGE = "displayNameChange"
    RAISE_HAND_UPDATED = "raiseHandUpdated"
    CONNECTION_INTERRUPTED = "connectionInterrupted"
    CONNECTION_RESTORED = "connectionRestored"
    SESSION_ENDED = "sessionEnded"
