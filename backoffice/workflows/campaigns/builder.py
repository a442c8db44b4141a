"""The campaign builder's domain: what the canvas draws and what an edit on it means.

The canvas and side panel only edit the draft's JSON graph; this module turns node types
into palette entries and forms (from each node's config schema), a form's text back into
a validated config, canvas edits into a graph, and a graph into plain-language node
summaries. Saving, validating and publishing stay in `services.workflows`.
"""

from __future__ import annotations

import types
from dataclasses import dataclass, field
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import ValidationError
from sqlmodel import Session, col, select

from backoffice.errors import NotFound, ValidationFailed
from backoffice.i18n import format_money, t
from backoffice.models import CouponTemplate, FormField, MessageTemplate, Segment, Store, Tier
from backoffice.money import parse_yuan, yuan
from backoffice.sealed import seal
from backoffice.services.members.profiles import all_tags
from backoffice.services.org.access import Actor
from backoffice.services.org.stores import visible_stores
from backoffice.workflows.campaigns.lifecycle import list_segments
from backoffice.workflows.conditions import MEMBER_FIELDS, Group, Rule
from backoffice.workflows.nodes import REGISTRY, ConditionConfig, SplitConfig
from backoffice.workflows.schema import Graph, NodeSpec, Problem

CATEGORIES = ("trigger", "condition", "action", "flow")
COLUMN_WIDTH, ROW_HEIGHT = 260, 150

# Config fields whose value is the id/code of something in the database: the side panel
# offers a select filled with the real rows. (node type or "*", field) -> option source.
REFERENCES: dict[tuple[str, str], str] = {
    ("action.send_message", "template_id"): "message_templates",
    ("action.issue_coupon", "template_id"): "coupon_templates",
    ("*", "segment_id"): "segments",
    ("*", "tier_code"): "tiers",
    ("*", "key"): "custom_fields",
}
RULE_KINDS = (
    "activity",
    "field",
    "custom_field",
    "tier_in",
    "store_in",
    "tag",
    "has_coupon",
    "consent",
)
OPS = ("gte", "gt", "lte", "lt", "eq", "ne", "contains", "empty", "not_empty")


# ---- palette and forms ------------------------------------------------------------------


def palette(lang: str) -> list[dict[str, Any]]:
    """Node types grouped as Triggers / Conditions / Actions / Flow, in catalog order."""
    groups = []
    for category in CATEGORIES:
        items = [
            {"type": key, "label": t(lang, node.label), "help": t(lang, node.help)}
            for key, node in REGISTRY.items()
            if node.category == category
        ]
        groups.append(
            {"category": category, "label": t(lang, f"palette.{category}"), "items": items}
        )
    return groups


@dataclass
class FieldSpec:
    name: str
    kind: str  # number | text | secret | select | condition | branches
    source: str = ""  # for reference selects: where the options come from
    choices: list[str] = field(default_factory=list)  # for Literal selects
    minimum: int | None = None
    maximum: int | None = None
    optional: bool = False


def _bounds(info: Any) -> tuple[int | None, int | None]:
    low = high = None
    for meta in info.metadata:
        low = getattr(meta, "ge", low)
        high = getattr(meta, "le", high)
    return low, high


def field_specs(node_type: str) -> list[FieldSpec]:
    """The side-panel form of a node type, generated from its pydantic config schema."""
    node = REGISTRY.get(node_type)
    if node is None:
        raise NotFound("error.node_type")
    specs = []
    for name, info in node.Config.model_fields.items():
        annotation = info.annotation
        args = get_args(annotation)
        optional = get_origin(annotation) in (Union, types.UnionType) and type(None) in args
        source = REFERENCES.get((node_type, name)) or REFERENCES.get(("*", name), "")
        if name == "condition":
            specs.append(FieldSpec(name, "condition"))
        elif name == "secret":
            specs.append(FieldSpec(name, "secret"))
        elif name == "branches":
            specs.append(FieldSpec(name, "branches"))
        elif source:
            specs.append(FieldSpec(name, "select", source=source, optional=optional))
        elif get_origin(annotation) is Literal:
            specs.append(FieldSpec(name, "select", choices=[str(a) for a in args]))
        elif annotation is int or (optional and int in args):
            low, high = _bounds(info)
            specs.append(FieldSpec(name, "number", minimum=low, maximum=high, optional=optional))
        else:
            specs.append(FieldSpec(name, "text"))
    return specs


