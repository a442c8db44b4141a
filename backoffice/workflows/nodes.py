"""The node catalog: one small class per node type, with its config schema, label, help text,
handles, plain-language summary and what it does. Adding a node type is adding a class."""

from __future__ import annotations

import builtins
import hashlib
from datetime import date, datetime, timedelta
from typing import Any, ClassVar, Literal

from croniter import croniter
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
    Segment,
    StaffTask,
    Tier,
)
from backoffice.sealed import unseal
from backoffice.services.loyalty import points
from backoffice.services.loyalty.coupons import grant_coupon
from backoffice.services.loyalty.tiers import move_member_tier
from backoffice.services.members.forms import coerce_value
from backoffice.services.messaging.signed_http import post_signed
from backoffice.workflows.conditions import Group, matches, matching_ids, problems
from backoffice.workflows.send_message import send_from_workflow, send_many_from_workflow
from backoffice.workflows.steps import Context, Outcome


class NodeType:
    type: ClassVar[str]
    category: ClassVar[str]  # trigger, condition, action, flow
    label: ClassVar[str]  # catalog keys
    help: ClassVar[str]
    # builtins.type: inside this class body `type` is the node type's name above
    Config: ClassVar[builtins.type[BaseModel]]
    events: ClassVar[tuple[str, ...]] = ()  # domain events that start this trigger
    # Calls another system (HTTP): the engine prepares the call inside the wave's transaction
    # and makes it after the commit, so no database lock is held while a receiver answers.
    external: ClassVar[bool] = False

    # `config` is an instance of the node's own Config (each subclass names its class), so the
    # base class types it Any: a subclass may take exactly its Config.
    def handles(self, config: Any) -> tuple[str, ...]:
        return ("out",)

    def check(self, session: Session, config: Any) -> list[str]:
        return []

    def summary(self, config: Any, t: Any) -> str:
        return t(self.label)

    def execute(self, ctx: Context, config: Any) -> Outcome:
        return Outcome()

    def execute_many(self, ctxs: list[Context], config: Any) -> list[Outcome]:
        """Optional: the same for a batch of members in bulk statements (fan-out speed)."""
        return [self.execute(ctx, config) for ctx in ctxs]

    def matches_event(self, config: Any, payload: dict[str, Any]) -> bool:
        return True

    def prepare(self, ctx: Context, config: Any) -> Any:
        """External nodes, inside the transaction: plain data, everything the call needs."""
        raise TypeError(f"{self.type} makes no outside call (it is not external)")

    def call(self, prepared: Any) -> Outcome:
        """External nodes, outside any transaction: make the call."""
        raise TypeError(f"{self.type} makes no outside call (it is not external)")


REGISTRY: dict[str, NodeType] = {}


def register(cls: type[NodeType]) -> type[NodeType]:
    REGISTRY[cls.type] = cls()
    return cls


class Empty(BaseModel):
    pass


# ---- triggers ---------------------------------------------------------------------------


class _EventTrigger(NodeType):
    category = "trigger"
    Config = Empty


@register
class MemberCreated(_EventTrigger):
    type, label, help = "trigger.member_created", "node.member_created", "node.member_created.help"
    events = ("member.created",)


@register
class SaleRecorded(_EventTrigger):
    type, label, help = "trigger.sale_recorded", "node.sale_recorded", "node.sale_recorded.help"
    events = ("sale.recorded",)


class TierChangedConfig(BaseModel):
    direction: Literal["any", "up", "down"] = "up"


@register
class TierChanged(NodeType):
    type, category = "trigger.tier_changed", "trigger"
    label, help = "node.tier_changed", "node.tier_changed.help"
    Config = TierChangedConfig
    events = ("tier.changed",)

    def matches_event(self, config: TierChangedConfig, payload: dict[str, Any]) -> bool:
        return config.direction == "any" or payload.get("direction") == config.direction


@register
class PointsExpiring(_EventTrigger):
    type, label, help = (
        "trigger.points_expiring",
        "node.points_expiring",
        "node.points_expiring.help",
    )
    events = ("points.expiring",)


