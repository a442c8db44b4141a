"""The operations page as the HQ admin: during a running campaign, after a forced failure
(a job that raises), and after Retry, which puts the job back and it runs again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from playwright.sync_api import expect
from redis import Redis
from rq import Queue

from tests.e2e.conftest import ROOT, shot, sign_in, wait_ready


def _app_redis(data_dir) -> Redis:  # noqa: ANN001
    settings = json.loads((data_dir / "redis.db.settings").read_text())
    return Redis(unix_socket_path=settings["unixsocket"])


def _start_campaign(data_dir, redis: Redis) -> int:  # noqa: ANN001
    socket = redis.connection_pool.connection_kwargs["path"]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DATA_DIR=str(data_dir), REDIS_URL=f"unix://{socket}")
    done = subprocess.run(
        [sys.executable, "-m", "tests.e2e.ops_campaign"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return int(done.stdout.strip().splitlines()[-1])


def test_operations_page_during_a_campaign_then_a_failed_job_retried(page, app_data_dir):
    redis = _app_redis(app_data_dir)
    sign_in(page, "admin")
    page.click("text=运行监控")  # the navigation's entry, HQ admins only
    page.wait_for_url("**/operations")
    wait_ready(page)
    page.wait_for_selector("#scheduler-alive")
    page.wait_for_selector(".worker-row")

    runs = _start_campaign(app_data_dir, redis)
    assert runs > 0
    # Live refresh: the campaign's runs reach their one-day wait without a reload.
    page.wait_for_function(
        "() => /等待中\\s*[1-9]/.test(document.querySelector('#runs-table').innerText)",
        timeout=60_000,
    )
    assert "运行中" in page.inner_text("#scheduler-alive")
    shot(page, "operations-during-campaign")

    marker = app_data_dir / "ops-retry-marker"
    marker.unlink(missing_ok=True)
    # os.remove of a missing file raises FileNotFoundError: a job that fails.
    job = Queue("default", connection=redis).enqueue("os.remove", str(marker), job_id="ops-demo")
    row = page.wait_for_selector(".failed-job", timeout=60_000)
    assert "FileNotFoundError" in row.inner_text()
    shot(page, "operations-failed-job")

    marker.write_text("the retry will find me")
    page.click(".job-retry")
    page.wait_for_selector(".failed-job", state="detached", timeout=30_000)
    deadline = time.monotonic() + 60
    while marker.exists():  # the retried job ran again, and this time succeeded
        assert time.monotonic() < deadline, "the retried job did not run"
        time.sleep(0.5)
    assert job.get_status(refresh=True) == "finished"
    shot(page, "operations-after-retry")

    _alert_banner(page, redis)
    _english_operations(page)  # while the alert is open: its banner is translated too
    for _ in range(5):
        page.locator(".job-discard").first.click()
    expect(page.locator(".failed-job")).to_have_count(0, timeout=30_000)
    _check_audit(app_data_dir)


def _alert_banner(page, redis: Redis) -> None:  # noqa: ANN001
    """Five failed jobs within the window open the job-failures alert (the scheduler evaluates
    each minute); HQ admins then see the banner on every page, and it leads to /operations."""
    queue = Queue("default", connection=redis)
    for n in range(5):
        queue.enqueue("os.remove", f"/nonexistent/ops-alert-{n}", job_id=f"ops-alert-{n}")
    expect(page.locator(".failed-job")).to_have_count(5, timeout=60_000)
    page.get_by_role(
        "link", name="会员", exact=True
    ).click()  # another page: the banner is the shell's, not the operations page's
    page.wait_for_url("**/members")
    deadline = time.monotonic() + 150
    while not page.locator("#alert-banner").count():  # a person would reload, too
        assert time.monotonic() < deadline, "no alert banner after five failed jobs"
        page.wait_for_timeout(5_000)
        page.reload()
        wait_ready(page)
    expect(page.locator("#alert-banner")).to_contain_text("运行报警")
    expect(page.locator("#alert-banner")).to_contain_text("后台任务失败过多")
    shot(page, "operations-alert-banner")
    page.click("#alert-banner >> text=运行报警")  # the banner leads to the operations page
    page.wait_for_url("**/operations")
    wait_ready(page)


def _english_operations(page) -> None:  # noqa: ANN001
    """The same page in English (the switch is saved on the account: switched back after)."""
    page.get_by_role("combobox").filter(has_text="中文").click()
    page.get_by_role("option", name="English").click()
    expect(page.locator("#scheduler-alive")).not_to_contain_text("运行中", timeout=20_000)
    expect(page.get_by_role("heading", name="Operations").first).to_be_visible()
    # The banner at once; the page's own figures at its next refresh (every 5 s).
    expect(page.locator("#alert-banner")).to_contain_text("Too many jobs are failing")
    expect(page.locator("#runs-table")).to_contain_text("Waiting", timeout=20_000)
    shot(page, "operations-english")
    page.get_by_role("combobox").filter(has_text="English").click()
    page.get_by_role("option", name="中文").click()
    expect(page.get_by_role("heading", name="运行监控").first).to_be_visible()


def _check_audit(data_dir) -> None:  # noqa: ANN001
    from tests.e2e.conftest import app_db

    with app_db(data_dir) as db:
        actions = [r[0] for r in db.execute("SELECT action FROM auditentry ORDER BY id")]
    assert "operations.job_retried" in actions
    assert actions.count("operations.job_discarded") == 5
