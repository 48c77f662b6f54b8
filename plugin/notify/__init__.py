"""Delivering the outbox's alerts: email over SMTP and a signed outgoing webhook."""