def reference_options(session: Session, actor: Actor, lang: str) -> dict[str, list[dict[str, str]]]:
    """Every select's options, from the real rows the designer may use."""
    stores = visible_stores(session, actor)
    tags = all_tags(session, actor) if actor.can("members.read") else []
    return {
        "message_templates": [
            {"value": str(m.id), "label": m.name}
            for m in session.exec(select(MessageTemplate).order_by(col(MessageTemplate.id))).all()
        ],
        "coupon_templates": [
            {"value": str(c.id), "label": c.name}
            for c in session.exec(
                select(CouponTemplate)
                .where(col(CouponTemplate.active).is_(True))
                .order_by(col(CouponTemplate.id))
            ).all()
        ],
        "segments": [{"value": str(s.id), "label": s.name} for s in list_segments(session, actor)],
        "tiers": [
            {"value": tier.code, "label": tier.name}
            for tier in session.exec(
                select(Tier).where(col(Tier.active).is_(True)).order_by(col(Tier.rank))
            ).all()
        ],
        "custom_fields": [
            {"value": f.key, "label": f.label}
            for f in session.exec(select(FormField).order_by(col(FormField.position))).all()
        ],
        "stores": [{"value": str(s.id), "label": s.name} for s in stores],
        "tags": [{"value": tag, "label": tag} for tag in tags],
        "member_fields": [{"value": f, "label": t(lang, f"mfield.{f}")} for f in MEMBER_FIELDS],
    }


def form_values(node: NodeSpec) -> dict[str, str]:
    """A node's simple config fields as the text the side panel edits."""
    out: dict[str, str] = {}
    for spec in field_specs(node.type):
        if spec.kind in ("condition", "branches"):
            continue
        if spec.kind == "secret":  # never sent to the browser: typed anew or left as it is
            out[spec.name] = ""
            continue
        value = node.config.get(spec.name)
        if value is None:
            default = REGISTRY[node.type].Config.model_fields[spec.name].default
            value = default if default is not None else ""
        out[spec.name] = str(value)
    return out


def rule_rows(node: NodeSpec) -> tuple[str, list[dict[str, str]]]:
    """A condition's (match, rules) as editable rows; spend is shown in yuan, not cents."""
    group = Group.model_validate(node.config.get("condition") or {})
    rows = []
    for rule in group.rules:
        if isinstance(rule, Group):  # nested groups are kept but edited as a whole elsewhere
            continue
        value = rule.value
        if rule.kind == "activity" and rule.field == "spend" and isinstance(value, int | float):
            value = yuan(int(value))
        elif isinstance(value, list):
            value = ",".join(str(v) for v in value)
        rows.append(
            {
                "kind": rule.kind,
                "field": rule.field,
                "op": rule.op,
                "value": "" if value is None else str(value),
                "days": str(rule.days),
            }
        )
    return group.match, rows


def branch_rows(node: NodeSpec) -> list[dict[str, str]]:
    config = REGISTRY["split"].Config.model_validate(node.config or {})
    assert isinstance(config, SplitConfig)  # the split node's own Config
    return [{"name": b.name, "percent": str(b.percent)} for b in config.branches]


