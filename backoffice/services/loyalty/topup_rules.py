"""Top-up bonus rules (e.g. top up ¥1000, get ¥200)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, select

from backoffice.errors import NotFound, ValidationFailed
from backoffice.models import TopupRule
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, require


class TopupRuleInput(BaseModel):
    min_cents: int = 0
    bonus_cents: int = 0
    active: bool = True


def _validate(data: TopupRuleInput) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if data.min_cents <= 0:
        errors["min_cents"] = "error.positive"
    if data.bonus_cents < 0:
        errors["bonus_cents"] = "error.not_negative"
    elif data.bonus_cents > data.min_cents:
        errors["bonus_cents"] = "error.bonus_too_big"
    if errors:
        raise ValidationFailed(errors)
    return data.model_dump()


def list_topup_rules(session: Session, actor: Actor) -> list[TopupRule]:
    if not (actor.can("loyalty.manage") or actor.can("wallet.topup")):
        require(actor, "loyalty.read")
    return list(session.exec(select(TopupRule).order_by(col(TopupRule.min_cents))).all())


def create_topup_rule(session: Session, actor: Actor, data: TopupRuleInput) -> TopupRule:
    require(actor, "loyalty.manage")
    values = _validate(data)
    rule = TopupRule(**values)
    session.add(rule)
    session.flush()
    audit.record(
        session,
        actor,
        "topup_rules.create",
        target_type="topup_rule",
        target_id=rule.id,
        changes=audit.diff({}, values),
    )
    return rule


def update_topup_rule(
    session: Session, actor: Actor, rule_id: int, data: TopupRuleInput
) -> TopupRule:
    require(actor, "loyalty.manage")
    rule = session.get(TopupRule, rule_id)
    if rule is None:
        raise NotFound("error.not_found")
    values = _validate(data)
    audit.record_update(session, actor, rule, values, "topup_rules.update", "topup_rule")
    return rule
