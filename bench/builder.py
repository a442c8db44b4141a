"""Benchmark: the campaign canvas with a 60-node workflow in headless Chromium (issue #6).

Targets: opening the builder on a 60-node workflow renders every node in < 1 s, and
dragging a node sends nothing to the server until the drag ends (one event, not one per
mouse move). Starts the product like `make run` on a fresh data directory (or uses
BENCH_URL + BENCH_DATA_DIR of one already running), creates the workflow through the
services, then measures in Chromium.

    .venv/bin/python bench/builder.py [--opens 7] [--moves 60]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402

console = Console()


def sixty_nodes() -> dict:
    """A valid 60-node campaign: a trigger, then 19 rungs of condition → give points → tag,
    each "no" falling through to the next rung, ending in a wait and a stop."""
    nodes = [{"id": "t1", "type": "trigger.sale_recorded", "config": {}}]
    edges = []
    previous, handle = "t1", "out"
    for i in range(1, 20):
        rule = {"kind": "activity", "field": "spend", "op": "gte", "value": i * 100000, "days": 90}
        nodes += [
            {"id": f"c{i}", "type": "condition", "config": {"condition": {"rules": [rule]}}},
            {"id": f"p{i}", "type": "action.grant_points", "config": {"points": 10 * i}},
            {"id": f"g{i}", "type": "action.add_tag", "config": {"tag": f"rung{i}"}},
        ]
        edges += [
            {"source": previous, "source_handle": handle, "target": f"c{i}"},
            {"source": f"c{i}", "source_handle": "yes", "target": f"p{i}"},
            {"source": f"p{i}", "source_handle": "out", "target": f"g{i}"},
        ]
        previous, handle = f"c{i}", "no"
    nodes += [
        {"id": "w1", "type": "wait", "config": {"amount": 3, "unit": "days"}},
        {"id": "s1", "type": "stop", "config": {}},
    ]
    edges += [
        {"source": previous, "source_handle": handle, "target": "w1"},
        {"source": "w1", "source_handle": "out", "target": "s1"},
    ]
    for e in edges:
        e["id"] = f"{e['source']}:{e['source_handle']}->{e['target']}"
    return {"nodes": nodes, "edges": edges}


def create_workflow(data_dir: Path) -> int:
    os.environ["DATA_DIR"] = str(data_dir)
    from backoffice.db import session_scope
    from backoffice.demo import admin_actor
    from backoffice.workflows.campaigns.builder import auto_layout
    from backoffice.workflows.campaigns.lifecycle import (
        WorkflowInput,
        create_workflow,
        validate_workflow,
    )

    with session_scope() as session:
        admin = admin_actor(session)
        workflow = create_workflow(
            session, admin, WorkflowInput(name="60 节点基准", graph=auto_layout(sixty_nodes()))
        )
        assert validate_workflow(session, admin, workflow.id) == [], "the bench graph is invalid"
        return workflow.id or 0


def start_app(data_dir: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DATA_DIR=str(data_dir),
        REFLEX_USE_NPM="1",
        REFLEX_TELEMETRY_ENABLED="false",
        REFLEX_WEB_WORKDIR=".web-bench",
        REFLEX_STATES_WORKDIR=".states-bench",
    )
    log = open(data_dir / "app.log", "w")  # noqa: SIM115  (lives as long as the app)
    proc = subprocess.Popen(
        [sys.executable, "-m", "backoffice.cli", "run", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    with console.status("starting the app (first build takes a few minutes)…"):
        for _ in range(600):
            if proc.poll() is not None:
                raise SystemExit(f"the app exited; see {data_dir / 'app.log'}")
            try:
                with urllib.request.urlopen(url + "/login", timeout=3):
                    return proc, url
            except OSError:
                time.sleep(2)
    raise SystemExit("the app did not start")


def measure(url: str, workflow_id: int, opens: int, moves: int) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_context(viewport={"width": 1400, "height": 900}, base_url=url).new_page()
        page.set_default_timeout(30_000)
        page.goto("/login")
        page.wait_for_selector("#hydrated[data-hydrated='true']", state="attached")
        page.fill("#login", "admin")
        page.fill("#password", "demo1234")
        page.click("#sign-in")
        page.wait_for_selector("#me-name")
        timings = []
        for _ in range(opens):
            page.goto("/members")
            page.wait_for_selector("#hydrated[data-hydrated='true']", state="attached")
            started = time.perf_counter()
            page.goto(f"/workflows/edit?id={workflow_id}")
            page.wait_for_function(
                "() => { const n = document.querySelectorAll('.react-flow__node');"
                " return n.length === 60 && [...n].every(e => e.offsetWidth > 0); }",
                polling="raf",
            )
            timings.append((time.perf_counter() - started) * 1000)
        # In the browser: from the canvas component mounting to all 60 nodes measured.
        page.wait_for_selector("#hydrated[data-hydrated='true']", state="attached")
        page.wait_for_timeout(1000)

        sent: list[str] = []
        page.on("websocket", lambda ws: ws.on("framesent", lambda f: sent.append(str(f))))
        page.reload()
        page.wait_for_function("() => document.querySelectorAll('.react-flow__node').length === 60")
        page.wait_for_selector("#hydrated[data-hydrated='true']", state="attached")
        page.wait_for_timeout(1500)
        box = page.locator('.react-flow__node[data-id="t1"] .bo-node-summary').bounding_box()
        assert box
        before = len(sent)
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        drag_started = time.perf_counter()
        for i in range(1, moves + 1):
            page.mouse.move(x + i * 3, y + i)
        during = len(sent) - before
        drag_ms = (time.perf_counter() - drag_started) * 1000
        page.mouse.up()
        page.wait_for_timeout(1500)
        after_drop = len(sent) - before - during
        browser.close()
    console.print(
        f"[bold]Open a 60-node workflow[/] ({opens} times, navigation to every node drawn)"
    )
    console.print(
        f"  median {statistics.median(timings):.0f} ms, best {min(timings):.0f} ms, "
        f"worst {max(timings):.0f} ms"
    )
    console.print(f"[bold]Drag a node[/] through {moves} mouse moves ({drag_ms:.0f} ms)")
    console.print(f"  frames sent to the server while dragging: {during}")
    console.print(f"  frames sent when the node was dropped: {after_drop}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--opens", type=int, default=7)
    parser.add_argument("--moves", type=int, default=60)
    args = parser.parse_args()
    proc = None
    if os.environ.get("BENCH_URL"):
        url, data_dir = os.environ["BENCH_URL"], Path(os.environ["BENCH_DATA_DIR"])
    else:
        data_dir = Path(tempfile.mkdtemp(prefix="bench-builder-"))
        proc, url = start_app(data_dir)
    try:
        workflow_id = create_workflow(data_dir)
        measure(url, workflow_id, args.opens, args.moves)
    finally:
        if proc is not None:
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(timeout=60)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
