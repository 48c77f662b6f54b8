"""Webhook intake: event_sync, JaaS-style, durability, idempotency, order, fuzz."""
