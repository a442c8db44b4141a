"""Campaigns to start from: each opens as a valid draft a manager then adjusts.

A starter names the message it sends; the message template is created the first time a
starter needs it (or reused by name), so the draft refers to real rows and passes
validation. Starters that give a coupon use an active coupon template, and create a
simple one only for people allowed to change the loyalty settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, select

from backoffice.errors import NotFound, ValidationFailed
from backoffice.i18n import t
from backoffice.models import Channel, CouponTemplate, MessageTemplate, Workflow
from backoffice.services.loyalty.coupons import CouponTemplateInput
from backoffice.services.loyalty.coupons import create_template as create_coupon_template
from backoffice.services.messaging.messages import TemplateInput, create_template
from backoffice.services.org.access import Actor, require
from backoffice.workflows.campaigns.builder import auto_layout
from backoffice.workflows.campaigns.lifecycle import WorkflowInput, create_workflow
from backoffice.workflows.nodes import REGISTRY

CHANNELS = ("sms", "email", "outbox")


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
    days_field: str = ""  # the trigger's "how many days" setting the dialog asks for

    def asks(self) -> tuple[str, ...]:
        """The key choices the starter's dialog asks for, besides name and stores."""
        wants: tuple[str, ...] = ("coupon",) if self.coupon else ()
        wants += ("points",) if self.points else ()
        wants += ("days",) if self.days_field else ()
        return (*wants, "channel")


@dataclass(frozen=True)
class StarterChoices:
    """What the manager chose in the starter's dialog; None keeps the starter's default."""

    name: str = ""
    coupon_template_id: int | None = None
    points: int | None = None
    days: int | None = None
    channel: str = "sms"


STARTERS: tuple[Starter, ...] = (
    Starter("welcome", "trigger.member_created", {}, "starter.welcome.body", points=100),
    Starter(
        "birthday",
        "trigger.birthday",
        {"days_before": 3},
        "starter.birthday.body",
        coupon=True,
        days_field="days_before",
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
        days_field="days",
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


def _message(session: Session, actor: Actor, item: Starter, lang: str, channel: str) -> int:
    """The starter's message on the chosen channel, reused when one of that name exists."""
    name = f"{t(lang, f'starter.{item.key}')} · {t(lang, f'starter.channel.{channel}')}"
    existing = session.exec(
        select(MessageTemplate).where(
            MessageTemplate.name == name, MessageTemplate.channel == Channel(channel)
        )
    ).first()
    if existing is not None and existing.id is not None:
        return existing.id
    body = t(lang, item.message)
    template = create_template(
        session,
        actor,
        TemplateInput(
            name=name,
            channel=channel,
            subject=t(lang, f"starter.{item.key}") if channel == "email" else "",
            body=body,
            marketing=item.marketing,
        ),
    )
    return template.id or 0


def coupon_options(session: Session) -> list[tuple[int, str]]:
    """The active coupon templates a starter can give, in the order they were made."""
    rows = session.exec(
        select(CouponTemplate)
        .where(col(CouponTemplate.active).is_(True))
        .order_by(col(CouponTemplate.id))
    ).all()
    return [(c.id, c.name) for c in rows if c.id is not None]


def suggested_coupon(session: Session, key: str) -> int | None:
    """The dialog's first choice: for the birthday starter a birthday coupon if there is one
    (named so), else the first active template."""
    options = coupon_options(session)
    if key == "birthday":
        fitting = [i for i, name in options if "生日" in name or "birthday" in name.lower()]
        if fitting:
            return fitting[0]
    return options[0][0] if options else None


def _coupon(session: Session, actor: Actor, lang: str, chosen: int | None) -> int:
    """The chosen active template; with none chosen and none existing, a simple one is made
    for people allowed to change the loyalty settings."""
    if chosen is not None:
        if chosen not in {i for i, _ in coupon_options(session)}:
            raise ValidationFailed({"coupon": "error.coupon_template_unknown"})
        return chosen
    found = suggested_coupon(session, "")
    if found is not None:
        return found
    if not actor.can("loyalty.manage"):
        raise ValidationFailed({"coupon": "error.starter_needs_coupon"})
    created = create_coupon_template(
        session,
        actor,
        CouponTemplateInput(
            name=t(lang, "starter.coupon_name"), amount_off_cents=2000, valid_days=30
        ),
    )
    return created.id or 0


def _trigger_config(item: Starter, choices: StarterChoices) -> dict[str, Any]:
    """The trigger's settings with the chosen number of days, checked by the node's schema."""
    config = dict(item.trigger_config)
    if item.days_field and choices.days is not None:
        config[item.days_field] = choices.days
    try:
        return REGISTRY[item.trigger].Config.model_validate(config).model_dump()
    except ValidationError as exc:
        field_info = REGISTRY[item.trigger].Config.model_fields[item.days_field]
        bounds = {
            k: getattr(m, k) for m in field_info.metadata for k in ("ge", "le") if hasattr(m, k)
        }
        failed = ValidationFailed({"days": "error.number_between"})
        failed.params = {"min": bounds.get("ge"), "max": bounds.get("le")}
        raise failed from exc


def _points(item: Starter, choices: StarterChoices) -> int:
    points = item.points if choices.points is None else choices.points
    if not 1 <= points <= 1_000_000:
        failed = ValidationFailed({"points": "error.number_between"})
        failed.params = {"min": 1, "max": 1_000_000}
        raise failed
    return points


def starter_graph(
    session: Session,
    actor: Actor,
    key: str,
    lang: str,
    choices: StarterChoices | None = None,
) -> dict[str, Any]:
    """The starter's chain of nodes with the dialog's choices, laid out top to bottom."""
    item, chosen = starter(key), choices or StarterChoices()
    if chosen.channel not in CHANNELS:
        raise ValidationFailed({"channel": "error.choice"})
    steps: list[tuple[str, dict[str, Any]]] = [(item.trigger, _trigger_config(item, chosen))]
    if item.coupon:
        coupon_id = _coupon(session, actor, lang, chosen.coupon_template_id)
        steps.append(("action.issue_coupon", {"template_id": coupon_id}))
    message = _message(session, actor, item, lang, chosen.channel)
    steps.append(("action.send_message", {"template_id": message}))
    if item.points:
        note = t(lang, f"starter.{item.key}")
        steps.append(("action.grant_points", {"points": _points(item, chosen), "note": note}))
    nodes = [
        {
            "id": "t1" if i == 0 else f"a{i}",
            "type": node_type,
            "config": config,
            "position": {"x": 0, "y": 0},
        }
        for i, (node_type, config) in enumerate(steps)
    ]
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
    session: Session,
    actor: Actor,
    key: str,
    store_ids: list[int],
    lang: str,
    choices: StarterChoices | None = None,
) -> Workflow:
    """A new draft from a starter with the dialog's choices, scoped like any workflow the
    actor creates; nothing is written unless all of it is valid."""
    require(actor, "workflows.design")
    item, chosen = starter(key), choices or StarterChoices()
    with session.begin_nested():  # a refused choice leaves no half-made message behind
        graph = starter_graph(session, actor, key, lang, chosen)
        return create_workflow(
            session,
            actor,
            WorkflowInput(
                name=chosen.name.strip()[:100] or t(lang, f"starter.{item.key}"),
                description=t(lang, f"starter.{item.key}.help"),
                store_ids=store_ids,
                graph=graph,
                goal_kind="sale",
                goal_days=item.goal_days,
            ),
        )