def _rule_from_row(index: int, row: dict[str, str]) -> Rule:
    kind = row.get("kind", "")
    if kind not in RULE_KINDS:
        raise ValidationFailed({f"rule_{index}": "error.choice"})
    op = row.get("op") or "eq"
    if op not in OPS + ("in",):
        raise ValidationFailed({f"rule_{index}": "error.choice"})
    text = (row.get("value") or "").strip()
    value: Any = text
    if kind == "activity":
        if row.get("field") == "spend":
            value = parse_yuan(text, f"rule_{index}", allow_zero=True)
        else:
            try:
                value = int(text)
            except ValueError as exc:
                raise ValidationFailed({f"rule_{index}": "error.number"}) from exc
    elif kind in ("tier_in", "store_in"):
        parts = [p.strip() for p in text.split(",") if p.strip()]
        if not parts:
            raise ValidationFailed({f"rule_{index}": "error.required"})
        if kind == "store_in":
            try:
                value = [int(p) for p in parts]
            except ValueError as exc:
                raise ValidationFailed({f"rule_{index}": "error.number"}) from exc
        else:
            value = parts
        op = "in"
    elif kind in ("tag",) and not text:
        raise ValidationFailed({f"rule_{index}": "error.required"})
    try:
        days = int(row.get("days") or 30)
    except ValueError as exc:
        raise ValidationFailed({f"rule_{index}": "error.number"}) from exc
    if not 1 <= days <= 3650:
        raise ValidationFailed({f"rule_{index}": "error.range_1_3650"})
    return Rule(kind=kind, field=row.get("field", ""), op=op, value=value, days=days)


def condition_from_rows(match: str, rows: list[dict[str, str]]) -> dict[str, Any]:
    """Editable rule rows → a condition group (the same for condition nodes and segments)."""
    errors: dict[str, str] = {}
    parsed = []
    for i, row in enumerate(rows):
        try:
            parsed.append(_rule_from_row(i, row))
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    return Group(match="any" if match == "any" else "all", rules=parsed).model_dump()


def secret_is_set(node: NodeSpec, name: str = "secret") -> bool:
    return bool(node.config.get(name))


