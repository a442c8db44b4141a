"""Action nodes: what a run does to a member (points, coupons, tags, tier, fields, tasks,
messages, webhooks), each effect keyed by (run, step) so a re-run never repeats it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlmodel import Session, col, delete, select

from backoffice.models import (
    Coupon,
    CouponTemplate,
    FormField,
    MemberTag,
    MessageTemplate,
    PointsEntry,
    PointsKind,
    StaffTask,
    Tier,
)
from backoffice.sealed import unseal
from backoffice.services.loyalty import points
from backoffice.services.loyalty.coupons import grant_coupon
from backoffice.services.loyalty.tiers import move_member_tier
from backoffice.services.members.forms import coerce_value
from backoffice.services.messaging.signed_http import post_signed
from backoffice.workflows.nodes.base import NodeType, register
from backoffice.workflows.send_message import send_from_workflow, send_many_from_workflow
from backoffice.workflows.steps import Context, Outcome

# ---- actions ----------------------------------------------------------------------------


class MessageConfig(BaseModel):
    template_id: int | None = None


@register
class SendMessage(NodeType):
    type, category = "action.send_message", "action"
    label, help = "node.send_message", "node.send_message.help"
    Config = MessageConfig

    def execute_many(self, ctxs: list[Context], config: MessageConfig) -> list[Outcome]:
        return _send_many(ctxs, config)

    def check(self, session: Session, config: MessageConfig) -> list[str]:
        if config.template_id is None or session.get(MessageTemplate, config.template_id) is None:
            return ["error.template_unknown"]
        return []

    def execute(self, ctx: Context, config: MessageConfig) -> Outcome:
        return send_from_workflow(ctx, config.template_id or 0)


def _send_many(ctxs: list[Context], config: MessageConfig) -> list[Outcome]:
    return send_many_from_workflow(ctxs, config.template_id or 0)


class PointsConfig(BaseModel):
    points: int = Field(default=100, ge=1, le=1_000_000)
    note: str = ""


@register
class GrantPoints(NodeType):
    type, category = "action.grant_points", "action"
    label, help = "node.grant_points", "node.grant_points.help"
    Config = PointsConfig

    def execute_many(self, ctxs: list[Context], config: PointsConfig) -> list[Outcome]:
        return _grant_many(ctxs, config)

    def summary(self, config: PointsConfig, t: Any) -> str:
        return t("node.grant_points.summary", points=config.points)

    def execute(self, ctx: Context, config: PointsConfig) -> Outcome:
        return _grant_many([ctx], config)[0]


def _grant_many(ctxs: list[Context], config: PointsConfig) -> list[Outcome]:
    """One member or a batch, one path: the ledger's unique workflow cause keeps each
    step's grant single however often the step runs."""
    if ctxs[0].dry_run:
        return [Outcome(output={"would_grant": config.points}) for _ in ctxs]
    points.credit_many(
        ctxs[0].session,
        [(c.member.id or 0, c.member.home_store_id, c.key) for c in ctxs],
        config.points,
        PointsKind.EARN,
        cause_type="workflow",
        note=config.note,
    )
    return [Outcome(output={"granted": config.points}) for _ in ctxs]


@register
class DeductPoints(NodeType):
    type, category = "action.deduct_points", "action"
    label, help = "node.deduct_points", "node.deduct_points.help"
    Config = PointsConfig

    def execute(self, ctx: Context, config: PointsConfig) -> Outcome:
        if ctx.dry_run:
            return Outcome(output={"would_deduct": config.points})
        if not _done(ctx, PointsEntry.cause_id):
            points.debit(
                ctx.session,
                ctx.member.id or 0,
                config.points,
                PointsKind.ADJUST,
                cause_type="workflow",
                cause_id=ctx.key,
                note=config.note,
                store_id=ctx.member.home_store_id,
            )
        return Outcome(output={"deducted": config.points})


def _done(ctx: Context, cause_column: Any) -> bool:
    """Has this step's points effect already been written (belt and braces to the step row)?"""
    return (
        ctx.session.exec(
            select(PointsEntry.id).where(
                PointsEntry.cause_type == "workflow", cause_column == ctx.key
            )
        ).first()
        is not None
    )


class CouponConfig(BaseModel):
    template_id: int | None = None


@register
class IssueCoupon(NodeType):
    type, category = "action.issue_coupon", "action"
    label, help = "node.issue_coupon", "node.issue_coupon.help"
    Config = CouponConfig

    def check(self, session: Session, config: CouponConfig) -> list[str]:
        if config.template_id is None or session.get(CouponTemplate, config.template_id) is None:
            return ["error.coupon_template_unknown"]
        return []

    def execute(self, ctx: Context, config: CouponConfig) -> Outcome:
        template = ctx.session.get(CouponTemplate, config.template_id or 0)
        if template is None:
            raise ValueError("coupon template is gone")
        if ctx.dry_run:
            return Outcome(output={"would_issue": template.name})
        source = f"workflow:{ctx.key}"
        existing = ctx.session.exec(select(Coupon).where(Coupon.source == source)).first()
        coupon = existing or grant_coupon(
            ctx.session, template, ctx.member.id or 0, source=source, actor_id=None
        )
        return Outcome(output={"coupon": coupon.code, "template": template.name})


class TagConfig(BaseModel):
    tag: str = Field(default="", max_length=40)


