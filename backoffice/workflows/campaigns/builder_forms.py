"""The builder's palette and side-panel forms: node types as palette entries and forms (from
each node's config schema), and a form's text back into a validated config."""

from __future__ import annotations

import types
from dataclasses import dataclass, field
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from sqlmodel import Session, col, select

from backoffice.errors import NotFound, ValidationFailed
from backoffice.i18n import t
from backoffice.models import CouponTemplate, FormField, MessageTemplate, Tier
from backoffice.money import parse_yuan, yuan
from backoffice.sealed import seal
from backoffice.services.members.profiles import all_tags
from backoffice.services.org.access import Actor
from backoffice.services.org.stores import visible_stores
from backoffice.workflows.campaigns.lifecycle import list_segments
from backoffice.workflows.conditions import MEMBER_FIELDS, Group, Rule
from backoffice.workflows.nodes import REGISTRY, SplitConfig
from backoffice.workflows.schema import NodeSpec

CATEGORIES = ("trigger", "condition", "action", "flow")

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
    errors: dict[str, str] = {}
    raw = _raw_config(node_type, values, match, rules, branches, current, errors)
    if errors:
        raise ValidationFailed(errors)
    try:
        config = node.Config.model_validate(raw)
    except ValidationError as exc:
        raise _config_errors(node.Config, exc) from exc
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


def _raw_config(
    node_type: str,
    values: dict[str, str],
    match: str,
    rules: list[dict[str, str]] | None,
    branches: list[dict[str, str]] | None,
    current: dict[str, Any] | None,
    errors: dict[str, str],
) -> dict[str, Any]:
    """Each form field's text as the config's raw value; what cannot be read goes in errors."""
    raw: dict[str, Any] = {}
    for spec in field_specs(node_type):
        text = str(values.get(spec.name, "")).strip()
        if spec.kind == "condition":
            try:
                raw["condition"] = condition_from_rows(match, rules or [])
            except ValidationFailed as exc:
                errors.update(exc.errors)
        elif spec.kind == "branches":
            raw["branches"] = _branches_from_rows(branches or [], errors)
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
    return raw


def _branches_from_rows(rows: list[dict[str, str]], errors: dict[str, str]) -> list[Any]:
    out = []
    for i, row in enumerate(rows):
        try:
            out.append(
                {"name": row.get("name", "").strip(), "percent": int(row.get("percent") or 0)}
            )
        except ValueError:
            errors[f"branch_{i}"] = "error.number"
    return out


def _config_errors(config_class: type[BaseModel], exc: ValidationError) -> ValidationFailed:
    """pydantic's errors as the panel's: which field, and a catalog key for why."""
    errors: dict[str, str] = {}
    params: dict[str, Any] = {}
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        name = loc[0] if loc else "config"
        if name == "branches" and len(loc) > 1:
            name = f"branch_{loc[1]}"
        ctx = err.get("ctx") or {}
        if "ge" in ctx or "le" in ctx:
            low, high = (
                _bounds(config_class.model_fields[loc[0]])
                if loc[0] in config_class.model_fields
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
    return failed
