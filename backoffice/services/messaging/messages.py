"""Messaging: templates with checked variables, rendering, the outbox and delivery through
the outbox, SMS gateway or SMTP. The rules every send obeys (consent, quiet hours, the
frequency cap, banned words) live in `rules`; the campaign step that sends is the engine's
(`workflows/send_message.py`)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, select

from backoffice.errors import NotFound, ValidationFailed
from backoffice.i18n import format_money
from backoffice.models import (
    Channel,
    Member,
    MessageTemplate,
    OutboxMessage,
    StepExecution,
    Store,
)
from backoffice.services.loyalty import points, tiers, wallet
from backoffice.services.messaging.rules import banned_words
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, member_in_scope, require

VARIABLE = re.compile(r"\{\{\s*([a-z_]+\.[a-z_]+)\s*\}\}")
VARIABLES = (
    "member.name",
    "member.member_no",
    "points.balance",
    "wallet.balance",
    "tier.name",
    "coupon.code",
    "store.name",
)


class TemplateInput(BaseModel):
    name: str = ""
    channel: str = Channel.OUTBOX.value
    subject: str = ""
    body: str = ""
    marketing: bool = True


def check_template(data: TemplateInput) -> dict[str, Any]:
    errors: dict[str, str] = {}
    params: dict[str, Any] = {}
    if not data.name.strip():
        errors["name"] = "error.required"
    if data.channel not in {c.value for c in Channel}:
        errors["channel"] = "error.choice"
    if not data.body.strip():
        errors["body"] = "error.required"
    unknown = sorted({v for v in VARIABLE.findall(data.body + data.subject) if v not in VARIABLES})
    if unknown:
        errors["body"] = "error.template_variable"
        params["variables"] = ", ".join(unknown)
    found = [w for w in banned_words() if w in data.body or w in data.subject]
    if found and "body" not in errors:
        errors["body"] = "error.banned_words"
        params["words"] = ", ".join(found)
    if errors:
        err = ValidationFailed(errors)
        err.params = params
        raise err
    return {
        "name": data.name.strip(),
        "channel": Channel(data.channel),
        "subject": data.subject.strip(),
        "body": data.body.strip(),
        "marketing": data.marketing,
    }


def list_templates(session: Session, actor: Actor) -> list[MessageTemplate]:
    if not actor.can("workflows.design"):
        require(actor, "workflows.read")
    return list(session.exec(select(MessageTemplate).order_by(col(MessageTemplate.id))).all())


def create_template(session: Session, actor: Actor, data: TemplateInput) -> MessageTemplate:
    require(actor, "workflows.design")
    values = check_template(data)
    template = MessageTemplate(**values, created_by=actor.staff_id)
    session.add(template)
    session.flush()
    audit.record(
        session,
        actor,
        "messages.template_create",
        target_type="message_template",
        target_id=template.id,
        changes=audit.diff({}, values),
    )
    return template


def update_template(
    session: Session, actor: Actor, template_id: int, data: TemplateInput
) -> MessageTemplate:
    require(actor, "workflows.design")
    template = session.get(MessageTemplate, template_id)
    if template is None:
        raise NotFound("error.not_found")
    values = check_template(data)
    audit.record_update(
        session, actor, template, values, "messages.template_update", "message_template"
    )
    return template


def fill(text: str, values: dict[str, str]) -> str:
    """A template text with its {{variables}} replaced; unknown ones become empty."""
    return VARIABLE.sub(lambda m: values.get(m.group(1), ""), text)


def run_coupons(session: Session, run_ids: list[int]) -> dict[int, str]:
    """The coupon code an earlier issue-coupon step of each run handed out (the last one)."""
    coupons: dict[int, str] = {}
    for start in range(0, len(run_ids), 900):
        for step in session.exec(
            select(StepExecution)
            .where(
                col(StepExecution.run_id).in_(run_ids[start : start + 900]),
                StepExecution.node_type == "action.issue_coupon",
            )
            .order_by(col(StepExecution.id))
        ).all():
            if "coupon" in step.output:
                coupons[step.run_id] = str(step.output["coupon"])
    return coupons


def variable_values(
    session: Session,
    members: list[Member],
    coupons: dict[int, str],
    *,
    wallet_needed: bool = True,
    lang: str = "zh-CN",
) -> dict[int, dict[str, str]]:
    """Every {{variable}} of each member, with one query per kind for the whole set.
    `coupons` maps a member id to the code issued to them earlier in the run."""
    ids = [m.id or 0 for m in members]
    all_tiers = tiers.list_tiers(session)
    tier_by_id = {t.id: t for t in all_tiers}
    entry_tier = next((t for t in all_tiers if t.active), None)
    stores = {st.id: st.name for st in session.exec(select(Store)).all()}
    balances = points.balances_of(session, ids)
    wallets = wallet.totals_of(session, ids) if wallet_needed else {}
    out: dict[int, dict[str, str]] = {}
    for member in members:
        mid = member.id or 0
        tier = tier_by_id.get(member.tier_id) if member.tier_id else entry_tier
        values = {
            "member.name": member.name,
            "member.member_no": member.member_no,
            "points.balance": f"{balances.get(mid, 0):,}",
            "tier.name": tier.name if tier else "",
            "coupon.code": coupons.get(mid, ""),
            "store.name": stores.get(member.home_store_id, ""),
        }
        if wallet_needed:  # babel formatting is the slowest part: only when the text uses it
            values["wallet.balance"] = format_money(wallets.get(mid, 0), lang)
        out[mid] = values
    return out


def uses_wallet(template: MessageTemplate) -> bool:
    return "wallet.balance" in VARIABLE.findall(template.body + template.subject)


def render(
    session: Session,
    template: MessageTemplate,
    member: Member,
    run_id: int | None = None,
    lang: str = "zh-CN",
) -> tuple[str, str]:
    """Fill {{variables}} from the member (and a coupon issued earlier in the same run)."""
    coupon = run_coupons(session, [run_id]).get(run_id, "") if run_id is not None else ""
    values = variable_values(session, [member], {member.id or 0: coupon}, lang=lang)[member.id or 0]
    return fill(template.subject, values), fill(template.body, values)


def member_messages(
    session: Session, actor: Actor, member_id: int, limit: int = 50
) -> list[OutboxMessage]:
    """What campaigns sent (or tried to send) a member, newest first, for staff who see them."""
    require(actor, "members.read")
    member_in_scope(session, actor, member_id)
    return list(
        session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.member_id == member_id)
            .order_by(col(OutboxMessage.id).desc())
            .limit(limit)
        ).all()
    )
