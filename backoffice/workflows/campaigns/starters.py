"""Campaigns to start from: each opens as a valid draft a manager then adjusts.

A starter names the message it sends; the message template is created the first time a
starter needs it (or reused by name), so the draft refers to real rows and passes
validation. Starters that give a coupon use an active coupon template, and create a
simple one only for people allowed to change the loyalty settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from backoffice.errors import NotFound, ValidationFailed
from backoffice.i18n import t
from backoffice.models import CouponTemplate, MessageTemplate, Workflow
from backoffice.services.loyalty.coupons import CouponTemplateInput
from backoffice.services.loyalty.coupons import create_template as create_coupon_template
from backoffice.services.messaging.messages import TemplateInput, create_template
from backoffice.services.org.access import Actor, require
from backoffice.workflows.campaigns.builder import auto_layout
from backoffice.workflows.campaigns.lifecycle import WorkflowInput, create_workflow


@dataclass(frozen=True)
class Starter:
    key: str
    trigger: str
    trigger_config: dict[str, Any]
    message: str  # catalog key of the message body; its name is starter.<key>
    coupon: bool = False
    points: int = 0
    marketing: bool = True
    goal_days: int = 7


STARTERS: tuple[Starter, ...] = (
    Starter("welcome", "trigger.member_created", {}, "starter.welcome.body", points=100),
    Starter(
        "birthday", "trigger.birthday", {"days_before": 3}, "starter.birthday.body", coupon=True
    ),
    Starter(
        "points_expiring",
        "trigger.points_expiring",
        {},
        "starter.points_expiring.body",
        marketing=False,
    ),
    Starter(
        "winback",
        "trigger.inactive",
        {"days": 60},
        "starter.winback.body",
        coupon=True,
        goal_days=14,
    ),
    Starter("renewal", "trigger.anniversary", {}, "starter.renewal.body", goal_days=30),
    Starter(
        "tier_upgrade",
        "trigger.tier_changed",
        {"direction": "up"},
        "starter.tier_upgrade.body",
        points=200,
        marketing=False,
    ),
)


def starter(key: str) -> Starter:
    found = next((s for s in STARTERS if s.key == key), None)
    if found is None:
        raise NotFound("error.not_found")
    return found


def _message(session: Session, actor: Actor, item: Starter, lang: str) -> int:
    name = t(lang, f"starter.{item.key}")
    existing = session.exec(select(MessageTemplate).where(MessageTemplate.name == name)).first()
    if existing is not None and existing.id is not None:
        return existing.id
    template = create_template(
        session,
        actor,
        TemplateInput(name=name, body=t(lang, item.message), marketing=item.marketing),
    )
    return template.id or 0


def _coupon(session: Session, actor: Actor, lang: str) -> int:
    found = session.exec(
        select(CouponTemplate)
        .where(col(CouponTemplate.active).is_(True))
        .order_by(col(CouponTemplate.id))
    ).first()
    if found is not None and found.id is not None:
        return found.id
    if not actor.can("loyalty.manage"):
        raise ValidationFailed({"template": "error.starter_needs_coupon"})
    created = create_coupon_template(
        session,
        actor,
        CouponTemplateInput(
            name=t(lang, "starter.coupon_name"), amount_off_cents=2000, valid_days=30
        ),
    )
    return created.id or 0


def starter_graph(session: Session, actor: Actor, key: str, lang: str) -> dict[str, Any]:
    item = starter(key)
    nodes: list[dict[str, Any]] = [
        {
            "id": "t1",
            "type": item.trigger,
            "config": item.trigger_config,
            "position": {"x": 0, "y": 0},
        }
    ]
    if item.coupon:
        nodes.append(
            {
                "id": "a1",
                "type": "action.issue_coupon",
                "config": {"template_id": _coupon(session, actor, lang)},
                "position": {"x": 0, "y": 0},
            }
        )
    nodes.append(
        {
            "id": f"a{len(nodes)}",
            "type": "action.send_message",
            "config": {"template_id": _message(session, actor, item, lang)},
            "position": {"x": 0, "y": 0},
        }
    )
    if item.points:
        nodes.append(
            {
                "id": f"a{len(nodes)}",
                "type": "action.grant_points",
                "config": {"points": item.points, "note": t(lang, f"starter.{item.key}")},
                "position": {"x": 0, "y": 0},
            }
        )
    edges = [
        {
            "id": f"{a['id']}:out->{b['id']}",
            "source": a["id"],
            "source_handle": "out",
            "target": b["id"],
        }
        for a, b in zip(nodes, nodes[1:], strict=False)
    ]
    return auto_layout({"nodes": nodes, "edges": edges})


def create_from_starter(
    session: Session, actor: Actor, key: str, store_ids: list[int], lang: str
) -> Workflow:
    """A new draft from a starter, scoped like any workflow the actor creates."""
    require(actor, "workflows.design")
    item = starter(key)
    graph = starter_graph(session, actor, key, lang)
    return create_workflow(
        session,
        actor,
        WorkflowInput(
            name=t(lang, f"starter.{item.key}"),
            description=t(lang, f"starter.{item.key}.help"),
            store_ids=store_ids,
            graph=graph,
            goal_kind="sale",
            goal_days=item.goal_days,
        ),
    )
