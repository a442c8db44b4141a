"""Messaging: templates with checked variables, the outbox, consent, the frequency cap,
quiet hours, banned words, and delivery through the outbox, SMS gateway or SMTP."""

from __future__ import annotations

import re
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from pydantic import BaseModel
from sqlmodel import Session, col, func, select

from backoffice.errors import NotFound, ValidationFailed
from backoffice.i18n import format_money
from backoffice.models import (
    Channel,
    Member,
    MemberConsent,
    MessageStatus,
    MessageTemplate,
    OutboxMessage,
    StepExecution,
    Store,
)
from backoffice.models.base import utcnow
from backoffice.services.loyalty import points, tiers, wallet
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, member_in_scope, require
from backoffice.services.reports import daily_stats
from backoffice.settings import get_settings

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


def banned_words() -> list[str]:
    return [w.strip() for w in get_settings().banned_words.split(",") if w.strip()]


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
    return list(session.exec(select(MessageTemplate).order_by(MessageTemplate.id)).all())


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


def set_consent(session: Session, member_id: int, channel: Channel, granted: bool) -> None:
    row = session.get(MemberConsent, (member_id, channel))
    if row is None:
        row = MemberConsent(member_id=member_id, channel=channel, granted=granted)
    row.granted, row.updated_at = granted, utcnow()
    session.add(row)


def has_consent(session: Session, member_id: int, channel: Channel) -> bool:
    """Opt-out model: consent stands unless the member withdrew it for the channel."""
    row = session.get(MemberConsent, (member_id, channel))
    return row is None or row.granted


def _store_zone(session: Session, member: Member) -> ZoneInfo:
    store = session.get(Store, member.home_store_id)
    return ZoneInfo(store.timezone if store else get_settings().default_timezone)


def quiet_until(session: Session, member: Member, now: datetime) -> datetime | None:
    """Inside quiet hours (store time): when sending may start; otherwise None."""
    settings = get_settings()
    local = now.astimezone(_store_zone(session, member))
    start, end = settings.quiet_start_hour, settings.quiet_end_hour
    quiet = (local.hour >= start or local.hour < end) if start > end else start <= local.hour < end
    if not quiet:
        return None
    resume = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if resume <= local:
        resume += timedelta(days=1)
    return resume


def over_cap(session: Session, member_id: int, now: datetime) -> bool:
    settings = get_settings()
    sent = session.exec(
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            OutboxMessage.member_id == member_id,
            col(OutboxMessage.marketing).is_(True),
            col(OutboxMessage.status).in_([MessageStatus.QUEUED, MessageStatus.SENT]),
            OutboxMessage.created_at >= now - timedelta(days=settings.marketing_cap_days),
        )
    ).one()
    return int(sent) >= settings.marketing_cap


def render(
    session: Session,
    template: MessageTemplate,
    member: Member,
    run_id: int | None = None,
    lang: str = "zh-CN",
) -> tuple[str, str]:
    """Fill {{variables}} from the member (and a coupon issued earlier in the same run)."""
    tier = tiers.tier_of(session, member)
    store = session.get(Store, member.home_store_id)
    principal, bonus = wallet.balances(session, member.id or 0)
    coupon = ""
    if run_id is not None:
        for step in session.exec(
            select(StepExecution).where(
                StepExecution.run_id == run_id, StepExecution.node_type == "action.issue_coupon"
            )
        ):
            coupon = str(step.output.get("coupon", coupon))
    values = {
        "member.name": member.name,
        "member.member_no": member.member_no,
        "points.balance": f"{points.balance_of(session, member.id or 0):,}",
        "wallet.balance": format_money(principal + bonus, lang),
        "tier.name": tier.name if tier else "",
        "coupon.code": coupon,
        "store.name": store.name if store else "",
    }

    def fill(text: str) -> str:
        return VARIABLE.sub(lambda m: values.get(m.group(1), ""), text)

    return fill(template.subject), fill(template.body)


def _address(member: Member, channel: Channel) -> str:
    if channel == Channel.SMS:
        return member.phone
    if channel == Channel.EMAIL:
        return member.email
    return ""