@register
class WalletLow(_EventTrigger):
    type, label, help = "trigger.wallet_low", "node.wallet_low", "node.wallet_low.help"
    events = ("wallet.low_balance",)


class CustomFieldConfig(BaseModel):
    key: str = ""


@register
class CustomFieldChanged(NodeType):
    type, category = "trigger.custom_field_changed", "trigger"
    label, help = "node.custom_field_changed", "node.custom_field_changed.help"
    Config = CustomFieldConfig
    events = ("member.updated",)

    def matches_event(self, config: CustomFieldConfig, payload: dict[str, Any]) -> bool:
        return f"custom.{config.key}" in payload.get("fields", [])


class BirthdayConfig(BaseModel):
    days_before: int = Field(default=0, ge=0, le=60)


@register
class Birthday(NodeType):
    """Time-based: found by the scheduler each day, once per member per year."""

    type, category = "trigger.birthday", "trigger"
    label, help = "node.birthday", "node.birthday.help"
    Config = BirthdayConfig

    def summary(self, config: BirthdayConfig, t: Any) -> str:
        if config.days_before:
            return t("node.birthday.before", days=config.days_before)
        return t("node.birthday.on_day")


class DaysConfig(BaseModel):
    days: int = Field(default=60, ge=1, le=3650)


@register
class Anniversary(NodeType):
    type, category = "trigger.anniversary", "trigger"
    label, help = "node.anniversary", "node.anniversary.help"
    Config = Empty


@register
class Inactive(NodeType):
    type, category = "trigger.inactive", "trigger"
    label, help = "node.inactive", "node.inactive.help"
    Config = DaysConfig

    def summary(self, config: DaysConfig, t: Any) -> str:
        return t("node.inactive.summary", days=config.days)


class ScheduleConfig(BaseModel):
    cron: str = "0 10 * * *"
    segment_id: int | None = None


@register
class Schedule(NodeType):
    type, category = "trigger.schedule", "trigger"
    label, help = "node.schedule", "node.schedule.help"
    Config = ScheduleConfig

    def check(self, session: Session, config: ScheduleConfig) -> list[str]:
        out = [] if croniter.is_valid(config.cron) else ["error.cron"]
        if config.segment_id is not None and session.get(Segment, config.segment_id) is None:
            out.append("error.segment_unknown")
        return out


class ManualConfig(BaseModel):
    segment_id: int | None = None


@register
class Manual(NodeType):
    type, category = "trigger.manual", "trigger"
    label, help = "node.manual", "node.manual.help"
    Config = ManualConfig

    def check(self, session: Session, config: ManualConfig) -> list[str]:
        if config.segment_id is not None and session.get(Segment, config.segment_id) is None:
            return ["error.segment_unknown"]
        return []


# ---- conditions and flow ----------------------------------------------------------------


class ConditionConfig(BaseModel):
    condition: Group = Group()


@register
class Condition(NodeType):
    type, category = "condition", "condition"
    label, help = "node.condition", "node.condition.help"
    Config = ConditionConfig

    def execute_many(self, ctxs: list[Context], config: ConditionConfig) -> list[Outcome]:
        return _condition_many(ctxs, config)

    def handles(self, config: BaseModel) -> tuple[str, ...]:
        return ("yes", "no")

    def check(self, session: Session, config: ConditionConfig) -> list[str]:
        return problems(config.condition, session) or (
            ["error.condition_empty"] if not config.condition.rules else []
        )

    def execute(self, ctx: Context, config: ConditionConfig) -> Outcome:
        ok = matches(ctx.session, config.condition, ctx.member.id or 0)
        return Outcome(handle="yes" if ok else "no", output={"result": ok})


def _condition_many(ctxs: list[Context], config: ConditionConfig) -> list[Outcome]:
    yes = matching_ids(ctxs[0].session, config.condition, [c.member.id or 0 for c in ctxs])
    return [
        Outcome(handle="yes" if c.member.id in yes else "no", output={"result": c.member.id in yes})
        for c in ctxs
    ]


class Branch(BaseModel):
    name: str = Field(min_length=1, max_length=20)
    percent: int = Field(ge=0, le=100)