def build_config(
    session: Session,
    node_type: str,
    values: dict[str, str],
    match: str = "all",
    rules: list[dict[str, str]] | None = None,
    branches: list[dict[str, str]] | None = None,
    current: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The side panel's text → a validated config dict, or field errors (which field, why).
    A secret is sealed as it is typed; left empty, the node keeps the one in `current`."""
    node = REGISTRY.get(node_type)
    if node is None:
        raise NotFound("error.node_type")
    raw: dict[str, Any] = {}
    errors: dict[str, str] = {}
    params: dict[str, Any] = {}
    for spec in field_specs(node_type):
        text = str(values.get(spec.name, "")).strip()
        if spec.kind == "condition":
            try:
                raw["condition"] = condition_from_rows(match, rules or [])
            except ValidationFailed as exc:
                errors.update(exc.errors)
        elif spec.kind == "branches":
            out = []
            for i, row in enumerate(branches or []):
                try:
                    out.append(
                        {
                            "name": row.get("name", "").strip(),
                            "percent": int(row.get("percent") or 0),
                        }
                    )
                except ValueError:
                    errors[f"branch_{i}"] = "error.number"
            raw["branches"] = out
        elif spec.kind == "secret":
            raw[spec.name] = seal(text) if text else str((current or {}).get(spec.name) or "")
        elif spec.kind == "number" or (
            spec.kind == "select"
            and spec.source in ("message_templates", "coupon_templates", "segments")
        ):
            if not text:
                if spec.optional:
                    raw[spec.name] = None
                    continue
                errors[spec.name] = "error.required"
                continue
            try:
                raw[spec.name] = int(text)
            except ValueError:
                errors[spec.name] = "error.number"
        else:
            raw[spec.name] = text
    if errors:
        raise ValidationFailed(errors)
    try:
        config = node.Config.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            loc = [str(p) for p in err["loc"]]
            name = loc[0] if loc else "config"
            if name == "branches" and len(loc) > 1:
                name = f"branch_{loc[1]}"
            ctx = err.get("ctx") or {}
            if "ge" in ctx or "le" in ctx:
                low, high = (
                    _bounds(node.Config.model_fields[loc[0]])
                    if loc[0] in node.Config.model_fields
                    else (None, None)
                )
                errors.setdefault(name, "error.number_between")
                params.update(min=ctx.get("ge", low), max=ctx.get("le", high))
            elif err["type"] in ("string_too_short", "missing"):
                errors.setdefault(name, "error.required")
            elif err["type"] == "string_too_long":
                errors.setdefault(name, "error.too_long")
            else:
                errors.setdefault(name, "error.choice")
        failed = ValidationFailed(errors)
        failed.params = params
        raise failed from exc
    problems = node.check(session, config)
    if problems:
        field_name = next(
            (
                s.name
                for s in field_specs(node_type)
                if s.kind in ("select", "text", "condition", "branches")
            ),
            "config",
        )
        raise ValidationFailed({field_name: problems[0]})
    return config.model_dump()


# ---- canvas edits -----------------------------------------------------------------------


def _graph(draft: dict[str, Any]) -> dict[str, Any]:
    return {"nodes": list(draft.get("nodes") or []), "edges": list(draft.get("edges") or [])}


def new_node_id(draft: dict[str, Any], node_type: str) -> str:
    stem = {"trigger": "t", "condition": "c", "action": "a", "flow": "f"}.get(
        REGISTRY[node_type].category, "n"
    )
    taken = {n.get("id") for n in draft.get("nodes") or []}
    number = 1
    while f"{stem}{number}" in taken:
        number += 1
    return f"{stem}{number}"


def add_node(
    draft: dict[str, Any], node_type: str, x: float, y: float
) -> tuple[dict[str, Any], str]:
    """A node dropped from the palette, with its type's default config."""
    if node_type not in REGISTRY:
        raise ValidationFailed({"type": "error.node_type"})
    graph = _graph(draft)
    node_id = new_node_id(graph, node_type)
    config = REGISTRY[node_type].Config().model_dump()
    graph["nodes"].append(
        {
            "id": node_id,
            "type": node_type,
            "config": config,
            "position": {"x": float(x), "y": float(y)},
        }
    )
    return graph, node_id


def apply_canvas(draft: dict[str, Any], canvas: dict[str, Any]) -> dict[str, Any]:
    """Merge what the canvas sent (positions, which nodes remain, edges) into the draft.

    The canvas never creates nodes or configs; it can only move, delete and connect the
    nodes the draft already has, so a forged message cannot smuggle in a config.
    """
    if not isinstance(canvas, dict):
        raise ValidationFailed({"graph": "error.graph_invalid"})
    graph = _graph(draft)
    by_id = {n["id"]: n for n in graph["nodes"]}
    kept: list[dict[str, Any]] = []
    for item in canvas.get("nodes") or []:
        if not isinstance(item, dict) or item.get("id") not in by_id:
            continue
        node = dict(by_id[item["id"]])
        pos = item.get("position") or {}
        try:
            node["position"] = {"x": float(pos.get("x", 0)), "y": float(pos.get("y", 0))}
        except (TypeError, ValueError) as exc:
            raise ValidationFailed({"graph": "error.graph_invalid"}) from exc
        kept.append(node)
    ids = {n["id"] for n in kept}
    edges = []
    seen: set[tuple[str, str]] = set()
    for item in canvas.get("edges") or []:
        if not isinstance(item, dict):
            continue
        source, target = str(item.get("source", "")), str(item.get("target", ""))
        handle = str(item.get("source_handle") or "out")[:20]
        if source not in ids or target not in ids or source == target or (source, handle) in seen:
            continue
        seen.add((source, handle))
        edges.append(
            {
                "id": f"{source}:{handle}->{target}",
                "source": source,
                "source_handle": handle,
                "target": target,
            }
        )
    return {"nodes": kept, "edges": edges}


def set_node_config(draft: dict[str, Any], node_id: str, config: dict[str, Any]) -> dict[str, Any]:
    graph = _graph(draft)
    node = next((n for n in graph["nodes"] if n["id"] == node_id), None)
    if node is None:
        raise NotFound("error.not_found")
    graph["nodes"] = [{**n, "config": config} if n["id"] == node_id else n for n in graph["nodes"]]
    # A split whose branches were renamed loses the edges of branches that no longer exist.
    kind = REGISTRY[node["type"]]
    handles = set(kind.handles(kind.Config.model_validate(config)))
    graph["edges"] = [
        e
        for e in graph["edges"]
        if e["source"] != node_id or e.get("source_handle", "out") in handles
    ]
    return graph


def remove_node(draft: dict[str, Any], node_id: str) -> dict[str, Any]:
    graph = _graph(draft)
    graph["nodes"] = [n for n in graph["nodes"] if n["id"] != node_id]
    graph["edges"] = [e for e in graph["edges"] if node_id not in (e["source"], e["target"])]
    return graph


def auto_layout(draft: dict[str, Any]) -> dict[str, Any]:
    """Top-down tidy tree from the trigger: each node centred over its branches; nodes not
    connected to the flow go in a column on the right."""
    graph = _graph(draft)
    nodes = {n["id"]: n for n in graph["nodes"]}
    order = {n["id"]: i for i, n in enumerate(graph["nodes"])}
    children: dict[str, list[str]] = {node_id: [] for node_id in nodes}
    for edge in graph["edges"]:
        if edge["source"] in nodes and edge["target"] in nodes:
            children[edge["source"]].append(edge["target"])

    def handle_rank(parent: str, child: str) -> int:
        node = nodes[parent]
        kind = REGISTRY.get(node["type"])
        if kind is None:
            return 0
        try:
            handles = list(kind.handles(kind.Config.model_validate(node.get("config") or {})))
        except ValidationError:
            handles = []
        edge = next(e for e in graph["edges"] if e["source"] == parent and e["target"] == child)
        handle = edge.get("source_handle", "out")
        return handles.index(handle) if handle in handles else len(handles)

    trigger = next(
        (
            n["id"]
            for n in graph["nodes"]
            if REGISTRY.get(n["type"]) and REGISTRY[n["type"]].category == "trigger"
        ),
        None,
    )
    placed: dict[str, tuple[float, float]] = {}
    tree: dict[str, list[str]] = {}
    seen: set[str] = set()
    frontier = [trigger] if trigger else []
    if trigger:
        seen.add(trigger)
    while frontier:  # breadth first: each node hangs under the first parent that reaches it
        nxt = []
        for parent in frontier:
            kids = sorted(children[parent], key=lambda c: handle_rank(parent, c))
            tree[parent] = [k for k in kids if k not in seen]
            for kid in tree[parent]:
                seen.add(kid)
                nxt.append(kid)
        frontier = nxt

    widths: dict[str, int] = {}

    def width(node_id: str) -> int:
        if node_id not in widths:
            widths[node_id] = max(1, sum(width(k) for k in tree.get(node_id, [])))
        return widths[node_id]

    def place(node_id: str, left: float, depth: int) -> None:
        span = width(node_id)
        placed[node_id] = (left + (span - 1) * COLUMN_WIDTH / 2, depth * ROW_HEIGHT)
        cursor = left
        for kid in tree.get(node_id, []):
            place(kid, cursor, depth + 1)
            cursor += width(kid) * COLUMN_WIDTH

    if trigger:
        place(trigger, 0, 0)
    right = (width(trigger) if trigger else 0) * COLUMN_WIDTH + COLUMN_WIDTH / 2
    loose = sorted((n for n in nodes if n not in placed), key=lambda n: order[n])
    for row, node_id in enumerate(loose):
        placed[node_id] = (right, row * ROW_HEIGHT)
    graph["nodes"] = [
        {**n, "position": {"x": placed[n["id"]][0], "y": placed[n["id"]][1]}}
        for n in graph["nodes"]
    ]
    return graph


# ---- how the canvas shows it ------------------------------------------------------------


@dataclass
class Names:
    """Display names for the ids a config refers to, read once per drawing."""

    messages: dict[int, str] = field(default_factory=dict)
    coupons: dict[int, str] = field(default_factory=dict)
    tiers: dict[str, str] = field(default_factory=dict)
    segments: dict[int, str] = field(default_factory=dict)
    stores: dict[int, str] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)


