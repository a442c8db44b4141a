"""The builder's side panel: the selected node's form (fields from its config schema,
condition rules, split branches), validated and saved into the draft.

A mixin of BuilderState (builder.py); `add_rule`/`set_rule`/`remove_rule` also edit the
segment dialog's rules (group "segment", builder_segments.py)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.db import session_scope
from backoffice.errors import DomainError, ValidationFailed
from backoffice.pages.session import SessionState
from backoffice.workflows.campaigns import builder as wb
from backoffice.workflows.schema import NodeSpec


class PanelMixin(SessionState, mixin=True):
    node_type: str = ""
    node_label: str = ""
    node_help: str = ""
    fields: list[dict[str, Any]] = []
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    group_error: str = ""  # about the condition or the branches as a whole
    match: str = "all"
    rules: list[dict[str, Any]] = []
    branches: list[dict[str, str]] = []
    rule_kinds: list[list[str]] = []
    op_options: list[list[str]] = []
    _options: dict[str, list[dict[str, str]]] = {}  # choices for the fields, by source

    def _node_config(self) -> dict[str, Any]:
        node = next(
            (n for n in self._draft.get("nodes") or [] if n.get("id") == self.selected), None
        )
        return dict((node or {}).get("config") or {})

    def _panel(self) -> None:
        node = next(
            (n for n in self._draft.get("nodes") or [] if n.get("id") == self.selected), None
        )
        self.errors, self.group_error = {}, ""
        if node is None or not wb.is_node_type(str(node.get("type"))):
            self.node_type, self.fields, self.values, self.rules, self.branches = "", [], {}, [], []
            return
        spec = NodeSpec.model_validate(node)
        self.node_type = spec.type
        self.node_label = self._tr(wb.node_type_label(spec.type))
        self.node_help = self._tr(wb.node_type_help(spec.type))
        self.values = wb.form_values(spec)
        self.fields = [
            self._field_row(f, self.values.get(f.name, ""), wb.secret_is_set(spec, f.name))
            for f in wb.field_specs(spec.type)
        ]
        self.match, rows = wb.rule_rows(spec) if spec.type == "condition" else ("all", [])
        self.rules = [self._rule_row(r) for r in rows]
        self.branches = (
            [{**b, "error": ""} for b in wb.branch_rows(spec)] if spec.type == "split" else []
        )

    def _field_row(self, spec: wb.FieldSpec, value: str, is_set: bool = False) -> dict[str, Any]:
        if spec.source:
            options = list(self._options.get(spec.source, []))
            if spec.optional:
                options = [{"value": "none", "label": self._tr("builder.none")}, *options]
        else:
            options = [
                {"value": c or "none", "label": self._tr(f"opt.{spec.name}.{c or 'none'}")}
                for c in spec.choices
            ]
        hint = ""
        if spec.kind == "number" and spec.minimum is not None and spec.maximum is not None:
            hint = self._tr("builder.range", min=spec.minimum, max=spec.maximum)
        if spec.kind == "secret":
            hint = self._tr("builder.secret_set" if is_set else "builder.secret_new")
        return {
            "name": spec.name,
            "kind": spec.kind,
            "label": self._tr(f"cfg.{spec.name}"),
            "options": options,
            "hint": hint,
            "value": (value or "none") if spec.kind == "select" else value,
            "error": "",
        }

    def _rule_row(self, row: dict[str, str]) -> dict[str, Any]:
        kind = row.get("kind", "activity")
        if kind == "activity":
            fields = [[m, self._tr(f"rmetric.{m}")] for m in ("spend", "visits", "points")]
        elif kind == "field":
            fields = [[o["value"], o["label"]] for o in self._options.get("member_fields", [])]
        elif kind == "custom_field":
            fields = [[o["value"], o["label"]] for o in self._options.get("custom_fields", [])]
        elif kind == "consent":
            fields = [[c, self._tr(f"channel.{c}")] for c in ("sms", "email")]
        else:
            fields = []
        hint = {
            "tier_in": ", ".join(o["value"] for o in self._options.get("tiers", [])),
            "store_in": ", ".join(
                f"{o['value']}={o['label']}" for o in self._options.get("stores", [])
            ),
            "tag": ", ".join(o["value"] for o in self._options.get("tags", [])[:20]),
        }.get(kind, "")
        return {
            **row,
            "error": "",
            "kind": kind,
            "fields": fields,
            "has_field": bool(fields),
            "has_days": kind == "activity",
            "has_value": kind not in ("has_coupon", "consent"),
            "hint": hint,
        }

    @rx.event
    def set_value(self, name: str, value: str) -> None:
        self._set_value(name, value)

    def _set_value(self, name: str, value: str) -> None:
        if not any(f["name"] == name for f in self.fields):
            return
        text = "" if value == "none" else str(value)[:500]
        self.values = {**self.values, str(name): text}
        self.fields = [
            {**f, "value": (text or "none") if f["kind"] == "select" else text, "error": ""}
            if f["name"] == name
            else f
            for f in self.fields
        ]

    @rx.event
    def set_match(self, value: str) -> None:
        self.match = "any" if value == "any" else "all"

    @rx.event
    def add_rule(self, group: str) -> None:
        """`group`: "node" edits the selected condition, "segment" the segment dialog."""
        row = self._rule_row(
            {"kind": "activity", "field": "spend", "op": "gte", "value": "", "days": "90"}
        )
        self._put_rules(group, [*self._rules_of(group), row])

    @rx.event
    def remove_rule(self, group: str, index: int) -> None:
        self._put_rules(group, [r for i, r in enumerate(self._rules_of(group)) if i != int(index)])

    @rx.event
    def set_rule(self, group: str, index: int, key: str, value: str) -> None:
        rows = [dict(r) for r in self._rules_of(group)]
        if key not in ("kind", "field", "op", "value", "days") or not 0 <= int(index) < len(rows):
            return
        rows[int(index)][key] = str(value)[:200]
        if key == "kind":
            row = self._rule_row({**rows[int(index)], "field": ""})
            row["field"] = row["fields"][0][0] if row["fields"] else ""
            rows[int(index)] = row
        self._put_rules(group, rows)

    def _rules_of(self, group: str) -> list[dict[str, Any]]:
        return self.seg_rules if group == "segment" else self.rules

    def _put_rules(self, group: str, rows: list[dict[str, Any]]) -> None:
        if group == "segment":
            self.seg_rules, self.seg_count = rows, ""
        else:
            self.rules = rows

    @rx.event
    def add_branch(self) -> None:
        names = {b["name"] for b in self.branches}
        name = next(c for c in "abcdefghij" + "klmnopqrst" if c not in names)
        self.branches = [*self.branches, {"name": name, "percent": "0", "error": ""}]

    @rx.event
    def remove_branch(self, index: int) -> None:
        self.branches = [b for i, b in enumerate(self.branches) if i != int(index)]

    @rx.event
    def set_branch(self, index: int, key: str, value: str) -> None:
        if key not in ("name", "percent") or not 0 <= int(index) < len(self.branches):
            return
        rows = [dict(b) for b in self.branches]
        rows[int(index)][key] = str(value)[:20]
        self.branches = rows

    @rx.event
    def choose_value(self, name: str, value: str) -> Any:
        """A select in the panel: the choice is saved at once, with no Apply to click."""
        self._set_value(name, value)
        return type(self).apply_if_changed

    @rx.event
    def apply_if_changed(self) -> Any:
        """Leaving a field saves it, when its text differs from the node's saved config."""
        if not self.selected or self.read_only:
            return None
        node = next(
            (n for n in self._draft.get("nodes") or [] if n.get("id") == self.selected), None
        )
        if node is None or dict(self.values) == wb.form_values(NodeSpec.model_validate(node)):
            return None
        return type(self).apply_config

    @rx.event
    def apply_config(self) -> Any:
        """Validate the panel's form against the node's schema and save it into the draft."""
        if not self.selected or not wb.is_node_type(self.node_type):
            return None
        try:
            with session_scope() as session:
                config = wb.build_config(
                    session,
                    self.node_type,
                    dict(self.values),
                    self.match,
                    [
                        {k: str(r.get(k, "")) for k in ("kind", "field", "op", "value", "days")}
                        for r in self.rules
                    ],
                    [{"name": b["name"], "percent": b["percent"]} for b in self.branches],
                    current=self._node_config(),
                )
        except ValidationFailed as exc:
            self.errors = self._field_errors(exc)
            self.fields = [{**f, "error": self.errors.get(f["name"], "")} for f in self.fields]
            self.rules = [
                {**r, "error": self.errors.get(f"rule_{i}", "")} for i, r in enumerate(self.rules)
            ]
            self.branches = [
                {**b, "error": self.errors.get(f"branch_{i}", "")}
                for i, b in enumerate(self.branches)
            ]
            self.group_error = self.errors.get("condition", "") or self.errors.get("branches", "")
            return None
        except DomainError as exc:
            return rx.toast.error(self._error(exc))
        self.errors = {}
        try:
            graph = wb.set_node_config(self._draft, self.selected, config)
        except DomainError as exc:
            return rx.toast.error(self._error(exc))
        result = self._commit(graph)
        self._panel()
        return result
