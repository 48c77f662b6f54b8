"""How the review pages show each alert sent about a flag: to whom, by which way, and
how it went (sent, retrying with the reason, failed with the reason)."""

from __future__ import annotations

from typing import Any

from plugin.db.models import Notification


def alert_views(rows: list[Notification], names: dict[int, str]) -> dict[int, list[dict[str, Any]]]:
    """Alerts by flag id (0: a session's digest)."""
    views: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        views.setdefault(row.flag_id or 0, []).append(
            {
                "channel": row.channel,
                "kind": row.kind,
                "to": names.get(row.account_id or 0, "") if row.account_id else "",
                "state": row.state,
                "attempts": row.attempts,
                "error": row.last_error or "",
                "sent_at": row.sent_at,
                "next_at": row.next_attempt_at,
            }
        )
    return views