def load_names(session: Session) -> Names:
    return Names(
        messages={m.id: m.name for m in session.exec(select(MessageTemplate)).all() if m.id},
        coupons={c.id: c.name for c in session.exec(select(CouponTemplate)).all() if c.id},
        tiers={tier.code: tier.name for tier in session.exec(select(Tier)).all()},
        segments={s.id: s.name for s in session.exec(select(Segment)).all() if s.id},
        stores={s.id: s.name for s in session.exec(select(Store)).all() if s.id},
        fields={f.key: f.label for f in session.exec(select(FormField)).all()},
    )


def _rule_text(rule: Rule, lang: str, names: Names) -> str:
    op = t(lang, f"op.{rule.op}")
    if rule.kind == "activity":
        if rule.field == "spend" and isinstance(rule.value, int | float):
            amount = format_money(int(rule.value), lang)
        else:
            amount = str(rule.value)
        return t(
            lang, f"rule.activity.{rule.field or 'spend'}", op=op, value=amount, days=rule.days
        )
    if rule.kind == "field":
        return f"{t(lang, f'mfield.{rule.field}')} {op} {rule.value if rule.value is not None else ''}".strip()
    if rule.kind == "custom_field":
        return f"{names.fields.get(rule.field, rule.field)} {op} {rule.value if rule.value is not None else ''}".strip()
    if rule.kind == "tier_in":
        listed = ", ".join(names.tiers.get(str(c), str(c)) for c in rule.value or [])
        return t(lang, "rule.tier_in", tiers=listed)
    if rule.kind == "store_in":
        listed = ", ".join(names.stores.get(int(s), str(s)) for s in rule.value or [])
        return t(lang, "rule.store_in", stores=listed)
    if rule.kind == "tag":
        return t(lang, "rule.no_tag" if rule.op == "ne" else "rule.tag", tag=rule.value)
    if rule.kind == "has_coupon":
        return t(lang, "rule.no_coupon" if rule.op == "ne" else "rule.has_coupon")
    return t(lang, "rule.no_consent" if rule.op == "ne" else "rule.consent", channel=rule.field)


