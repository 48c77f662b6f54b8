"""Names of events pushed to facilitator consoles, in the style of Jitsi's IFrame API."""

from __future__ import annotations

from enum import StrEnum


class LiveEvent(StrEnum):
    CONSOLE_READY = "consoleReady"
    CONFERENCE_JOINED = "videoConferenceJoined"
    CONFERENCE_LEFT = "videoConferenceLeft"
    PARTICIPANT_JOINED = "participantJoined"
    PARTICIPANT_LEFT = "participantLeft"
    PARTICIPANT_MOVED = "participantMoved"  # into a breakout room, or back ("")
    PARTICIPANT_UPDATED = "participantUpdated"  # name, role or kind, as Jitsi shows them
    DISPLAY_NAME_CHANGE = "displayNameChange"  # a name a facilitator gave
    ROLE_CHANGED = "participantRoleChanged"
    RAISE_HAND_UPDATED = "raiseHandUpdated"
    INCOMING_MESSAGE = "incomingMessage"
    BREAKOUT_ROOMS_UPDATED = "breakoutRoomsUpdated"
    POLL_CREATED = "pollCreated"
    POLL_ANSWERED = "pollAnswered"
    CONNECTION_INTERRUPTED = "connectionInterrupted"
    CONNECTION_RESTORED = "connectionRestored"
    SESSION_ENDED = "sessionEnded"
    KEYPAD_ANSWER = "keypadAnswer"  # a phone caller pressed 1-9 during the meeting
    CHECKOUT_FLAGGED = "checkoutFlagged"  # a check-out needs a host's attention
    QUEUE_UPDATED = "queueUpdated"  # the speaking queue changed (order, reasons, speaker)
    BREAKOUTS_UPDATED = "breakoutsUpdated"  # the breakout groups changed (plan, rooms, time)
    GROUP_ROOM = "groupRoomUpdated"  # the assistant entered, or lost, a group's own room
    WARMUPS_UPDATED = "warmupsUpdated"  # a warm-up started, was answered or closed
    TEAM_UPDATED = "teamUpdated"  # someone asked to help run the session, or was answered
