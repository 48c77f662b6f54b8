"""The phone line: actions pushed to a live phone call, the way back from this service to
the phone side (events come in through webhooks.pbx and webhooks.twiml).

Two actions, for breakout groups and for a word to one caller:

- move: take a caller from one Jitsi room to another. Through the PBX kit, a signed
  `call.move` (Standard Webhooks, like the PBX's events to us) that dials Jigasi again with
  the new room's SIP header; through a TwiML provider, Twilio's call update API pointing
  the call at `/webhooks/phone/twiml/rejoin`, which answers TwiML dialling Jigasi again.
- speak: play a prompt to one caller who stays in the meeting: the PBX kit only
  (`call.play`); a provider could only do it by taking the caller out of the call.

A 5xx, a timeout or a failed connection is tried once more (the same `webhook-id` to the
PBX, which drops a repeat); anything else, or a second failure, is a PhoneLineError whose
message is safe to show a facilitator and to log. Log lines name the action, the dialect,
the last characters of the call id and the outcome: never a phone number, a secret or a
token.

This package sits beside the other adapters (plugin.jitsi, plugin.intake, plugin.notify)
and imports none of them; the Standard Webhooks signature comes from plugin.security.
"""

from plugin.phoneline.common import CallRef, PhoneLineConfig, PhoneLineError, Spoken
from plugin.phoneline.line import PhoneLine

__all__ = ["CallRef", "PhoneLine", "PhoneLineConfig", "PhoneLineError", "Spoken"]