def condition_text(group: Group, lang: str, names: Names) -> str:
    joiner = t(lang, "rule.and" if group.match == "all" else "rule.or")
    parts = [
        "(" + condition_text(item, lang, names) + ")"
        if isinstance(item, Group)
        else _rule_text(item, lang, names)
        for item in group.rules
    ]
    return joiner.join(parts)


def describe(node: NodeSpec, lang: str, names: Names) -> str:
    """One line of plain language: "Wait 3 days", "If spent ≥ ¥5,000.00 in 90 days"."""
    kind = REGISTRY.get(node.type)
    if kind is None:
        return node.type
    try:
        config = kind.Config.model_validate(node.config or {})
    except ValidationError:
        return t(lang, "builder.summary_invalid")
    values = config.model_dump()
    if node.type == "condition":
        assert isinstance(config, ConditionConfig)  # the condition node's own Config
        group = config.condition
        if not group.rules:
            return t(lang, "builder.summary_no_rules")
        return t(lang, "rule.if", text=condition_text(group, lang, names))
    if node.type == "split":
        return " / ".join(f"{b['name']} {b['percent']}%" for b in values["branches"])
    if node.type in ("action.send_message", "action.issue_coupon"):
        pool = names.messages if node.type == "action.send_message" else names.coupons
        name = pool.get(values.get("template_id") or 0)
        key = "summary.send" if node.type == "action.send_message" else "summary.coupon"
        return t(lang, key, name=name) if name else t(lang, "builder.summary_choose")
    if node.type in ("action.add_tag", "action.remove_tag"):
        if not values["tag"]:
            return t(lang, "builder.summary_choose")
        return t(lang, "summary." + node.type.split(".")[1], tag=values["tag"])
    if node.type == "action.set_tier":
        name = names.tiers.get(values["tier_code"])
        return t(lang, "summary.set_tier", tier=name) if name else t(lang, "builder.summary_choose")
    if node.type == "action.deduct_points":
        return t(lang, "summary.deduct_points", points=values["points"])
    if node.type == "action.set_custom_field":
        label = names.fields.get(values["key"])
        if not label:
            return t(lang, "builder.summary_choose")
        return t(lang, "summary.set_custom_field", field=label, value=values.get("value"))
    if node.type == "action.create_task":
        return t(lang, "summary.create_task", title=values["title"], days=values["due_days"])
    if node.type == "action.call_webhook":
        return values["url"] or t(lang, "builder.summary_choose")
    if node.type == "trigger.tier_changed":
        return t(lang, f"summary.tier_changed.{values['direction']}")
    if node.type in ("trigger.schedule", "trigger.manual"):
        segment = names.segments.get(values.get("segment_id") or 0) or t(
            lang, "summary.all_members"
        )
        if node.type == "trigger.schedule":
            return t(lang, "summary.schedule", cron=values["cron"], segment=segment)
        return t(lang, "summary.manual", segment=segment)
    if node.type == "trigger.custom_field_changed":
        return t(
            lang,
            "summary.custom_field_changed",
            field=names.fields.get(values["key"], values["key"] or "?"),
        )
    return kind.summary(config, lambda key, **p: t(lang, key, **p))


