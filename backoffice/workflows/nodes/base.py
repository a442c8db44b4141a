"""What every node type is: its config schema, label, help text, handles, summary and
what it does; the registry the engine and the builder read."""

from __future__ import annotations

import builtins
from typing import Any, ClassVar

from pydantic import BaseModel
from sqlmodel import Session

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
