"""The `backoffice` command: migrate, seed, run, worker, import/export, audit verify."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

console = Console()


def _bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def cmd_migrate(_args: argparse.Namespace) -> int:
    from backoffice.migrate import pending_revisions, upgrade

    pending = pending_revisions()
    if not pending:
        console.print("Database is up to date.")
        return 0
    with _bar() as bar:
        task = bar.add_task("Migrating", total=len(pending))
        upgrade(on_step=lambda _rev: bar.advance(task))
    console.print(f"Applied {len(pending)} migration(s).")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from backoffice.db import session_scope
    from backoffice.demo import is_seeded, seed_demo

    with session_scope() as session:
        if is_seeded(session) and not args.force:
            console.print("Demo data already present; nothing to do.")
            return 0
        with _bar() as bar:
            task = bar.add_task("Seeding demo members", total=args.members)
            seed_demo(
                session,
                members=args.members,
                progress=lambda done, _total: bar.update(task, completed=done),
            )
    console.print("Demo data created.")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from backoffice.launcher import run_all

    return run_all(port=args.port, seed=not args.no_seed)


def cmd_worker(args: argparse.Namespace) -> int:
    from backoffice.queue import run_worker

    return run_worker(args.url, burst=args.burst)


def cmd_audit_verify(_args: argparse.Namespace) -> int:
    from backoffice.db import session_scope
    from backoffice.services.audit import verify_chain

    with session_scope() as session:
        report = verify_chain(session)
    if report.ok:
        console.print(f"[green]Audit chain intact[/green]: {report.checked} entries verified.")
        return 0
    console.print(f"[red]Audit chain BROKEN[/red] ({report.checked} entries read):")
    for problem in report.problems[:50]:
        console.print(f"  - {problem}")
    return 1


def _cli_actor(session, username: str):  # noqa: ANN001, ANN202
    from sqlmodel import select

    from backoffice.models import Staff
    from backoffice.services.access import load_actor

    staff = session.exec(select(Staff).where(Staff.username == username)).first()
    if staff is None:
        console.print(f"[red]No staff account {username!r}[/red]")
        raise SystemExit(2)
    return load_actor(session, staff)


def cmd_import(args: argparse.Namespace) -> int:
    from backoffice.db import session_scope
    from backoffice.services.member_io import dry_run_import, import_members, problems_text

    content = Path(args.file).read_bytes()
    with session_scope() as session:
        actor = _cli_actor(session, args.as_user)
        with _bar() as bar:
            task = bar.add_task("Checking" if args.dry_run else "Importing", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            run = dry_run_import if args.dry_run else import_members
            report = run(session, actor, content, progress)
        for line in problems_text(report, "en")[:200]:
            console.print(f"  {line}")
        if report.problems:
            session.rollback()
            console.print(f"[red]{len(report.problems)} problem(s); nothing imported.[/red]")
            return 1
    verb = "would import" if args.dry_run else "imported"
    console.print(f"[green]{report.valid_rows} of {report.total_rows} rows {verb}.[/green]")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from backoffice.db import session_scope
    from backoffice.services.member_io import export_members_csv
    from backoffice.services.members import MemberQuery

    with session_scope() as session:
        actor = _cli_actor(session, args.as_user)
        text, rows = export_members_csv(session, actor, MemberQuery(q=args.q, status=args.status))
    Path(args.file).write_text(text, encoding="utf-8")
    console.print(f"Exported {rows} members to {args.file}")
    return 0


def cmd_workflows_failed(args: argparse.Namespace) -> int:
    """For whoever is on call: failed runs, newest first, with the step that failed."""
    from rich.table import Table
    from sqlmodel import col, select

    from backoffice.db import session_scope
    from backoffice.models import RunStatus, Workflow, WorkflowRun

    with session_scope() as session:
        rows = session.exec(
            select(WorkflowRun, Workflow)
            .join(Workflow, Workflow.id == WorkflowRun.workflow_id)
            .where(WorkflowRun.status == RunStatus.FAILED)
            .order_by(col(WorkflowRun.id).desc())
            .limit(args.limit)
        ).all()
    table = Table(title=f"Failed workflow runs (latest {args.limit})")
    for column in ("run", "workflow", "member", "node", "error"):
        table.add_column(column)
    for run, workflow in rows:
        table.add_row(str(run.id), workflow.name, str(run.member_id), run.cursor, run.error[:80])
    console.print(table)
    return 0


def cmd_workflows_retry(args: argparse.Namespace) -> int:
    from backoffice.db import session_scope
    from backoffice.queue import connect
    from backoffice.services.workflows import retry_run
    from backoffice.workflows.executor import RQExecutor

    with session_scope() as session:
        run_id = retry_run(session, _cli_actor(session, args.as_user), args.run_id)
    RQExecutor(connect()).submit([run_id])
    console.print(f"Run {run_id} queued again.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="backoffice", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    seed = sub.add_parser("seed", help="create demo data in an empty database")
    seed.add_argument("--members", type=int, default=120)
    seed.add_argument("--force", action="store_true")
    seed.set_defaults(func=cmd_seed)
    run = sub.add_parser("run", help="start everything: Redis, worker, web app")
    run.add_argument("--port", type=int, default=None)
    run.add_argument("--no-seed", action="store_true")
    run.set_defaults(func=cmd_run)
    worker = sub.add_parser("worker", help="run an RQ worker")
    worker.add_argument("--url", default=None)
    worker.add_argument("--burst", action="store_true")
    worker.set_defaults(func=cmd_worker)
    audit_cmd = sub.add_parser("audit", help="audit log tools")
    audit_sub = audit_cmd.add_subparsers(dest="audit_command", required=True)
    audit_sub.add_parser("verify", help="check the hash chain").set_defaults(func=cmd_audit_verify)
    wf = sub.add_parser("workflows", help="workflow runs: failures and retries")
    wf_sub = wf.add_subparsers(dest="workflows_command", required=True)
    failed = wf_sub.add_parser("failed", help="list failed runs with their errors")
    failed.add_argument("--limit", type=int, default=50)
    failed.set_defaults(func=cmd_workflows_failed)
    retry = wf_sub.add_parser("retry", help="retry a failed run from the step that failed")
    retry.add_argument("run_id", type=int)
    retry.add_argument("--as-user", default="admin")
    retry.set_defaults(func=cmd_workflows_retry)
    imp = sub.add_parser("import", help="import members from CSV")
    imp.add_argument("file")
    imp.add_argument("--as-user", default="admin")
    imp.add_argument("--dry-run", action="store_true")
    imp.set_defaults(func=cmd_import)
    exp = sub.add_parser("export", help="export members to CSV")
    exp.add_argument("file")
    exp.add_argument("--as-user", default="admin")
    exp.add_argument("--q", default="")
    exp.add_argument("--status", default="")
    exp.set_defaults(func=cmd_export)
    args = parser.parse_args(argv)
    from backoffice.errors import DomainError, ValidationFailed
    from backoffice.i18n import error_text, t

    try:
        return int(args.func(args) or 0)
    except ValidationFailed as exc:
        for field, message in exc.errors.items():
            console.print(f"[red]{field}: {t('en', message, **exc.params)}[/red]")
        return 2
    except DomainError as exc:
        console.print(f"[red]{error_text('en', exc)}[/red]")
        return 2


if __name__ == "__main__":
    sys.exit(main())