def send_from_workflow(ctx: Any, template_id: int) -> Any:
    """The send-message action: consent, quiet hours, cap, banned words, then the outbox row
    keyed by the step, so a re-run of the step never writes a second message."""
    from backoffice.workflows.nodes import Outcome

    session: Session = ctx.session
    template = session.get(MessageTemplate, template_id)
    if template is None:
        raise ValueError("message template is gone")
    member = ctx.member
    subject, body = render(session, template, member, ctx.run.id)
    if template.marketing and not has_consent(session, member.id, template.channel):
        return Outcome(output={"skipped": "no_consent", "body": body})
    resume = quiet_until(session, member, ctx.now)
    if resume is not None and not ctx.dry_run:
        return Outcome(retry_at=resume, output={"deferred_until": resume.isoformat()})
    if template.marketing and over_cap(session, member.id, ctx.now):
        return Outcome(output={"skipped": "frequency_cap", "body": body})
    if ctx.dry_run:
        return Outcome(
            output={"would_send": body, "channel": template.channel.value, "subject": subject}
        )
    existing = session.exec(
        select(OutboxMessage).where(OutboxMessage.idempotency_key == ctx.key)
    ).first()
    if existing is None:
        blocked = [w for w in banned_words() if w in body or w in subject]
        instant = template.channel == Channel.OUTBOX
        existing = OutboxMessage(
            member_id=member.id,
            channel=template.channel,
            template_id=template.id,
            subject=subject,
            body=body,
            to=_address(member, template.channel),
            marketing=template.marketing,
            run_id=ctx.run.id,
            node_id=ctx.node_id,
            idempotency_key=ctx.key,
            status=MessageStatus.BLOCKED
            if blocked
            else (MessageStatus.SENT if instant else MessageStatus.QUEUED),
            error=("banned words: " + ", ".join(blocked)) if blocked else "",
            sent_at=utcnow() if instant and not blocked else None,
        )
        session.add(existing)
        session.flush()
        if existing.status == MessageStatus.SENT and existing.sent_at is not None:
            daily_stats.messages_sent(session, [(member.id, existing.sent_at)])
    return Outcome(
        output={"message_id": existing.id, "status": existing.status.value, "body": body}
    )


def send_many_from_workflow(ctxs: list[Any], template_id: int) -> list[Any]:
    """send_from_workflow for a batch: the same rules, with every lookup done once for all."""
    from backoffice.models import PointsAccount, WalletAccount
    from backoffice.workflows.nodes import Outcome

    session: Session = ctxs[0].session
    template = session.get(MessageTemplate, template_id)
    if template is None:
        raise ValueError("message template is gone")
    ids = [c.member.id for c in ctxs]
    all_tiers = tiers.list_tiers(session)
    tier_by_id = {t.id: t for t in all_tiers}
    entry_tier = next((t for t in all_tiers if t.active), None)
    stores = {st.id: st for st in session.exec(select(Store)).all()}
    wallets = {
        w.member_id: w.principal + w.bonus
        for w in session.exec(
            select(WalletAccount).where(col(WalletAccount.member_id).in_(ids))
        ).all()
    }
    balances = dict(
        session.exec(
            select(PointsAccount.member_id, PointsAccount.balance).where(
                col(PointsAccount.member_id).in_(ids)
            )
        ).all()
    )
    coupons: dict[int, str] = {}
    for step in session.exec(
        select(StepExecution).where(
            col(StepExecution.run_id).in_([c.run.id for c in ctxs]),
            StepExecution.node_type == "action.issue_coupon",
        )
    ).all():
        if "coupon" in step.output:
            coupons[step.run_id] = str(step.output["coupon"])
    withdrawn = set(
        session.exec(
            select(MemberConsent.member_id).where(
                col(MemberConsent.member_id).in_(ids),
                MemberConsent.channel == template.channel,
                col(MemberConsent.granted).is_(False),
            )
        ).all()
    )
    settings = get_settings()
    now = ctxs[0].now
    counts = dict(
        session.exec(
            select(OutboxMessage.member_id, func.count())
            .where(
                col(OutboxMessage.member_id).in_(ids),
                col(OutboxMessage.marketing).is_(True),
                col(OutboxMessage.status).in_([MessageStatus.QUEUED, MessageStatus.SENT]),
                OutboxMessage.created_at >= now - timedelta(days=settings.marketing_cap_days),
            )
            .group_by(OutboxMessage.member_id)
        ).all()
    )
    existing = {
        m.idempotency_key: m
        for m in session.exec(
            select(OutboxMessage).where(
                col(OutboxMessage.idempotency_key).in_([c.key for c in ctxs])
            )
        ).all()
    }
    words = banned_words()
    needs_wallet = "wallet.balance" in VARIABLE.findall(template.body + template.subject)
    outcomes: list[Any] = []
    new_rows: list[dict[str, Any]] = []
    for ctx in ctxs:
        member = ctx.member
        tier = tier_by_id.get(member.tier_id) if member.tier_id else entry_tier
        store = stores.get(member.home_store_id)
        values = {
            "member.name": member.name,
            "member.member_no": member.member_no,
            "points.balance": f"{balances.get(member.id, 0):,}",
            "tier.name": tier.name if tier else "",
            "coupon.code": coupons.get(ctx.run.id, ""),
            "store.name": store.name if store else "",
        }
        if needs_wallet:  # babel formatting is the slowest part: only when the text uses it
            values["wallet.balance"] = format_money(wallets.get(member.id, 0), "zh-CN")
        subject = VARIABLE.sub(lambda m, v=values: v.get(m.group(1), ""), template.subject)
        body = VARIABLE.sub(lambda m, v=values: v.get(m.group(1), ""), template.body)
        if template.marketing and member.id in withdrawn:
            outcomes.append(Outcome(output={"skipped": "no_consent", "body": body}))
            continue
        resume = quiet_until(session, member, now)
        if resume is not None and not ctx.dry_run:
            outcomes.append(Outcome(retry_at=resume, output={"deferred_until": resume.isoformat()}))
            continue
        if template.marketing and counts.get(member.id, 0) >= settings.marketing_cap:
            outcomes.append(Outcome(output={"skipped": "frequency_cap", "body": body}))
            continue
        if ctx.dry_run:
            outcomes.append(
                Outcome(
                    output={
                        "would_send": body,
                        "channel": template.channel.value,
                        "subject": subject,
                    }
                )
            )
            continue
        if ctx.key in existing:
            found = existing[ctx.key]
            outcomes.append(
                Outcome(
                    output={
                        "message_id": found.id,
                        "status": found.status.value,
                        "body": found.body,
                    }
                )
            )
            continue
        blocked = [w for w in words if w in body or w in subject]
        instant = template.channel == Channel.OUTBOX
        status = (
            MessageStatus.BLOCKED
            if blocked
            else (MessageStatus.SENT if instant else MessageStatus.QUEUED)
        )
        counts[member.id] = counts.get(member.id, 0) + 1
        new_rows.append(
            {
                "member_id": member.id,
                "channel": template.channel,
                "template_id": template.id,
                "subject": subject,
                "body": body,
                "to": _address(member, template.channel),
                "marketing": template.marketing,
                "status": status,
                "error": ("banned words: " + ", ".join(blocked)) if blocked else "",
                "attempts": 0,
                "run_id": ctx.run.id,
                "node_id": ctx.node_id,
                "idempotency_key": ctx.key,
                "created_at": now,
                "sent_at": now if instant and not blocked else None,
            }
        )
        outcomes.append(Outcome(output={"status": status.value, "body": body}))
    if new_rows:
        from sqlalchemy import insert

        session.connection().execute(insert(OutboxMessage.__table__), new_rows)  # type: ignore[attr-defined]
        daily_stats.messages_sent(
            session,
            [(r["member_id"], r["sent_at"]) for r in new_rows if r["status"] == MessageStatus.SENT],
        )
    return outcomes


