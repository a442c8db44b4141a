"""CSV import: upload, dry-run report of every bad row, then an all-or-nothing import."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import reflex as rx

from backoffice.db import session_scope
from backoffice.errors import DomainError, ValidationFailed
from backoffice.pages.layout import shell
from backoffice.pages.session import SessionState, SignedOut, tr
from backoffice.services.members import uploads
from backoffice.services.members.csv_io import (
    ImportReport,
    dry_run_import,
    import_members,
    problems_text,
    template_csv,
)
from backoffice.services.org.access import require
from backoffice.services.org.auth import actor_for_token

UPLOAD_ID = "member-csv"


class ImportState(SessionState):
    file_name: str = ""
    phase: str = ""  # "", checking, checked, importing, done
    progress: int = 0
    total_rows: int = 0
    valid_rows: int = 0
    problems: list[str] = []
    problem_count: int = 0
    imported: int = 0
    # Backend-only (leading underscore): never sent to or settable by the browser.
    _upload_path: str = ""

    @rx.event
    def open_page(self) -> Any:
        uploads.discard(self._upload_path)  # a file left by an earlier visit: abandoned
        self._upload_path = ""
        self.phase = ""
        self.file_name = ""
        self.problems = []
        try:
            self._call(lambda _s, actor: require(actor, "members.import"))
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        return None

    @rx.event
    async def receive_file(self, files: list[rx.UploadFile]) -> Any:
        """Keep the uploaded CSV on the server, then run the dry run."""
        try:
            self._call(lambda _s, actor: require(actor, "members.import"))
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        if not files:
            return None
        upload = files[0]
        try:
            path = await asyncio.to_thread(uploads.save_upload, upload.file, upload.size)
        except ValidationFailed as exc:
            return rx.toast.error(self._tr(exc.errors["file"]))
        uploads.discard(self._upload_path)  # the file this one replaces
        self._upload_path = str(path)
        self.file_name = (upload.name or "members.csv")[:200]
        self.phase = "checking"
        self.progress = 0
        self.problems = []
        return ImportState.check_file

    async def _run_with_progress(
        self, work: Callable[[Callable[[int, int], None]], ImportReport]
    ) -> ImportReport | Exception:
        progress = {"done": 0, "total": 1}

        def report(done: int, total: int) -> None:
            progress["done"], progress["total"] = done, max(1, total)

        task = asyncio.create_task(asyncio.to_thread(work, report))
        while not task.done():
            await asyncio.sleep(0.25)
            async with self:
                self.progress = min(99, 100 * progress["done"] // progress["total"])
        try:
            return task.result()
        except Exception as exc:  # handed back to the caller to show
            return exc

    def _show_report(self, report: ImportReport) -> None:
        self.total_rows = report.total_rows
        self.valid_rows = report.valid_rows
        self.problem_count = len(report.problems)
        self.problems = problems_text(report, self.lang)[:500]
        self.imported = report.imported

    def _show_error(self, exc: Exception) -> Any:
        self.phase = ""
        if isinstance(exc, ValidationFailed):
            self.problems = [self._tr(m, **exc.params) for m in exc.errors.values()]
            self.problem_count = len(self.problems)
            self.phase = "checked"
            return None
        if isinstance(exc, SignedOut | DomainError):
            return self._fail(exc)
        raise exc

    def _work(
        self, token: str, path: str, use_case: Callable[..., ImportReport], commit: bool
    ) -> Callable[[Callable[[int, int], None]], ImportReport]:
        def run(progress: Callable[[int, int], None]) -> ImportReport:
            with open(path, "rb") as handle:
                content = handle.read()
            with session_scope() as session:
                actor = actor_for_token(session, token)
                if actor is None:
                    raise SignedOut
                result = use_case(session, actor, content, progress)
                if not commit or result.problems:
                    session.rollback()
                return result

        return run

    @rx.event(background=True)
    async def check_file(self) -> Any:
        async with self:
            token, path = self._token(), self._upload_path
        if not path:
            return
        result = await self._run_with_progress(self._work(token, path, dry_run_import, False))
        async with self:
            if isinstance(result, Exception):
                yield self._show_error(result)
                return
            self._show_report(result)
            self.phase = "checked"
            self.progress = 100

    @rx.event(background=True)
    async def run_import(self) -> Any:
        async with self:
            if self.phase != "checked" or self.problem_count:
                return
            token, path = self._token(), self._upload_path
            self.phase, self.progress = "importing", 0
        result = await self._run_with_progress(self._work(token, path, import_members, True))
        async with self:
            if isinstance(result, Exception):
                yield self._show_error(result)
                return
            self._show_report(result)
            self.progress = 100
            if result.problems:
                self.phase = "checked"
                return
            self.phase = "done"
            uploads.discard(self._upload_path)  # imported: the members are in the database
            self._upload_path = ""
            yield rx.toast.success(self._tr("import.done", rows=result.imported))

    @rx.event
    def download_template(self) -> Any:
        try:
            text = self._call(
                lambda session, actor: (require(actor, "members.import"), template_csv(session))[1]
            )
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        return rx.download(data=text.encode("utf-8"), filename="members-template.csv")

    @rx.var
    def report_line(self) -> str:
        if self.problem_count:
            return (
                self.t.get("import.report_bad", "")
                .replace("{bad}", str(self.problem_count))
                .replace("{valid}", str(self.valid_rows))
                .replace("{rows}", str(self.total_rows))
            )
        return self.t.get("import.report_ok", "").replace("{rows}", str(self.total_rows))

    @rx.var
    def import_label(self) -> str:
        return self.t.get("import.run", "").replace("{rows}", str(self.valid_rows))

    @rx.var
    def done_line(self) -> str:
        return self.t.get("import.done", "").replace("{rows}", str(self.imported))


def upload_box() -> rx.Component:
    return rx.upload.root(
        rx.vstack(
            rx.icon("file-up", size=32, color="var(--accent-9)"),
            rx.text(tr("import.choose"), size="2"),
            rx.cond(ImportState.file_name != "", rx.badge(ImportState.file_name, id="import-file")),
            align="center",
            spacing="2",
        ),
        id=UPLOAD_ID,
        accept={"text/csv": [".csv"], "text/plain": [".csv", ".txt"]},
        max_files=1,
        multiple=False,
        on_drop=ImportState.receive_file(rx.upload_files(upload_id=UPLOAD_ID)),
        border="2px dashed var(--gray-a7)",
        border_radius="12px",
        padding="32px",
        width="100%",
        cursor="pointer",
    )


def report_panel() -> rx.Component:
    return rx.vstack(
        rx.cond(
            ImportState.problem_count > 0,
            rx.callout(
                ImportState.report_line,
                icon="triangle-alert",
                color_scheme="red",
                id="import-report",
            ),
            rx.callout(
                ImportState.report_line, icon="check", color_scheme="green", id="import-report"
            ),
        ),
        rx.cond(
            ImportState.problem_count > 0,
            rx.scroll_area(
                rx.vstack(
                    rx.foreach(
                        ImportState.problems,
                        lambda p: rx.text(p, size="2", class_name="import-problem"),
                    ),
                    spacing="1",
                ),
                max_height="320px",
                type="auto",
            ),
        ),
        rx.cond(
            ImportState.problem_count == 0,
            rx.button(
                rx.icon("upload", size=16),
                ImportState.import_label,
                on_click=ImportState.run_import,
                size="3",
                id="import-run",
            ),
        ),
        spacing="3",
        align="stretch",
        width="100%",
    )


@rx.page(
    route="/members/import",
    title="Import members · Back-office",
    on_load=[SessionState.require_sign_in, ImportState.open_page],
)
def import_page() -> rx.Component:
    return shell(
        tr("import.title"),
        rx.text(tr("import.help"), size="2", color_scheme="gray"),
        upload_box(),
        rx.cond(
            (ImportState.phase == "checking") | (ImportState.phase == "importing"),
            rx.vstack(
                rx.text(
                    rx.cond(
                        ImportState.phase == "checking",
                        tr("import.checking"),
                        tr("import.importing"),
                    ),
                    size="2",
                ),
                rx.progress(value=ImportState.progress, id="import-progress"),
                width="100%",
            ),
        ),
        rx.cond(ImportState.phase == "checked", report_panel()),
        rx.cond(
            ImportState.phase == "done",
            rx.callout(ImportState.done_line, icon="check", color_scheme="green", id="import-done"),
        ),
        actions=rx.button(
            rx.icon("download", size=16),
            tr("import.template"),
            variant="soft",
            on_click=ImportState.download_template,
            id="import-template",
        ),
    )
