"""The `backoffice` command's data tools: backup and restore, audit verify, member import and
export, failed workflow steps, API keys (the parser and the server commands are in cli)."""

from __future__ import annotations

import argparse
from pathlib import Path

from backoffice.cli_console import _bar, console


def cmd_backup(args: argparse.Namespace) -> int:
    """A backup file: the dump and a manifest (schema, row counts, checksums, audit head)."""
    import time

    from backoffice.db import get_engine
    from backoffice.services.operations.backup import BackupError, backup
    from backoffice.settings import get_settings

    target = (
        Path(args.file)
        if args.file
        else (get_settings().data_dir / "backups" / time.strftime("backoffice-%Y%m%d-%H%M%S.zip"))
    )
    started = time.monotonic()
    try:
        backup(get_engine(), target, progress=lambda step: console.print(f"backup: {step}…"))
    except BackupError as exc:
        console.print(f"[red]{exc}[/red]")
        return 1
    console.print(f"Backup written to {target} in {time.monotonic() - started:.1f} s.")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Replace the database by a backup, only after it is checked whole and verified."""
    import time

    from backoffice.db import get_engine
    from backoffice.services.operations.backup import BackupError, restore

    started = time.monotonic()
    try:
        report = restore(
            get_engine(), Path(args.file), progress=lambda step: console.print(f"restore: {step}…")
        )
    except BackupError as exc:
        console.print(f"[red]Not restored: {exc}[/red] The current database is unchanged.")
        return 1
    console.print(
        f"Restored {report.rows} rows in {report.tables} tables; the audit chain verifies "
        f"({report.audit_entries} entries). {time.monotonic() - started:.1f} s."
    )
    return 0


def cmd_audit_verify(_args: argparse.Namespace) -> int:
    """The keyed chain and every signed checkpoint; each broken entry named (exit 1)."""
    from backoffice.db import session_scope
    from backoffice.services.org.audit import verify_chain
    from backoffice.services.org.audit_checkpoints import checkpoint_dir

    with session_scope() as session:
        report = verify_chain(session)
    where = f"{report.checkpoints} checkpoint(s) in {checkpoint_dir()}"
    if report.ok:
        console.print(
            f"[green]Audit chain intact[/green]: {report.checked} entries verified, {where}."
        )
        return 0
    console.print(f"[red]Audit chain BROKEN[/red] ({report.checked} entries read, {where}):")
    for problem in report.problems[:50]:
        console.print(f"  - {problem}")
    hidden = len(report.problems) - 50 + report.more_problems
    if hidden > 0:
        console.print(f"  … and {hidden} more")
    return 1


def cmd_audit_checkpoint(_args: argparse.Namespace) -> int:
    """Sign the chain's head now (the nightly job does it once a day)."""
    from backoffice.db import session_scope
    from backoffice.services.org.audit_checkpoints import write_checkpoint

    with session_scope() as session:
        path = write_checkpoint(session)
    console.print(f"Checkpoint written: {path}")
    return 0


def _cli_actor(session, username: str):  # noqa: ANN001, ANN202
    from sqlmodel import select

    from backoffice.models import Staff
    from backoffice.services.org.access import load_actor

    staff = session.exec(select(Staff).where(Staff.username == username)).first()
    if staff is None:
        console.print(f"[red]No staff account {username!r}[/red]")
        raise SystemExit(2)
    return load_actor(session, staff)


def cmd_import(args: argparse.Namespace) -> int:
    from backoffice.db import session_scope
    from backoffice.services.members.csv_io import dry_run_import, import_members, problems_text

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
    from backoffice.services.members.csv_io import export_members_csv
    from backoffice.services.members.search import MemberQuery

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
    from backoffice.workflows.campaigns.lifecycle import retry_run
    from backoffice.workflows.executor import RQExecutor

    with session_scope() as session:
        run_id = retry_run(session, _cli_actor(session, args.as_user), args.run_id)
    RQExecutor(connect()).submit([run_id])
    console.print(f"Run {run_id} queued again.")
    return 0


def _store_ids(session, codes: str) -> list[int] | None:  # noqa: ANN001
    """Store codes (SH01,BJ01) to ids; empty means every store."""
    from sqlmodel import select

    from backoffice.models import Store

    wanted = [c.strip().upper() for c in codes.split(",") if c.strip()]
    if not wanted:
        return None
    found = dict(session.exec(select(Store.code, Store.id).where(Store.code.in_(wanted))).all())  # type: ignore[attr-defined]
    unknown = [c for c in wanted if c not in found]
    if unknown:
        console.print(f"[red]Unknown store code(s): {', '.join(unknown)}[/red]")
        raise SystemExit(2)
    return [found[c] for c in wanted]


def cmd_api_key_create(args: argparse.Namespace) -> int:
    """A key for an integration, made and audited as the given staff member, exactly as on
    /settings/api-keys: never wider than that person; the token is printed once only."""
    from backoffice.db import session_scope
    from backoffice.services.org.api_keys import API_PERMISSIONS, ApiKeyInput, create_api_key

    permissions = [p.strip() for p in args.permissions.split(",") if p.strip()]
    if permissions == ["all"]:
        permissions = list(API_PERMISSIONS)
    with session_scope() as session:
        actor = _cli_actor(session, args.as_user)
        made = create_api_key(
            session,
            actor,
            ApiKeyInput(
                name=args.name,
                permissions=permissions,
                store_ids=_store_ids(session, args.stores),
                rate_per_minute=args.rate_per_minute,
            ),
        )
        key = made.key
    stores = "every store" if key.store_ids is None else ", ".join(map(str, key.store_ids))
    console.print(f"API key [bold]{key.name}[/bold] ({key.prefix}) created by {args.as_user}.")
    console.print(f"  permissions: {', '.join(key.permissions)}")
    console.print(f"  store ids:   {stores}")
    console.print("Copy it now — it is shown once and cannot be read back:")
    print(made.token)  # plain stdout, so `... | tail -1` gets the token alone
    return 0


def cmd_api_key_list(args: argparse.Namespace) -> int:
    from rich.table import Table

    from backoffice.db import session_scope
    from backoffice.services.org.api_keys import list_api_keys

    with session_scope() as session:
        keys = list_api_keys(session, _cli_actor(session, args.as_user))
    table = Table(title="API keys")
    for column in ("prefix", "name", "permissions", "store ids", "last used", "revoked"):
        table.add_column(column)
    for k in keys:
        table.add_row(
            k.prefix,
            k.name,
            ", ".join(k.permissions),
            "all" if k.store_ids is None else ", ".join(map(str, k.store_ids)),
            k.last_used_at.isoformat(timespec="minutes") if k.last_used_at else "",
            k.revoked_at.isoformat(timespec="minutes") if k.revoked_at else "",
        )
    console.print(table)
    return 0


def cmd_api_key_revoke(args: argparse.Namespace) -> int:
    from sqlmodel import select

    from backoffice.db import session_scope
    from backoffice.errors import NotFound
    from backoffice.models import ApiKey
    from backoffice.services.org.api_keys import revoke_api_key

    with session_scope() as session:
        actor = _cli_actor(session, args.as_user)
        key_id = session.exec(select(ApiKey.id).where(ApiKey.prefix == args.prefix)).first()
        if key_id is None:
            raise NotFound("error.not_found")
        revoke_api_key(session, actor, key_id)
    console.print(f"API key {args.prefix} revoked: it gets 401 from now on.")
    return 0
