"""Issuing a coupon to every member of the list's current filter, with a progress bar: a
substate of the list, so it reads the list's filter (`_query`) and the signed-in session."""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from backoffice.components.dialogs import confirm_dialog
from backoffice.db import session_scope
from backoffice.errors import DomainError
from backoffice.pages.members.list_state import MembersState
from backoffice.pages.session import SignedOut, tr
from backoffice.services.loyalty.coupons import issue_to_members, list_templates
from backoffice.services.members.search import count_members
from backoffice.services.org.auth import actor_for_token


class BulkCouponState(MembersState):
    issue_open: bool = False
    issuing: bool = False
    issue_progress: int = 0
    template_options: list[list[str]] = []
    issue_error: str = ""

    @rx.event
    def open_issue(self) -> Any:
        try:
            templates = self._call(lambda s, a: list_templates(s, a, include_inactive=False))
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.template_options = [[str(t.id), t.name] for t in templates]
        self.issue_error = ""
        self.issue_open = True
        return None

    @rx.event
    def close_issue(self) -> None:
        self.issue_open = False

    @rx.event(background=True)
    async def issue_coupons(self, form: dict[str, Any]) -> Any:
        """Fan a coupon out to every member of the current filter, with a progress bar."""
        raw = str(form.get("template", ""))
        async with self:
            if self.issuing:
                return
            if not raw.isdigit():
                self.issue_error = self._tr("error.required")
                return
            token, query = self._token(), self._query()
            self.issuing, self.issue_progress, self.issue_open = True, 0, False
        progress = {"done": 0, "total": 1}

        def run() -> Any:
            with session_scope() as session:
                actor = actor_for_token(session, token)
                if actor is None:
                    raise SignedOut
                progress["total"] = max(1, count_members(session, actor, query))
                return issue_to_members(
                    session,
                    actor,
                    int(raw),
                    query,
                    lambda done, _t: progress.__setitem__("done", done),
                )

        task = asyncio.create_task(asyncio.to_thread(run))
        while not task.done():
            await asyncio.sleep(0.25)
            async with self:
                self.issue_progress = min(100, 100 * progress["done"] // progress["total"])
        async with self:
            self.issuing = False
            try:
                report = task.result()
            except (SignedOut, DomainError) as exc:
                yield self._fail(exc)
                return
            yield rx.toast.success(
                self._tr("members.issued", issued=report.issued, skipped=report.skipped)
            )


def issue_dialog() -> rx.Component:
    return confirm_dialog(
        tr("members.issue_coupon"),
        rx.select.root(
            rx.select.trigger(
                placeholder=tr("member.choose"), width="100%", id="bulk-coupon-template"
            ),
            rx.select.content(
                rx.foreach(
                    BulkCouponState.template_options,
                    lambda o: rx.select.item(o[1], value=o[0]),
                )
            ),
            name="template",
        ),
        rx.cond(
            BulkCouponState.issue_error != "",
            rx.text(BulkCouponState.issue_error, color_scheme="red", size="1"),
        ),
        description=MembersState.summary,
        confirm_label=tr("common.confirm"),
        cancel_label=tr("common.cancel"),
        on_confirm=BulkCouponState.issue_coupons,
        on_cancel=BulkCouponState.close_issue,
        form=True,
        open=BulkCouponState.issue_open,
        confirm_id="bulk-coupon-confirm",
    )


def issue_button() -> rx.Component:
    """The list's "issue a coupon" action, for staff holding coupons.issue."""
    return rx.cond(
        MembersState.perms.contains("coupons.issue"),
        rx.button(
            rx.icon("ticket", size=16),
            tr("members.issue_coupon"),
            variant="soft",
            on_click=BulkCouponState.open_issue,
            disabled=BulkCouponState.issuing,
            id="bulk-coupon",
        ),
    )


def issue_progress() -> rx.Component:
    """The fan-out's progress while it runs."""
    return rx.cond(
        BulkCouponState.issuing,
        rx.vstack(
            rx.text(tr("members.issuing"), size="2"),
            rx.progress(value=BulkCouponState.issue_progress, id="issue-progress"),
            width="100%",
        ),
    )
