"""How the canvas shows a graph: plain-language node summaries, handle labels, the canvas's
nodes and edges, and the node catalog as pages read it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, select

from backoffice.errors import ValidationFailed
from backoffice.i18n import format_money, t
from backoffice.models import CouponTemplate, FormField, MessageTemplate, Segment, Store, Tier
from backoffice.workflows.conditions import Group, Rule
from backoffice.workflows.nodes import REGISTRY, ConditionConfig
from backoffice.workflows.schema import Graph, NodeSpec, Problem

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


def problem_text(problem: Problem, lang: str) -> str:
    """A publish blocker in the manager's words: a config field is named by its form label."""
    params = dict(problem.params)
    if problem.message == "error.node_config" and "field" in params:
        params["field"] = t(lang, f"cfg.{str(params['field']).split('.')[0]}")
    return t(lang, problem.message, **params)


def _mark_ends(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], lang: str) -> None:
    """An output with nothing connected ends the run there: the canvas draws it as an end."""
    used = {(e["source"], e["source_handle"]) for e in edges}
    for item in nodes:
        item["end_label"] = t(lang, "builder.end")
        for handle in item["handles"]:
            handle["end"] = (item["id"], handle["id"]) not in used


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
) -> dict[str, Any]:
    """The graph as the canvas draws it: labels, summaries, handles, problems, counters,
    and a highlighted test-run path."""
    by_node: dict[str, list[str]] = {}
    for problem in problems or []:
        if problem.node_id:
            by_node.setdefault(problem.node_id, []).append(problem_text(problem, lang))
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
    _mark_ends(nodes, edges, lang)
    return {
        "nodes": nodes,
        "edges": edges,
        "selected": selected,
        "revision": revision,
    }


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
