"""What an adapter hands on: the raw event, its idempotency key and the domain facts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from facilitation.attendance import Sighting


@dataclass(frozen=True)
class Incoming:
    source: str
    dedupe_key: str
    event_type: str
    room: str
    tenant: str
    occurred_at: datetime
    payload: dict[str, Any]
    sightings: list[Sighting] = field(default_factory=list)
