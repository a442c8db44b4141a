"""The scheduler leader's heartbeat in Redis: written by the scheduler, read by readiness,
the operations page and the alert that watches for its silence (which must not depend on
the scheduler module it watches)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import cast

from redis import Redis

HEARTBEAT_KEY = "backoffice:scheduler:heartbeat"


def scheduler_heartbeat(redis: Redis) -> dict[str, object] | None:
    """The leader's last heartbeat ({"at", "identity", "leader", "last_error"}), if any."""
    # redis-py types get() for sync and async clients alike; this client is sync
    raw = cast("bytes | None", redis.get(HEARTBEAT_KEY))
    beat: dict[str, object] | None = json.loads(raw) if raw else None
    return beat


def heartbeat_at(redis: Redis) -> datetime | None:
    """When the leader last beat (aware UTC), or None."""
    beat = scheduler_heartbeat(redis)
    if beat is None:
        return None
    at = datetime.fromisoformat(str(beat["at"]))
    return at if at.tzinfo else at.replace(tzinfo=UTC)
