"""Operations (/operations), for HQ admins: the scheduler, queues, workers, failed jobs
(retry, discard), runs, the message backlog per channel and the last nightly run,
refreshed every few seconds while the page is open. The services decide who may see it."""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from backoffice.components.tables import Column, data_table
from backoffice.db import session_scope
from backoffice.errors import DomainError
from backoffice.i18n import format_when
from backoffice.pages.layout import shell
from backoffice.pages.session import SessionState, SignedOut, tr
from backoffice.services.operations.alerts import detail_text
from backoffice.workflows.failed_jobs import discard_failed_job, retry_failed_job
from backoffice.workflows.operations_view import Overview, operations_overview, operations_redis

ROUTE = "/operations"
REFRESH_SECONDS = 5
REFRESH_FOR = 4 * 3600  # a tab left open stops polling after four hours


def _age(seconds: float | None, lang_s: str) -> str:
    return "—" if seconds is None else f"{int(seconds)} {lang_s}"


class OperationsState(SessionState):
    ready: bool = False
    problems: list[str] = []
    scheduler: dict[str, str] = {}
    queues: list[dict[str, Any]] = []
    workers: list[dict[str, str]] = []
    failed: list[dict[str, str]] = []
    runs: list[dict[str, Any]] = []
    stuck: int = 0
    channels: list[dict[str, Any]] = []
    open_alerts: list[dict[str, str]] = []
    updated: str = ""
    watching: bool = False

    def _refresh(self) -> Any:
        try:
            with session_scope() as session:
                view = operations_overview(session, self._actor(session))
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self._show(view)
        return None

    def _show(self, view: Overview) -> None:
        snap, s = view.snapshot, self._tr("ops.seconds")
        age = snap.scheduler_age
        self.ready, self.problems = snap.ready, list(snap.problems)
        self.scheduler = {
            "alive": "yes" if age is not None and age.total_seconds() < 180 else "no",
            "beat": _age(None if age is None else age.total_seconds(), s),
            "tick": _age(
                None if not snap.last_tick else (snap.now - snap.last_tick).total_seconds(), s
            ),
            "error": snap.scheduler_error,
            "nightly": snap.last_nightly or "—",
            "nightly_error": view.nightly_error,
            "backup": view.last_backup or "—",
        }
        self.queues = [
            {
                "name": q.name,
                "queued": q.queued,
                "started": q.started,
                "scheduled": q.scheduled,
                "failed": q.failed,
            }
            for q in snap.queues
        ]
        self.workers = [
            {
                "name": w.name,
                "state": w.state,
                "beat": _age(
                    None
                    if w.last_heartbeat is None
                    else (snap.now - w.last_heartbeat).total_seconds(),
                    s,
                ),
                "job": w.current_job or "—",
            }
            for w in snap.workers
        ]
        self.failed = [
            {
                "id": j.id,
                "function": j.function,
                "at": format_when(j.failed_at, self.lang) if j.failed_at else "",
                "error": j.error,
            }
            for j in view.failed_jobs
        ]
        self.runs = [
            {"status": self._tr(f"ops.run.{k}"), "count": snap.runs.get(k, 0)}
            for k in ("running", "waiting", "completed", "failed", "stopped")
        ]
        self.stuck = snap.stuck_runs
        channels: dict[str, dict[str, Any]] = {}
        for (channel, status), n in snap.messages.items():
            row = channels.setdefault(
                channel, {"channel": channel, "backlog": 0, "sent": 0, "failed": 0}
            )
            if status in ("queued", "sending"):
                row["backlog"] += n
            elif status in ("sent", "failed"):
                row[status] += n
        self.channels = [channels[c] for c in sorted(channels)]
        self.open_alerts = [
            {
                "key": a.key,
                "text": self._tr(f"alert.{a.rule}", subject=a.subject)
                + " — "
                + detail_text(a.detail, self.lang),
                "since": format_when(a.opened_at, self.lang),
            }
            for a in view.alerts
        ]
        self.updated = format_when(snap.now, self.lang)

    @rx.event
    def open_page(self) -> Any:
        refused = self._refresh()
        return refused if refused is not None else OperationsState.watch

    @rx.event(background=True)
    async def watch(self) -> Any:
        """Refresh every few seconds while this page is the one open."""
        async with self:
            if self.watching or self.router.url.path != ROUTE:
                return
            self.watching = True
        try:
            for _ in range(REFRESH_FOR // REFRESH_SECONDS):
                await asyncio.sleep(REFRESH_SECONDS)
                async with self:
                    if self.router.url.path != ROUTE:
                        return
                    answer = self._refresh()
                    if answer is not None:
                        yield answer
                        return
        finally:
            async with self:
                self.watching = False

    def _act(self, use_case: Any, job_id: str, done_key: str) -> Any:
        redis = operations_redis()
        try:
            with session_scope() as session:
                use_case(session, self._actor(session), redis, str(job_id)[:200])
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self._refresh()
        return rx.toast.success(self._tr(done_key))

    @rx.event
    def retry(self, job_id: str) -> Any:
        return self._act(retry_failed_job, job_id, "ops.retried")

    @rx.event
    def discard(self, job_id: str) -> Any:
        return self._act(discard_failed_job, job_id, "ops.discarded")


S = OperationsState


def _card(title: Any, *children: Any) -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading(title, size="3"), *children, spacing="2", align="stretch"),
        width="100%",
    )


