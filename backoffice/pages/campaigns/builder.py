"""/workflows/edit?id=: the campaign canvas, its side panel, test runs, publishing and the
run history. The page edits the draft's JSON graph and calls the engine's services; every
edit is saved at once (and audited by the service when it changes nodes or edges)."""

from __future__ import annotations

import json
from typing import Any

import reflex as rx
from sqlmodel import Session

from backoffice.db import session_scope
from backoffice.errors import DomainError, ValidationFailed
from backoffice.i18n import format_money, format_when
from backoffice.pages.session import SessionState, SignedOut
from backoffice.services.members.profiles import MemberQuery, search_members
from backoffice.services.org.access import Actor
from backoffice.services.org.stores import visible_stores
from backoffice.workflows.campaigns import builder as wb
from backoffice.workflows.campaigns.handoff import submit_runs
from backoffice.workflows.campaigns.lifecycle import (
    SegmentInput,
    WorkflowInput,
    dry_run_sample,
    dry_run_workflow,
    get_workflow,
    list_runs,
    list_segments,
    node_counters,
    publish_workflow,
    retry_run,
    run_steps,
    save_draft,
    save_graph,
    save_segment,
    segment_count,
    set_workflow_status,
    trigger_match_count,
    validate_workflow,
    workflow_conversion,
)
from backoffice.workflows.schema import NodeSpec

HISTORY = 50
RUN_STATUSES = ("running", "waiting", "completed", "failed", "stopped")


