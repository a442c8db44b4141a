"""The send-message step of a campaign: the message rules (services/messaging/rules.py) over
a batch of members, then one outbox row per member keyed by the step, so a re-run of the
step never writes a second message. A single member is a batch of one: one code path."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from backoffice.models import Channel, Member, MessageStatus, MessageTemplate, OutboxMessage
from backoffice.services.messaging import rules
from backoffice.services.messaging.messages import fill, run_coupons, uses_wallet, variable_values
from backoffice.services.reports import daily_stats
from backoffice.workflows.steps import Context, Outcome


def _address(member: Member, channel: Channel) -> str:
    if channel == Channel.SMS:
        return member.phone
    if channel == Channel.EMAIL:
        return member.email
    return ""


def send_from_workflow(ctx: Context, template_id: int) -> Outcome:
    """One member's send-message step."""
    return send_many_from_workflow([ctx], template_id)[0]


def send_many_from_workflow(ctxs: list[Context], template_id: int) -> list[Outcome]:
    """The send-message step for a batch: consent, quiet hours, the cap and banned words,
    each asked once for the whole batch, then the new outbox rows in one insert."""
    session: Session = ctxs[0].session
    template = session.get(MessageTemplate, template_id)
    if template is None:
        raise ValueError("message template is gone")
    now = ctxs[0].now
    members = [c.member for c in ctxs]
    ids = [m.id or 0 for m in members]
    by_run = run_coupons(session, [c.run.id or 0 for c in ctxs])
    coupons = {c.member.id or 0: by_run.get(c.run.id or 0, "") for c in ctxs}
    values = variable_values(session, members, coupons, wallet_needed=uses_wallet(template))
    withdrawn = rules.withdrawn_consent(session, ids, template.channel)
    counts = rules.marketing_counts(session, ids, now)
    existing = {
        m.idempotency_key: m
        for m in session.exec(
            select(OutboxMessage).where(
                col(OutboxMessage.idempotency_key).in_([c.key for c in ctxs])
            )
        ).all()
    }
    outcomes: list[Outcome] = []
    new_rows: list[dict[str, Any]] = []
    for ctx in ctxs:
        member = ctx.member
        mid = member.id or 0
        subject = fill(template.subject, values[mid])
        body = fill(template.body, values[mid])
        if template.marketing and mid in withdrawn:
            outcomes.append(Outcome(output={"skipped": "no_consent", "body": body}))
            continue
        resume = rules.quiet_until(session, member, now)
        if resume is not None and not ctx.dry_run:
            outcomes.append(Outcome(retry_at=resume, output={"deferred_until": resume.isoformat()}))
            continue
        if template.marketing and rules.cap_reached(counts.get(mid, 0)):
            outcomes.append(Outcome(output={"skipped": "frequency_cap", "body": body}))
            continue
        if ctx.dry_run:
            would = {"would_send": body, "channel": template.channel.value, "subject": subject}
            outcomes.append(Outcome(output=would))
            continue
        found = existing.get(ctx.key)
        if found is not None:
            outcomes.append(_sent(found.id, found.status, found.body))
            continue
        blocked = rules.banned_in(body, subject)
        instant = template.channel == Channel.OUTBOX
        status = (
            MessageStatus.BLOCKED
            if blocked
            else (MessageStatus.SENT if instant else MessageStatus.QUEUED)
        )
        counts[mid] = counts.get(mid, 0) + 1
        new_rows.append(
            {
                "member_id": mid,
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
        outcomes.append(_sent(None, status, body))
    if new_rows:
        _insert_messages(session, new_rows, outcomes)
    return outcomes


def _sent(message_id: int | None, status: MessageStatus, body: str) -> Outcome:
    return Outcome(output={"message_id": message_id, "status": status.value, "body": body})


def _insert_messages(session: Session, rows: list[dict[str, Any]], outcomes: list[Outcome]) -> None:
    """One multi-row insert, then the new ids into the steps' outputs (the run history links
    each step to its message)."""
    session.connection().execute(
        insert(OutboxMessage.__table__),  # type: ignore[attr-defined]  # SQLModel's stubs lack __table__
        rows,
    )
    keys = [r["idempotency_key"] for r in rows]
    ids = dict(
        session.exec(
            select(OutboxMessage.idempotency_key, OutboxMessage.id).where(
                col(OutboxMessage.idempotency_key).in_(keys)
            )
        ).all()
    )
    pending = iter(o for o in outcomes if o.output.get("message_id", 0) is None)
    for row in rows:
        next(pending).output["message_id"] = ids.get(row["idempotency_key"])
    daily_stats.messages_sent(
        session,
        [(r["member_id"], r["sent_at"]) for r in rows if r["status"] == MessageStatus.SENT],
    )
