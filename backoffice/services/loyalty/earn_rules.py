"""Earn rules: how members earn points (spend, category, sign-up, birthday, referral)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, select

from backoffice.errors import NotFound, ValidationFailed
from backoffice.models import EarnRule, EarnRuleKind
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, require


class EarnRuleInput(BaseModel):
    name: str = ""
    kind: str = EarnRuleKind.SPEND.value
    points: int = 1
    per_cents: int = 100
    category: str = ""
    store_ids: list[int] = []
    active: bool = True


def _validate(data: EarnRuleInput) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if not data.name.strip():
        errors["name"] = "error.required"
    if data.kind not in {k.value for k in EarnRuleKind}:
        errors["kind"] = "error.choice"
    if not 0 < data.points <= 1_000_000:
        errors["points"] = "error.positive"
    if data.kind in (EarnRuleKind.SPEND, EarnRuleKind.CATEGORY) and data.per_cents <= 0:
        errors["per_cents"] = "error.positive"
    if data.kind == EarnRuleKind.CATEGORY and not data.category.strip():
        errors["category"] = "error.required"
    if errors:
        raise ValidationFailed(errors)
    values = data.model_dump()
    values.update(
        name=data.name.strip(),
        kind=EarnRuleKind(data.kind),
        category=data.category.strip(),
        store_ids=sorted(set(data.store_ids)),
    )
    return values


def list_rules(session: Session, actor: Actor) -> list[EarnRule]:
    if not actor.can("loyalty.manage"):
        require(actor, "loyalty.read")
    return list(session.exec(select(EarnRule).order_by(col(EarnRule.id))).all())


def create_rule(session: Session, actor: Actor, data: EarnRuleInput) -> EarnRule:
    require(actor, "loyalty.manage")
    values = _validate(data)
    rule = EarnRule(**values)
    session.add(rule)
    session.flush()
    audit.record(
        session,
        actor,
        "earn_rules.create",
        target_type="earn_rule",
        target_id=rule.id,
        changes=audit.diff({}, values),
    )
    return rule


def update_rule(session: Session, actor: Actor, rule_id: int, data: EarnRuleInput) -> EarnRule:
    require(actor, "loyalty.manage")
    rule = session.get(EarnRule, rule_id)
    if rule is None:
        raise NotFound("error.not_found")
    values = _validate(data)
    audit.record_update(session, actor, rule, values, "earn_rules.update", "earn_rule")
    return rule


def _applies(rule: EarnRule, store_id: int | None) -> bool:
    return not rule.store_ids or (store_id is not None and store_id in rule.store_ids)


def active_rules(session: Session, kind: EarnRuleKind, store_id: int | None) -> list[EarnRule]:
    rules = session.exec(
        select(EarnRule).where(EarnRule.kind == kind, col(EarnRule.active).is_(True))
    ).all()
    return [r for r in rules if _applies(r, store_id)]


def points_for_sale(
    session: Session,
    *,
    store_id: int,
    paid_cents: int,
    items: list[dict[str, Any]],
    paid_share_bp: int,
    multiplier_pct: int,
) -> int:
    """Points a sale earns: spend rules on the money paid, category rules on the paid share of
    each category's lines, all times the tier multiplier (rounded down)."""
    base = sum(
        (paid_cents // r.per_cents) * r.points
        for r in active_rules(session, EarnRuleKind.SPEND, store_id)
    )
    for rule in active_rules(session, EarnRuleKind.CATEGORY, store_id):
        line_cents = sum(
            int(i.get("unit_cents", 0)) * int(i.get("qty", 1))
            for i in items
            if str(i.get("category", "")).strip() == rule.category
        )
        base += (line_cents * paid_share_bp // 10000 // rule.per_cents) * rule.points
    return base * multiplier_pct // 100


def fixed_points(session: Session, kind: EarnRuleKind, store_id: int | None) -> int:
    """Sign-up, birthday or referral points: the sum of the matching active rules."""
    return sum(r.points for r in active_rules(session, kind, store_id))
