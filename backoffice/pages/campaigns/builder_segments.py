"""The builder's segment dialog: a saved member filter for schedule/manual triggers and
for test samples, counted before it is saved with the workflow's stores.

A mixin of BuilderState (builder.py)."""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel import Session

from backoffice.db import session_scope
from backoffice.errors import DomainError, ValidationFailed
from backoffice.pages.session import SessionState, SignedOut
from backoffice.services.org.access import Actor
from backoffice.workflows.campaigns import builder as wb
from backoffice.workflows.campaigns.lifecycle import (
    SegmentInput,
    get_workflow,
    list_segments,
    save_segment,
    segment_count,
)


class SegmentMixin(SessionState, mixin=True):
    seg_open: bool = False
    seg_name: str = ""
    seg_match: str = "all"
    seg_rules: list[dict[str, Any]] = []
    seg_count: str = ""
    seg_error: str = ""

    @rx.event
    def open_segment(self) -> None:
        self.seg_name, self.seg_match, self.seg_count, self.seg_error = "", "all", "", ""
        self.seg_rules = [
            self._rule_row(
                {"kind": "activity", "field": "spend", "op": "gte", "value": "", "days": "90"}
            )
        ]
        self.seg_open = True

    @rx.event
    def set_seg_open(self, value: bool) -> None:
        self.seg_open = bool(value)

    @rx.event
    def set_seg_match(self, value: str) -> None:
        self.seg_match, self.seg_count = ("any" if value == "any" else "all"), ""

    @rx.event
    def set_seg_name(self, value: str) -> None:
        self.seg_name = str(value)[:100]

    def _seg_condition(self) -> dict[str, Any] | None:
        rows = [
            {k: str(r.get(k, "")) for k in ("kind", "field", "op", "value", "days")}
            for r in self.seg_rules
        ]
        try:
            condition = wb.condition_from_rows(self.seg_match, rows)
        except ValidationFailed as exc:
            errors = self._field_errors(exc)
            self.seg_rules = [
                {**r, "error": errors.get(f"rule_{i}", "")} for i, r in enumerate(self.seg_rules)
            ]
            return None
        self.seg_rules = [{**r, "error": ""} for r in self.seg_rules]
        return condition

    def _workflow_stores(self, session: Session, actor: Actor) -> list[int]:
        return list(get_workflow(session, actor, self._workflow_id).store_ids)

    @rx.event
    def count_segment(self) -> Any:
        condition = self._seg_condition()
        if condition is None:
            return None
        try:
            with session_scope() as session:
                actor = self._actor(session)
                stores = self._workflow_stores(session, actor)
                count = segment_count(session, actor, condition, stores or None)
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.seg_count = self._tr("builder.seg_count", count=count)
        return None

    @rx.event
    def save_new_segment(self) -> Any:
        """Save the segment with the workflow's stores; the trigger (if it takes one) uses it."""
        condition = self._seg_condition()
        if condition is None:
            return None
        try:
            with session_scope() as session:
                actor = self._actor(session)
                segment = save_segment(
                    session,
                    actor,
                    SegmentInput(
                        name=self.seg_name,
                        store_ids=self._workflow_stores(session, actor),
                        condition=condition,
                    ),
                )
                new_id = segment.id
                self._options = wb.reference_options(session, actor, self.lang)
                self.segment_options = [[str(s.id), s.name] for s in list_segments(session, actor)]
        except ValidationFailed as exc:
            self.seg_error = "; ".join(self._field_errors(exc).values())
            return None
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.seg_open = False
        self.test_segment = str(new_id)
        if any(f["name"] == "segment_id" for f in self.fields):
            self.fields = [
                {
                    **f,
                    "options": [
                        {"value": "none", "label": self._tr("builder.none")},
                        *self._options.get("segments", []),
                    ],
                }
                if f["name"] == "segment_id"
                else f
                for f in self.fields
            ]
            self._set_value("segment_id", str(new_id))
            return type(self).apply_config
        return rx.toast.success(self._tr("builder.seg_saved"))