class BuilderState(SessionState):
    name: str = ""
    description: str = ""
    status: str = ""
    version: str = ""
    scope_label: str = ""
    read_only: bool = True
    can_operate: bool = False
    tab: str = "design"
    canvas: dict[str, Any] = {"nodes": [], "edges": [], "revision": 0, "selected": ""}
    palette: list[dict[str, Any]] = []
    problems: list[dict[str, str]] = []
    saved_at: str = ""
    # the selected node's side panel
    selected: str = ""
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
    # message template dialog (for "send message" nodes)
    msg_open: bool = False
    msg_seq: int = 0  # a new key per opening, so the form shows the template just loaded
    msg_title: str = ""
    msg_name: str = ""
    msg_channel: str = "outbox"
    msg_subject: str = ""
    msg_body: str = ""
    msg_marketing: bool = True
    msg_error_name: str = ""
    msg_error_body: str = ""
    msg_variables: str = ""
    # segment dialog: a saved member filter for schedule/manual triggers and test samples
    seg_open: bool = False
    seg_name: str = ""
    seg_match: str = "all"
    seg_rules: list[dict[str, Any]] = []
    seg_count: str = ""
    seg_error: str = ""
    # settings dialog
    settings_open: bool = False
    goal_kind: str = "sale"
    goal_days: str = "7"
    settings_error: str = ""
    conversion: dict[str, str] = {}
    # test run
    test_open: bool = False
    test_query: str = ""
    test_candidates: list[dict[str, str]] = []
    test_segment: str = ""
    segment_options: list[list[str]] = []
    test_results: list[dict[str, Any]] = []
    test_error: str = ""
    # publish
    publish_open: bool = False
    publish_count: str = ""
    # runs
    show_counters: bool = False
    run_filter: str = "all"
    runs: list[dict[str, str]] = []
    run_detail: dict[str, str] = {}
    steps: list[dict[str, str]] = []
    # backend only: the saved draft, undo/redo stacks, the test path, the options
    _workflow_id: int = 0  # from the URL; the services decide whether it may be seen
    _draft: dict[str, Any] = {}
    _undo: list[dict[str, Any]] = []
    _redo: list[dict[str, Any]] = []
    _path: list[str] = []
    _revision: int = 0
    _options: dict[str, list[dict[str, str]]] = {}
    _msg_id: int = 0
    _fit: int = 0  # bumped by auto-layout: the canvas fits its view to the new drawing

    # ---- loading and drawing ----

    def _id(self) -> int:
        raw = self.router.url.query_parameters.get("id", "")
        return int(raw) if str(raw).isdigit() else 0

    def _draw(self, session: Session, actor: Actor, bump: bool = True) -> None:
        """Re-read problems (and counters) and hand the canvas a new revision."""
        problems = validate_workflow(session, actor, self._workflow_id)
        counters = node_counters(session, actor, self._workflow_id) if self.show_counters else None
        if bump:
            self._revision += 1
        self.canvas = wb.canvas_view(
            self._draft,
            self.lang,
            wb.load_names(session),
            problems=problems,
            counters=counters,
            path=self._path,
            selected=self.selected,
            revision=self._revision,
            fit=self._fit,
        )
        self.problems = [
            {
                "node_id": p.node_id,
                "text": self._tr(p.message, **p.params),
                "where": p.node_id or "—",
            }
            for p in problems
        ]

    def _load(self) -> Any:
        self._workflow_id, self._draft = self._id(), {}
        try:
            with session_scope() as session:
                actor = self._actor(session)
                workflow = get_workflow(session, actor, self._workflow_id)
                stores = {s.id: s.name for s in visible_stores(session, actor)}
                self.read_only = (
                    not actor.can("workflows.design") or workflow.status.value == "archived"
                )
                self.can_operate = actor.can("workflows.operate")
                self._draft = dict(workflow.draft or {})
                self.name, self.description = workflow.name, workflow.description
                self.status = workflow.status.value
                self.version = (
                    f"v{workflow.published_version}" if workflow.published_version else ""
                )
                self.scope_label = (
                    ", ".join(stores.get(s, f"#{s}") for s in workflow.store_ids)
                    if workflow.store_ids
                    else self._tr("workflow.scope_hq")
                )
                self.goal_kind, self.goal_days = workflow.goal_kind, str(workflow.goal_days)
                self._options = wb.reference_options(session, actor, self.lang)
                self.segment_options = [[str(s.id), s.name] for s in list_segments(session, actor)]
                conv = workflow_conversion(session, actor, self._workflow_id)
                self.conversion = {
                    "entered": str(conv.entered),
                    "converted": str(conv.converted),
                    "rate": f"{conv.rate:.1%}",
                    "revenue": format_money(conv.revenue_cents, self.lang),
                    "goal": self._tr("workflow.goal_text", days=workflow.goal_days)
                    if workflow.goal_kind
                    else self._tr("workflow.no_goal"),
                }
                self._draw(session, actor)
        except (SignedOut, DomainError) as exc:
            self._workflow_id = 0
            return self._fail(exc) if isinstance(exc, SignedOut) else rx.redirect("/workflows")
        self.palette = wb.palette(self.lang)
        self.rule_kinds = [[k, self._tr(f"rule.kind.{k}")] for k in wb.RULE_KINDS]
        self.op_options = [[o, self._tr(f"op.{o}")] for o in wb.OPS]
        self._panel()
        return None

    @rx.event
    def open_builder(self) -> Any:
        self._undo, self._redo, self._path, self.selected = [], [], [], ""
        self.tab, self.test_results, self.runs, self.steps = "design", [], [], []
        self.run_detail = {}
        return self._load()

    # ---- saving the graph ----

    def _commit(self, graph: dict[str, Any], remember: bool = True) -> Any:
        """Save a new draft graph through the service; on success it becomes undoable."""
        try:
            with session_scope() as session:
                actor = self._actor(session)
                saved = save_graph(session, actor, self._workflow_id, graph)
                if remember:
                    self._undo = (self._undo + [self._draft])[-HISTORY:]
                    self._redo = []
                self._draft = dict(saved.draft)
                self._path = []
                self._draw(session, actor)
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.saved_at = self._tr("builder.saved")
        return None

    @rx.event
    def canvas_changed(self, graph: dict[str, Any]) -> Any:
        """Drag stop, connect or delete on the canvas."""
        try:
            merged = wb.apply_canvas(self._draft, graph)
        except ValidationFailed as exc:
            return rx.toast.error(self._error(exc))
        if merged == wb.apply_canvas(self._draft, _as_canvas(self._draft)):
            return None
        if self.selected and not any(n["id"] == self.selected for n in merged["nodes"]):
            self.selected = ""
        result = self._commit(merged)
        self._panel()
        return result

    @rx.event
    def node_dropped(self, node_type: str, x: float, y: float) -> Any:
        try:
            graph, node_id = wb.add_node(self._draft, str(node_type), float(x), float(y))
        except (ValidationFailed, TypeError, ValueError):
            return rx.toast.error(self._tr("error.node_type"))
        self.selected = node_id
        result = self._commit(graph)
        self._panel()
        return result

    @rx.event
    def node_selected(self, node_id: str) -> None:
        ids = {n.get("id") for n in self._draft.get("nodes") or []}
        self.selected = str(node_id) if node_id in ids else ""
        self.canvas = {**self.canvas, "selected": self.selected}
        self._panel()

    @rx.event
    def delete_selected(self) -> Any:
        if not self.selected:
            return None
        graph = wb.remove_node(self._draft, self.selected)
        self.selected = ""
        result = self._commit(graph)
        self._panel()
        return result

    @rx.event
    def undo(self) -> Any:
        return self._travel(back=True)

    @rx.event
    def redo(self) -> Any:
        return self._travel(back=False)

    def _travel(self, back: bool) -> Any:
        """Save the draft from the top of one history stack, moving the current to the other."""
        source = self._undo if back else self._redo
        if not source:
            return None
        current = self._draft
        result = self._commit(source[-1], remember=False)
        if result is None:
            if back:
                self._undo, self._redo = self._undo[:-1], (self._redo + [current])[-HISTORY:]
            else:
                self._redo, self._undo = self._redo[:-1], (self._undo + [current])[-HISTORY:]
        self._panel()
        return result

    @rx.event
    def tidy(self) -> Any:
        self._fit += 1
        return self._commit(wb.auto_layout(self._draft))

    # ---- the side panel ----

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

    # ---- segments ----

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
            return BuilderState.apply_config
        return rx.toast.success(self._tr("builder.seg_saved"))

    # ---- message templates, written where they are used ----

    @rx.event
    def open_message(self, new: bool) -> Any:
        from backoffice.services.messaging.messages import VARIABLES, list_templates

        self.msg_error_name = self.msg_error_body = ""
        self.msg_variables = "  ".join("{{" + v + "}}" for v in VARIABLES)
        self._msg_id = 0
        self.msg_name, self.msg_channel, self.msg_subject, self.msg_body = "", "outbox", "", ""
        self.msg_marketing = True
        current = self.values.get("template_id", "")
        if not new and current.isdigit():
            try:
                with session_scope() as session:
                    found = next(
                        (
                            m
                            for m in list_templates(session, self._actor(session))
                            if m.id == int(current)
                        ),
                        None,
                    )
            except (SignedOut, DomainError) as exc:
                return self._fail(exc)
            if found is not None:
                self._msg_id = found.id or 0
                self.msg_name, self.msg_channel = found.name, found.channel.value
                self.msg_subject, self.msg_body = found.subject, found.body
                self.msg_marketing = found.marketing
        self.msg_title = self._tr("builder.edit_message" if self._msg_id else "builder.new_message")
        self.msg_seq += 1
        self.msg_open = True
        return None

    @rx.event
    def set_msg_open(self, value: bool) -> None:
        self.msg_open = bool(value)

    @rx.event
    def set_msg_channel(self, value: str) -> None:
        self.msg_channel = value if value in ("outbox", "sms", "email") else "outbox"

    @rx.event
    def set_msg_marketing(self, value: bool) -> None:
        self.msg_marketing = bool(value)

    @rx.event
    def save_message(self, form: dict[str, Any]) -> Any:
        """Create or change the template, then point the selected node at it."""
        from backoffice.services.messaging.messages import (
            TemplateInput,
            create_template,
            update_template,
        )

        data = TemplateInput(
            name=str(form.get("name", ""))[:100],
            channel=self.msg_channel,
            subject=str(form.get("subject", ""))[:200],
            body=str(form.get("body", ""))[:2000],
            marketing=self.msg_marketing,
        )
        try:
            with session_scope() as session:
                actor = self._actor(session)
                if self._msg_id:
                    template = update_template(session, actor, self._msg_id, data)
                else:
                    template = create_template(session, actor, data)
                new_id = template.id
                self._options = wb.reference_options(session, actor, self.lang)
        except ValidationFailed as exc:
            errors = self._field_errors(exc)
            self.msg_error_name = errors.get("name", "")
            self.msg_error_body = errors.get("body", "") or errors.get("channel", "")
            return None
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.msg_open = False
        self.fields = [
            {**f, "options": self._options.get("message_templates", [])}
            if f["name"] == "template_id"
            else f
            for f in self.fields
        ]
        self._set_value("template_id", str(new_id))
        return BuilderState.apply_config

    # ---- settings: name, description, goal ----

    @rx.event
    def set_settings_open(self, value: bool) -> None:
        self.settings_open, self.settings_error = bool(value), ""

    @rx.event
    def save_settings(self, form: dict[str, Any]) -> Any:
        try:
            days = int(str(form.get("goal_days", "7")) or 7)
        except ValueError:
            self.settings_error = self._tr("error.number")
            return None
        try:
            with session_scope() as session:
                actor = self._actor(session)
                workflow = get_workflow(session, actor, self._workflow_id)
                save_draft(
                    session,
                    actor,
                    self._workflow_id,
                    WorkflowInput(
                        name=str(form.get("name", ""))[:100],
                        description=str(form.get("description", ""))[:500],
                        store_ids=workflow.store_ids,
                        graph=workflow.draft,
                        goal_kind="sale" if form.get("goal_kind") == "sale" else "",
                        goal_days=days,
                    ),
                )
        except ValidationFailed as exc:
            self.settings_error = "; ".join(self._field_errors(exc).values())
            return None
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.settings_open = False
        return self._load()

    # ---- test run ----

    @rx.event
    def set_test_open(self, value: bool) -> None:
        self.test_open, self.test_error = bool(value), ""
        if not value:
            return
        self.test_candidates = []

    @rx.event
    def find_test_member(self, form: dict[str, Any]) -> Any:
        query = str(form.get("q", "")).strip()[:60]
        if not query:
            return None
        try:
            with session_scope() as session:
                actor = self._actor(session)
                page = search_members(session, actor, MemberQuery(q=query, page_size=8))
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.test_candidates = [
            {"id": str(r.id), "label": f"{r.name} · {r.member_no} · {r.phone}"} for r in page.rows
        ]
        self.test_error = "" if page.rows else self._tr("error.member_not_found")
        return None

    def _show_results(self, results: list[Any]) -> None:
        self.test_results = [
            {
                "member": r.member_name,
                "path": " → ".join(
                    self._tr(wb.node_type_label(s.node_type))
                    + (f" ({s.handle})" if s.handle not in ("", "out") else "")
                    for s in r.path
                    if wb.is_node_type(s.node_type)
                ),
                "messages": list(r.messages),
                "error": next((s.error for s in r.path if s.error), ""),
            }
            for r in results
        ]
        self._path = [s.node_id for s in results[0].path] if results else []

    def _test(self, run: Any) -> Any:
        try:
            with session_scope() as session:
                actor = self._actor(session)
                results = run(session, actor)
                self._show_results(results)
                self._draw(session, actor)
        except ValidationFailed as exc:
            self.test_error = "; ".join(self._field_errors(exc).values())
            return None
        except (SignedOut, DomainError) as exc:
            self.test_error = self._error(exc)
            return self._fail(exc) if isinstance(exc, SignedOut) else None
        self.test_error = "" if self.test_results else self._tr("builder.sample_empty")
        return None

    @rx.event
    def test_member(self, member_id: str) -> Any:
        if not str(member_id).isdigit():
            return None
        return self._test(lambda s, a: [dry_run_workflow(s, a, self._workflow_id, int(member_id))])

    @rx.event
    def set_test_segment(self, value: str) -> None:
        self.test_segment = str(value)

    @rx.event
    def test_sample(self) -> Any:
        segment = int(self.test_segment) if self.test_segment.isdigit() else None
        return self._test(lambda s, a: dry_run_sample(s, a, self._workflow_id, segment, 10))

    @rx.event
    def clear_test(self) -> Any:
        self._path, self.test_results = [], []
        try:
            with session_scope() as session:
                self._draw(session, self._actor(session))
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        return None

    # ---- publish, pause, resume ----

    @rx.event
    def open_publish(self) -> Any:
        try:
            with session_scope() as session:
                count = trigger_match_count(session, self._actor(session), self._workflow_id)
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.publish_count = (
            self._tr("builder.publish_count", count=count)
            if count is not None
            else self._tr("builder.publish_event")
        )
        self.publish_open = True
        return None

    @rx.event
    def set_publish_open(self, value: bool) -> None:
        self.publish_open = bool(value)

    @rx.event
    def publish(self) -> Any:
        try:
            version = self._call(publish_workflow, self._workflow_id)
        except ValidationFailed as exc:
            self.publish_open = False
            self._load()
            return rx.toast.error(self._error(exc))
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.publish_open = False
        self._load()
        return rx.toast.success(self._tr("builder.published", version=version.version))

    @rx.event
    def set_status(self, status: str) -> Any:
        if status not in ("paused", "published"):
            return None
        try:
            self._call(set_workflow_status, self._workflow_id, status)
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self._load()
        return rx.toast.success(self._tr(f"wfstatus.{status}"))

    # ---- runs ----

    @rx.event
    def set_tab(self, value: str) -> Any:
        self.tab = "runs" if value == "runs" else "design"
        if self.tab == "runs":
            self.show_counters = True
            return [BuilderState.load_runs, BuilderState.redraw]
        return None

    @rx.event
    def toggle_counters(self, value: bool) -> Any:
        self.show_counters = bool(value)
        return BuilderState.redraw

    @rx.event
    def redraw(self) -> Any:
        try:
            with session_scope() as session:
                self._draw(session, self._actor(session))
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        return None

    @rx.event
    def set_run_filter(self, value: str) -> Any:
        self.run_filter = value if value in RUN_STATUSES else "all"
        return BuilderState.load_runs

    @rx.event
    def load_runs(self) -> Any:
        try:
            with session_scope() as session:
                actor = self._actor(session)
                found = list_runs(
                    session,
                    actor,
                    self._workflow_id,
                    "" if self.run_filter == "all" else self.run_filter,
                    100,
                )
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.runs = [
            {
                "id": str(r.id),
                "member_id": str(r.member_id),
                "status": r.status.value,
                "status_label": self._tr(f"runstatus.{r.status.value}"),
                "version": f"v{r.version}",
                "node": r.cursor or "—",
                "started": format_when(r.started_at, self.lang),
                "error": r.error,
            }
            for r in found
        ]
        return None

    @rx.event
    def open_run(self, run_id: str) -> Any:
        if not str(run_id).isdigit():
            return None
        try:
            with session_scope() as session:
                actor = self._actor(session)
                run, steps = run_steps(session, actor, int(run_id))
                if run.workflow_id != self._workflow_id:
                    return None
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.run_detail = {
            "id": str(run.id),
            "status": run.status.value,
            "status_label": self._tr(f"runstatus.{run.status.value}"),
            "error": run.error,
            "failed": "yes" if run.status.value == "failed" else "",
        }
        self.steps = [
            {
                "seq": str(s.seq),
                "node": s.node_id,
                "type": self._tr(wb.node_type_label(s.node_type, s.node_type)),
                "status": s.status.value,
                "attempt": str(s.attempt),
                "handle": s.handle,
                "input": json.dumps(s.input, ensure_ascii=False)[:500],
                "output": json.dumps(s.output, ensure_ascii=False)[:500],
                "error": s.error,
            }
            for s in steps
        ]
        return None

    @rx.event
    def retry(self, run_id: str) -> Any:
        if not str(run_id).isdigit():
            return None
        try:
            self._call(retry_run, int(run_id))
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        submit_runs([int(run_id)])
        return [
            BuilderState.load_runs,
            BuilderState.open_run(str(run_id)),
            rx.toast.success(self._tr("builder.retried")),
        ]


def _as_canvas(draft: dict[str, Any]) -> dict[str, Any]:
    return {
        "nodes": [
            {"id": n.get("id"), "position": n.get("position")} for n in draft.get("nodes") or []
        ],
        "edges": list(draft.get("edges") or []),
    }
