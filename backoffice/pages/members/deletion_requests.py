"""/members/deletion-requests: members who asked on the member portal to delete their
account; staff with members.status process them with the usual cancel flow."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.errors import DomainError
from backoffice.i18n import format_when
from backoffice.pages.layout import shell
from backoffice.pages.session import SessionState, SignedOut, tr
from backoffice.services.portal import self_service as member_self


class DeletionRequestsState(SessionState):
    rows: list[dict[str, str]] = []

    def _load(self) -> Any:
        try:
            found = self._call(member_self.deletion_requests)
        except (SignedOut, DomainError) as exc:
            self.rows = []
            return self._fail(exc)
        self.rows = [
            {
                "id": str(r.id),
                "member_id": str(r.member_id),
                "member": f"{r.member_name} · {r.member_no}",
                "store": r.store_name,
                "reason": r.reason,
                "at": format_when(r.requested_at, self.lang),
            }
            for r in found
        ]
        return None

    @rx.event
    def open_page(self) -> Any:
        return self._load()

    @rx.event
    def process(self, request_id: int) -> Any:
        """The service re-checks permission and scope for the request's member."""
        try:
            self._call(member_self.process_deletion_request, int(request_id))
        except (SignedOut, DomainError) as exc:
            self._load()
            return self._fail(exc)
        self._load()
        return rx.toast.success(self._tr("deletion.processed"))


S = DeletionRequestsState


def _row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(row["member"], href="/member?id=" + row["member_id"])),
        rx.table.cell(row["store"]),
        rx.table.cell(row["reason"]),
        rx.table.cell(row["at"]),
        rx.table.cell(
            rx.button(
                tr("deletion.process"),
                color_scheme="red",
                variant="soft",
                size="1",
                on_click=S.process(row["id"].to(int)),
                id="process-deletion-" + row["id"],
            )
        ),
        class_name="deletion-row",
    )


@rx.page(
    route="/members/deletion-requests",
    title="Deletion requests · Back-office",
    on_load=[SessionState.require_sign_in, DeletionRequestsState.open_page],
)
def deletion_requests_page() -> rx.Component:
    return shell(
        tr("deletion.title"),
        rx.text(tr("deletion.help"), size="2", color_scheme="gray"),
        rx.cond(
            S.rows.length() > 0,
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell(tr("deletion.member")),
                        rx.table.column_header_cell(tr("deletion.store")),
                        rx.table.column_header_cell(tr("deletion.reason")),
                        rx.table.column_header_cell(tr("deletion.requested_at")),
                        rx.table.column_header_cell(tr("common.actions")),
                    )
                ),
                rx.table.body(rx.foreach(S.rows, _row)),
                variant="surface",
                width="100%",
                id="deletion-table",
            ),
            rx.callout(tr("deletion.none"), icon="info", color_scheme="gray"),
        ),
    )