def handle_labels(node: NodeSpec, lang: str) -> list[dict[str, str]]:
    kind = REGISTRY.get(node.type)
    if kind is None:
        return []
    try:
        handles = kind.handles(kind.Config.model_validate(node.config or {}))
    except ValidationError:
        handles = ("out",)
    labels = {"yes": t(lang, "handle.yes"), "no": t(lang, "handle.no"), "out": ""}
    return [{"id": h, "label": labels.get(h, h)} for h in handles]


def canvas_view(
    draft: dict[str, Any],
    lang: str,
    names: Names,
    *,
    problems: list[Problem] | None = None,
    counters: dict[str, Any] | None = None,
    path: list[str] | None = None,
    selected: str = "",
    revision: int = 0,
    fit: int = 0,
) -> dict[str, Any]:
    """The graph as the canvas draws it: labels, summaries, handles, problems, counters,
    and a highlighted test-run path."""
    by_node: dict[str, list[str]] = {}
    for problem in problems or []:
        if problem.node_id:
            by_node.setdefault(problem.node_id, []).append(
                t(lang, problem.message, **problem.params)
            )
    on_path = list(path or [])
    path_edges = set(zip(on_path, on_path[1:], strict=False))
    nodes = []
    for raw in draft.get("nodes") or []:
        try:
            node = NodeSpec.model_validate(raw)
        except ValidationError:
            continue
        kind = REGISTRY.get(node.type)
        counts = (counters or {}).get(node.id)
        nodes.append(
            {
                "id": node.id,
                "type": node.type,
                "category": kind.category if kind else "flow",
                "label": t(lang, kind.label) if kind else node.type,
                "summary": describe(node, lang, names),
                "handles": handle_labels(node, lang),
                "problems": by_node.get(node.id, []),
                "highlight": node.id in on_path,
                "position": node.position,
                "counts": (
                    {
                        "entered": counts.entered,
                        "passed": counts.passed,
                        "failed": counts.failed,
                        "entered_label": t(lang, "builder.entered"),
                        "passed_label": t(lang, "builder.passed"),
                        "failed_label": t(lang, "builder.failed"),
                    }
                    if counts is not None
                    else None
                ),
            }
        )
    edges = [
        {
            "id": e.get("id") or f"{e['source']}:{e.get('source_handle', 'out')}->{e['target']}",
            "source": e["source"],
            "source_handle": e.get("source_handle", "out"),
            "target": e["target"],
            "highlight": (e["source"], e["target"]) in path_edges,
        }
        for e in draft.get("edges") or []
    ]
    return {"nodes": nodes, "edges": edges, "selected": selected, "revision": revision, "fit": fit}


def graph_is_empty(draft: dict[str, Any]) -> bool:
    return not (draft.get("nodes") or [])


def validate_shape(draft: dict[str, Any]) -> Graph:
    try:
        return Graph.model_validate(draft)
    except ValidationError as exc:
        raise ValidationFailed({"graph": "error.graph_invalid"}) from exc


# ---- the node catalog as pages read it -----------------------------------------------------


def is_node_type(node_type: str) -> bool:
    return node_type in REGISTRY


def node_type_label(node_type: str, fallback: str = "—") -> str:
    """The catalog key of a node type's name (to translate), or `fallback` for an unknown one."""
    kind = REGISTRY.get(node_type)
    return kind.label if kind is not None else fallback


def node_type_help(node_type: str) -> str:
    kind = REGISTRY.get(node_type)
    return kind.help if kind is not None else ""


def trigger_types() -> list[tuple[str, str]]:
    """(type, label key) of every trigger, in catalog order."""
    return [(key, node.label) for key, node in REGISTRY.items() if node.category == "trigger"]
