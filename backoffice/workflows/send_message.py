"""The send-message step of a campaign: the message rules (services/messaging/rules.py) over
a batch of members, then one outbox row per member keyed by the step, so a re-run of the
step never writes a second message. A single member is a batch of one: one code path."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from backoffice.models import Channel, Member, MessageStatus, MessageTemplate, OutboxMessage
from backoffice.services.batching import chunks
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


def _sent_before(session: Session, keys: list[str]) -> dict[str, MessageStatus]:
    """The steps whose message is already written (a batch retried after a crash)."""
    found: dict[str, MessageStatus] = {}
    for part in chunks(keys):
        rows = session.exec(
            select(OutboxMessage.idempotency_key, OutboxMessage.status).where(
                col(OutboxMessage.idempotency_key).in_(part)
            )
        )
        found.update((key, MessageStatus(status)) for key, status in rows if key)
    return found


def send_many_from_workflow(ctxs: list[Context], template_id: int) -> list[Outcome]:
    """The send-message step for a batch: consent, quiet hours (per store), the cap and
    banned words, each asked once for the whole batch, then the new outbox rows in one
    executemany. A step's output keeps only the status: the message row has the text."""
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
    withdrawn = (
        rules.withdrawn_consent(session, ids, template.channel) if template.marketing else set()
    )
    counts = rules.marketing_counts(session, ids, now) if template.marketing else {}
    quiet = rules.quiet_until_by_store(session, {m.home_store_id for m in members}, now)
    existing = _sent_before(session, [c.key for c in ctxs])
    words = rules.banned_words()
    outcomes: list[Outcome] = []
    new_rows: list[dict[str, Any]] = []
    for ctx in ctxs:
        member, mid = ctx.member, ctx.member.id or 0
        subject, body = fill(template.subject, values[mid]), fill(template.body, values[mid])
        resume = quiet[member.home_store_id]
        if mid in withdrawn:
            outcomes.append(Outcome(output={"skipped": "no_consent"}))
        elif resume is not None and not ctx.dry_run:
            outcomes.append(Outcome(retry_at=resume, output={"deferred_until": resume.isoformat()}))
        elif template.marketing and rules.cap_reached(counts.get(mid, 0)):
            outcomes.append(Outcome(output={"skipped": "frequency_cap"}))
        elif ctx.dry_run:
            would = {"would_send": body, "channel": template.channel.value, "subject": subject}
            outcomes.append(Outcome(output=would))
        elif ctx.key in existing:
            outcomes.append(Outcome(output={"status": existing[ctx.key].value}))
        else:
            counts[mid] = counts.get(mid, 0) + 1
            row = _message_row(
                ctx, template, subject, body, rules.banned_in(body, subject, words=words)
            )
            new_rows.append(row)
            outcomes.append(Outcome(output={"status": row["status"].value}))
    if new_rows:
        session.connection().execute(
            insert(OutboxMessage.__table__),  # type: ignore[attr-defined]  # SQLModel's stubs lack __table__
            new_rows,
        )
        daily_stats.messages_sent(
            session,
            [(r["member_id"], r["sent_at"]) for r in new_rows if r["status"] == MessageStatus.SENT],
        )
    return outcomes


def _message_row(
    ctx: Context, template: MessageTemplate, subject: str, body: str, blocked: list[str]
) -> dict[str, Any]:
    """The outbox row of one step: blocked when it holds a banned word, sent at once on the
    outbox channel, queued for a gateway otherwise."""
    instant = template.channel == Channel.OUTBOX
    status = (
        MessageStatus.BLOCKED
        if blocked
        else (MessageStatus.SENT if instant else MessageStatus.QUEUED)
    )
    return {
        "member_id": ctx.member.id or 0,
        "channel": template.channel,
        "template_id": template.id,
        "subject": subject,
        "body": body,
        "to": _address(ctx.member, template.channel),
        "marketing": template.marketing,
        "status": status,
        "error": ("banned words: " + ", ".join(blocked)) if blocked else "",
        "attempts": 0,
        "run_id": ctx.run.id,
        "node_id": ctx.node_id,
        "idempotency_key": ctx.key,
        "created_at": ctx.now,
        "sent_at": ctx.now if instant and not blocked else None,
    }