class SplitConfig(BaseModel):
    branches: list[Branch] = [Branch(name="a", percent=50), Branch(name="b", percent=50)]


@register
class Split(NodeType):
    type, category = "split", "flow"
    label, help = "node.split", "node.split.help"
    Config = SplitConfig

    def handles(self, config: SplitConfig) -> tuple[str, ...]:
        return tuple(b.name for b in config.branches)

    def check(self, session: Session, config: SplitConfig) -> list[str]:
        names = [b.name for b in config.branches]
        out = [] if sum(b.percent for b in config.branches) == 100 else ["error.split_total"]
        if len(set(names)) != len(names) or len(names) < 2:
            out.append("error.split_names")
        return out

    def execute(self, ctx: Context, config: SplitConfig) -> Outcome:
        # Deterministic per member and node: a retried step lands in the same branch.
        bucket = (
            int(
                hashlib.sha256(
                    f"{ctx.workflow.id}:{ctx.node_id}:{ctx.member.id}".encode()
                ).hexdigest(),
                16,
            )
            % 100
        )
        total = 0
        for branch in config.branches:
            total += branch.percent
            if bucket < total:
                return Outcome(handle=branch.name, output={"branch": branch.name})
        return Outcome(handle=config.branches[-1].name)


class WaitConfig(BaseModel):
    amount: int = Field(default=1, ge=0, le=10000)
    unit: Literal["minutes", "hours", "days"] = "days"
    until_field: Literal["", "birthday"] = ""  # wait until the member's next birthday instead


@register
class Wait(NodeType):
    type, category = "wait", "flow"
    label, help = "node.wait", "node.wait.help"
    Config = WaitConfig

    def summary(self, config: WaitConfig, t: Any) -> str:
        if config.until_field:
            return t("node.wait.until_birthday")
        return t("node.wait.summary", amount=config.amount, unit=t(f"unit.{config.unit}"))

    def execute(self, ctx: Context, config: WaitConfig) -> Outcome:
        if config.until_field == "birthday" and ctx.member.birthday:
            today = ctx.now.date()
            nxt = _next_anniversary(ctx.member.birthday, today)
            until = datetime.combine(nxt, datetime.min.time(), tzinfo=ctx.now.tzinfo)
        else:
            until = ctx.now + timedelta(**{config.unit: config.amount})
        return Outcome(wait_until=until, output={"until": until.isoformat()})


def _next_anniversary(day: date, today: date) -> date:
    for year in (today.year, today.year + 1):
        try:
            candidate = day.replace(year=year)
        except ValueError:  # 29 February
            candidate = date(year, 3, 1)
        if candidate >= today:
            return candidate
    return today


@register
class Stop(NodeType):
    type, category = "stop", "flow"
    label, help = "node.stop", "node.stop.help"
    Config = Empty

    def handles(self, config: BaseModel) -> tuple[str, ...]:
        return ()

    def execute(self, ctx: Context, config: BaseModel) -> Outcome:
        return Outcome(stop=True)


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
        if ctx.dry_run:
            return Outcome(output={"would_grant": config.points})
        if not _done(ctx, PointsEntry.cause_id):
            points.credit(
                ctx.session,
                ctx.member.id or 0,
                config.points,
                PointsKind.EARN,
                cause_type="workflow",
                cause_id=ctx.key,
                note=config.note,
                store_id=ctx.member.home_store_id,
            )
        return Outcome(output={"granted": config.points})


def _grant_many(ctxs: list[Context], config: PointsConfig) -> list[Outcome]:
    if ctxs[0].dry_run:
        return [Outcome(output={"would_grant": config.points}) for _ in ctxs]
    session = ctxs[0].session
    done = set(
        session.exec(
            select(PointsEntry.cause_id).where(
                PointsEntry.cause_type == "workflow",
                col(PointsEntry.cause_id).in_([c.key for c in ctxs]),
            )
        ).all()
    )
    todo = [c for c in ctxs if c.key not in done]
    points.credit_many(
        session,
        [(c.member.id or 0, c.member.home_store_id, c.key) for c in todo],
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
