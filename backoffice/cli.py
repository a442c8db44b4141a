"""The `backoffice` command: migrate, seed, run, worker, scheduler, import/export, audit verify,
API keys."""

from __future__ import annotations

import argparse
import sys

from backoffice.cli_console import _bar, console
from backoffice.cli_tools import (
    cmd_api_key_create,
    cmd_api_key_list,
    cmd_api_key_revoke,
    cmd_audit_checkpoint,
    cmd_audit_verify,
    cmd_backup,
    cmd_export,
    cmd_import,
    cmd_restore,
    cmd_workflows_failed,
    cmd_workflows_retry,
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
    _backfill_reports()
    return 0


def _backfill_reports() -> None:
    """A database that had data before the report tables existed gets them filled once."""
    from backoffice.db import session_scope
    from backoffice.services.reports.rebuild import needs_backfill

    with session_scope() as session:
        if not needs_backfill(session):
            return
    cmd_reports_rebuild(argparse.Namespace())


def cmd_reports_rebuild(_args: argparse.Namespace) -> int:
    """Recompute the report tables from the source rows (backfill or repair)."""
    from backoffice.db import session_scope
    from backoffice.services.reports.rebuild import rebuild_daily_stats

    with session_scope() as session, _bar() as bar:
        task = bar.add_task("Rebuilding report tables", total=9)

        def progress(step: str, done: int, total: int) -> None:
            bar.update(task, description=f"Reports: {step}", completed=done, total=total)

        counts = rebuild_daily_stats(session, progress)
    console.print(
        f"Report tables rebuilt: {counts['store_days']} store-days, "
        f"{counts['staff_days']} staff-days, {counts['members']} member summaries."
    )
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
    from backoffice.logs import configure_logging
    from backoffice.workflows.worker import run_worker

    configure_logging("worker")
    return run_worker(args.url, burst=args.burst)


def cmd_scheduler(args: argparse.Namespace) -> int:
    """Everything time-based (backoffice/workflows/scheduler.py); a second one stands by."""
    import signal

    from backoffice.logs import configure_logging
    from backoffice.queue import connect
    from backoffice.workflows.scheduler import Scheduler

    configure_logging("scheduler")
    scheduler = Scheduler(connect(args.url))

    def stop(_signum: int, _frame: object) -> None:
        scheduler.stop.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    scheduler.run()
    return 0


def cmd_status(_args: argparse.Namespace) -> int:
    """What /readyz and the operations page show, on the command line; exit 1 if not ready."""
    from backoffice.workflows.operations import configured_redis, status_lines, take_snapshot

    snap = take_snapshot(configured_redis())
    for line in status_lines(snap):
        console.print(line, highlight=False)
    return 0 if snap.ready else 1


def build_parser() -> argparse.ArgumentParser:
    """Every subcommand (the compose file's commands are checked against these)."""
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
    scheduler = sub.add_parser(
        "scheduler", help="run the scheduler (time triggers, nightly, reconciler); one leads"
    )
    scheduler.add_argument("--url", default=None)
    scheduler.set_defaults(func=cmd_scheduler)
    backup_cmd = sub.add_parser("backup", help="write a backup file (dump + manifest)")
    backup_cmd.add_argument("file", nargs="?", default="")
    backup_cmd.set_defaults(func=cmd_backup)
    restore_cmd = sub.add_parser(
        "restore", help="restore a backup file (stop the app and workers first)"
    )
    restore_cmd.add_argument("file")
    restore_cmd.set_defaults(func=cmd_restore)
    sub.add_parser(
        "status", help="scheduler, queues, workers, runs and messages; exit 1 if not ready"
    ).set_defaults(func=cmd_status)
    audit_cmd = sub.add_parser("audit", help="audit log tools")
    audit_sub = audit_cmd.add_subparsers(dest="audit_command", required=True)
    audit_sub.add_parser(
        "verify", help="check the keyed chain and every signed checkpoint"
    ).set_defaults(func=cmd_audit_verify)
    audit_sub.add_parser(
        "checkpoint", help="sign the chain's head now (nightly does it daily)"
    ).set_defaults(func=cmd_audit_checkpoint)
    wf = sub.add_parser("workflows", help="workflow runs: failures and retries")
    wf_sub = wf.add_subparsers(dest="workflows_command", required=True)
    failed = wf_sub.add_parser("failed", help="list failed runs with their errors")
    failed.add_argument("--limit", type=int, default=50)
    failed.set_defaults(func=cmd_workflows_failed)
    retry = wf_sub.add_parser("retry", help="retry a failed run from the step that failed")
    retry.add_argument("run_id", type=int)
    retry.add_argument("--as-user", default="admin")
    retry.set_defaults(func=cmd_workflows_retry)
    reports = sub.add_parser("reports", help="report tables")
    reports_sub = reports.add_subparsers(dest="reports_command", required=True)
    reports_sub.add_parser(
        "rebuild", help="recompute the daily report tables from the source rows"
    ).set_defaults(func=cmd_reports_rebuild)
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
    keys = sub.add_parser("api-key", help="REST API keys: create (shown once), list, revoke")
    keys_sub = keys.add_subparsers(dest="api_key_command", required=True)
    create = keys_sub.add_parser("create", help="create a key; prints the token once")
    create.add_argument("--as", "--as-user", dest="as_user", default="admin")
    create.add_argument("--name", required=True)
    create.add_argument(
        "--permissions", required=True, help="comma separated (members.read,pii.view) or all"
    )
    create.add_argument("--stores", default="", help="store codes (SH01,BJ01); empty: every")
    create.add_argument("--rate-per-minute", type=int, default=0, help="0: API_RATE_PER_MINUTE")
    create.set_defaults(func=cmd_api_key_create)
    listing = keys_sub.add_parser("list", help="keys the staff member may see")
    listing.add_argument("--as", "--as-user", dest="as_user", default="admin")
    listing.set_defaults(func=cmd_api_key_list)
    revoke = keys_sub.add_parser("revoke", help="revoke a key by its prefix (bo_…)")
    revoke.add_argument("prefix")
    revoke.add_argument("--as", "--as-user", dest="as_user", default="admin")
    revoke.set_defaults(func=cmd_api_key_revoke)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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
