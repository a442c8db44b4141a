"""Condition and flow nodes: yes/no on a condition, an A/B split, a wait, a stop."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlmodel import Session

from backoffice.workflows.conditions import Group, matches, matching_ids, problems
from backoffice.workflows.nodes.base import Empty, NodeType, register
from backoffice.workflows.steps import Context, Outcome

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
