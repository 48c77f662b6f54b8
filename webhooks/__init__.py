"""Inbound HTTP from machines (Prosody event_sync, JaaS-style events, telephony).

Adapters here authenticate, validate, store durably and hand a typed domain event on.
They hold no business rules. Endpoints arrive with the webhook-intake step.
"""
