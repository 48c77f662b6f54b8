"""Inbound HTTP from machines: authenticate, validate, store durably, hand on domain facts.

No business rules here: each adapter turns its provider's payload into `Sighting`s and
the raw event is committed before the sender gets its 2xx.
"""
