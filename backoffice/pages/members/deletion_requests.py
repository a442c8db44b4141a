"""/members/deletion-requests: members who asked on the member portal to delete their
account; staff with members.status process them with the usual cancel flow."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.components.tables import Column, data_table
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


def _process(row: rx.Var) -> rx.Component:
    return rx.button(
        tr("deletion.process"),
        color_scheme="red",
        variant="soft",
        size="1",
        on_click=S.process(row["id"].to(int)),
        id="process-deletion-" + row["id"],
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
        data_table(
            [
                Column(
                    tr("deletion.member"),
                    cell=lambda r: rx.link(r["member"], href="/member?id=" + r["member_id"]),
                ),
                Column(tr("deletion.store"), "store"),
                Column(tr("deletion.reason"), "reason"),
                Column(tr("deletion.requested_at"), "at"),
                Column(tr("common.actions"), cell=_process),
            ],
            S.rows,
            table_id="deletion-table",
            row_class="deletion-row",
            empty=tr("deletion.none"),
        ),
    )