@register
class AddTag(NodeType):
    type, category = "action.add_tag", "action"
    label, help = "node.add_tag", "node.add_tag.help"
    Config = TagConfig

    def check(self, session: Session, config: TagConfig) -> list[str]:
        return [] if config.tag.strip() else ["error.required"]

    def execute(self, ctx: Context, config: TagConfig) -> Outcome:
        tag = config.tag.strip()
        if not ctx.dry_run and ctx.session.get(MemberTag, (ctx.member.id, tag)) is None:
            ctx.session.add(MemberTag(member_id=ctx.member.id or 0, tag=tag))
        return Outcome(output={"tag": tag})


@register
class RemoveTag(NodeType):
    type, category = "action.remove_tag", "action"
    label, help = "node.remove_tag", "node.remove_tag.help"
    Config = TagConfig

    def execute(self, ctx: Context, config: TagConfig) -> Outcome:
        if not ctx.dry_run:
            ctx.session.exec(
                delete(MemberTag).where(
                    col(MemberTag.member_id) == ctx.member.id,
                    col(MemberTag.tag) == config.tag.strip(),
                )
            )
        return Outcome(output={"tag": config.tag.strip()})


class TierConfig(BaseModel):
    tier_code: str = ""


@register
class SetTier(NodeType):
    type, category = "action.set_tier", "action"
    label, help = "node.set_tier", "node.set_tier.help"
    Config = TierConfig

    def check(self, session: Session, config: TierConfig) -> list[str]:
        found = session.exec(select(Tier).where(Tier.code == config.tier_code)).first()
        return [] if found else ["error.tier_unknown"]

    def execute(self, ctx: Context, config: TierConfig) -> Outcome:
        tier = ctx.session.exec(select(Tier).where(Tier.code == config.tier_code)).first()
        if tier is None:
            raise ValueError("tier is gone")
        if not ctx.dry_run and ctx.member.tier_id != tier.id:
            move_member_tier(ctx.session, ctx.member, tier, reason=f"workflow {ctx.workflow.id}")
        return Outcome(output={"tier": tier.code})


class CustomValueConfig(BaseModel):
    key: str = ""
    value: Any = None


@register
class SetCustomField(NodeType):
    type, category = "action.set_custom_field", "action"
    label, help = "node.set_custom_field", "node.set_custom_field.help"
    Config = CustomValueConfig

    def check(self, session: Session, config: CustomValueConfig) -> list[str]:
        field_def = session.exec(select(FormField).where(FormField.key == config.key)).first()
        if field_def is None:
            return ["error.field_unknown"]
        try:
            coerce_value(field_def, config.value)
        except Exception:  # noqa: BLE001  (any coercion failure is a config problem)
            return ["error.choice"]
        return []

    def execute(self, ctx: Context, config: CustomValueConfig) -> Outcome:
        field_def = ctx.session.exec(select(FormField).where(FormField.key == config.key)).one()
        value = coerce_value(field_def, config.value)
        if not ctx.dry_run:
            ctx.member.custom = {**(ctx.member.custom or {}), config.key: value}
            ctx.session.add(ctx.member)
        return Outcome(output={config.key: value})


class TaskConfig(BaseModel):
    title: str = Field(default="", max_length=200)
    due_days: int = Field(default=1, ge=0, le=365)


@register
class CreateTask(NodeType):
    type, category = "action.create_task", "action"
    label, help = "node.create_task", "node.create_task.help"
    Config = TaskConfig

    def check(self, session: Session, config: TaskConfig) -> list[str]:
        return [] if config.title.strip() else ["error.required"]

    def execute(self, ctx: Context, config: TaskConfig) -> Outcome:
        if (
            not ctx.dry_run
            and ctx.session.exec(
                select(StaffTask.id).where(StaffTask.idempotency_key == ctx.key)
            ).first()
            is None
        ):
            ctx.session.add(
                StaffTask(
                    store_id=ctx.member.home_store_id,
                    member_id=ctx.member.id or 0,
                    title=config.title.strip(),
                    due_at=ctx.now + timedelta(days=config.due_days),
                    idempotency_key=ctx.key,
                )
            )
        return Outcome(output={"task": config.title.strip()})


class WebhookConfig(BaseModel):
    url: str = ""
    secret: str = ""


@register
class CallWebhook(NodeType):
    type, category = "action.call_webhook", "action"
    label, help = "node.call_webhook", "node.call_webhook.help"
    Config = WebhookConfig

    def check(self, session: Session, config: WebhookConfig) -> list[str]:
        return [] if config.url.startswith(("http://", "https://")) else ["error.url"]

    external = True

    def prepare(self, ctx: Context, config: WebhookConfig) -> dict[str, Any]:
        body = {
            "workflow_id": ctx.workflow.id,
            "run_id": ctx.run.id,
            "node_id": ctx.node_id,
            "member": {
                "id": ctx.member.id,
                "member_no": ctx.member.member_no,
                "name": ctx.member.name,
            },
        }
        # The builder stores the secret sealed (an older graph may hold it plain).
        return {"url": config.url, "secret": unseal(config.secret), "key": ctx.key, "body": body}

    def call(self, prepared: dict[str, Any]) -> Outcome:
        status = post_signed(
            prepared["url"], prepared["body"], prepared["secret"], idempotency_key=prepared["key"]
        )
        return Outcome(output={"status": status})

    def execute(self, ctx: Context, config: WebhookConfig) -> Outcome:
        """Dry runs (test runs) only: the engine itself prepares, commits, then calls."""
        if ctx.dry_run:
            return Outcome(output={"would_post": config.url})
        return self.call(self.prepare(ctx, config))