def _fact(label: Any, value: Any, fact_id: str) -> rx.Component:
    return rx.hstack(
        rx.text(label, color_scheme="gray", size="2", min_width="140px"),
        rx.text(value, size="2", weight="medium", id=fact_id),
        spacing="2",
    )


def scheduler_card() -> rx.Component:
    alive = rx.cond(
        S.scheduler["alive"] == "yes",
        rx.badge(tr("ops.alive"), color_scheme="green", id="scheduler-alive"),
        rx.badge(tr("ops.silent"), color_scheme="red", id="scheduler-alive"),
    )
    return _card(
        tr("ops.scheduler"),
        rx.hstack(
            alive,
            rx.cond(
                S.ready,
                rx.badge(tr("ops.ready"), color_scheme="green"),
                rx.badge(tr("ops.not_ready"), color_scheme="amber"),
            ),
            spacing="2",
        ),
        _fact(tr("ops.heartbeat"), S.scheduler["beat"], "scheduler-beat"),
        _fact(tr("ops.last_tick"), S.scheduler["tick"], "scheduler-tick"),
        _fact(tr("ops.last_nightly"), S.scheduler["nightly"], "last-nightly"),
        _fact(tr("ops.last_backup"), S.scheduler["backup"], "last-backup"),
        rx.cond(S.scheduler["error"] != "", rx.text(S.scheduler["error"], color="red", size="1")),
        rx.cond(
            S.scheduler["nightly_error"] != "",
            rx.text(S.scheduler["nightly_error"], color="red", size="1"),
        ),
        rx.foreach(S.problems, lambda p: rx.text(p, color_scheme="amber", size="1")),
    )


def _failed_actions(row: rx.Var) -> rx.Component:
    job_id = row["id"].to(str)
    return rx.hstack(
        rx.button(tr("ops.retry"), size="1", on_click=S.retry(job_id), class_name="job-retry"),
        rx.button(
            tr("ops.discard"),
            size="1",
            variant="soft",
            color_scheme="red",
            on_click=S.discard(job_id),
            class_name="job-discard",
        ),
        spacing="2",
    )


def failed_table() -> rx.Component:
    return data_table(
        [
            Column(tr("ops.failed_at"), "at"),
            Column(tr("ops.function"), cell=lambda r: rx.code(r["function"], size="1")),
            Column(tr("ops.error"), cell=lambda r: rx.text(r["error"], size="1", color="red")),
            Column("", cell=_failed_actions),
        ],
        S.failed,
        table_id="failed-jobs",
        row_class="failed-job",
        empty=tr("ops.no_failed"),
    )


def tables() -> rx.Component:
    return rx.vstack(
        rx.grid(
            scheduler_card(),
            _card(
                tr("ops.runs"),
                data_table(
                    [Column(tr("ops.status"), "status"), Column(tr("ops.count"), "count")],
                    S.runs,
                    table_id="runs-table",
                ),
                _fact(tr("ops.stuck"), S.stuck, "stuck-runs"),
            ),
            columns="2",
            spacing="4",
            width="100%",
        ),
        _card(
            tr("ops.queues"),
            data_table(
                [
                    Column(tr("ops.queue"), "name"),
                    Column(tr("ops.queued"), "queued"),
                    Column(tr("ops.started"), "started"),
                    Column(tr("ops.scheduled"), "scheduled"),
                    Column(tr("ops.failed"), "failed"),
                ],
                S.queues,
                table_id="queues-table",
            ),
        ),
        _card(
            tr("ops.workers"),
            data_table(
                [
                    Column(tr("ops.worker"), cell=lambda r: rx.code(r["name"], size="1")),
                    Column(tr("ops.state"), "state"),
                    Column(tr("ops.heartbeat"), "beat"),
                    Column(tr("ops.current_job"), cell=lambda r: rx.code(r["job"], size="1")),
                ],
                S.workers,
                table_id="workers-table",
                row_class="worker-row",
                empty=tr("ops.no_workers"),
            ),
        ),
        _card(tr("ops.failed_jobs"), failed_table()),
        _card(
            tr("ops.messages"),
            data_table(
                [
                    Column(tr("ops.channel"), "channel"),
                    Column(tr("ops.backlog"), "backlog"),
                    Column(tr("ops.sent"), "sent"),
                    Column(tr("ops.failed"), "failed"),
                ],
                S.channels,
                table_id="channels-table",
                empty=tr("common.none"),
            ),
        ),
        spacing="4",
        width="100%",
        align="stretch",
    )


@rx.page(
    route=ROUTE,
    title="Operations · Back-office",
    on_load=[SessionState.require_sign_in, OperationsState.open_page],
)
def operations_page() -> rx.Component:
    return shell(
        tr("ops.title"),
        rx.text(
            tr("ops.help"),
            " ",
            tr("ops.updated"),
            " ",
            rx.text.span(S.updated, id="ops-updated"),
            color_scheme="gray",
            size="2",
        ),
        tables(),
    )