def sms_payload(template: str, message: OutboxMessage) -> bytes:
    """Fill the gateway's JSON body: values are JSON-escaped, so any text stays valid JSON."""
    import json

    def escaped(value: str) -> str:
        return json.dumps(value, ensure_ascii=False)[1:-1]

    body = template.replace("{to}", escaped(message.to)).replace("{text}", escaped(message.body))
    json.loads(body)  # a broken template fails here, recorded on the message
    return body.encode()


def deliver(session: Session, message: OutboxMessage, max_attempts: int = 3) -> None:
    """Hand one queued message to its provider; failures retry, then stay failed."""
    if message.status != MessageStatus.QUEUED:
        return
    settings = get_settings()
    message.attempts += 1
    try:
        if not message.to:
            raise RuntimeError("no address for this channel")
        if message.channel == Channel.SMS:
            if not settings.sms_gateway_url:
                raise RuntimeError("SMS_GATEWAY_URL is not configured")
            headers = (
                {"Authorization": f"Bearer {settings.sms_gateway_token}"}
                if settings.sms_gateway_token
                else {}
            )
            response = httpx.post(
                settings.sms_gateway_url,
                content=sms_payload(settings.sms_gateway_payload, message),
                headers={"Content-Type": "application/json", **headers},
                timeout=10,
            )
            response.raise_for_status()
        elif message.channel == Channel.EMAIL:
            if not settings.smtp_host:
                raise RuntimeError("SMTP_HOST is not configured")
            mail = EmailMessage()
            mail["From"], mail["To"], mail["Subject"] = (
                settings.smtp_from,
                message.to,
                message.subject or "",
            )
            mail.set_content(message.body)
            with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
                if settings.smtp_user:
                    smtp.login(settings.smtp_user, settings.smtp_password)
                smtp.send_message(mail)
        message.status, message.sent_at, message.error = MessageStatus.SENT, utcnow(), ""
        daily_stats.messages_sent(session, [(message.member_id, message.sent_at)])
    except Exception as exc:  # noqa: BLE001  (a provider can fail in many ways; all are recorded)
        message.error = f"{type(exc).__name__}: {exc}"[:1000]
        if message.attempts >= max_attempts:
            message.status = MessageStatus.FAILED
    session.add(message)


def pending_messages(session: Session, limit: int = 200) -> list[OutboxMessage]:
    return list(
        session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.status == MessageStatus.QUEUED)
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )


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
