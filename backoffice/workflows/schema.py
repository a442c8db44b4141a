"""The workflow graph as data: nodes with a type and a config, edges between handles."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from backoffice.workflows.nodes import REGISTRY


class NodeSpec(BaseModel):
    id: str = Field(min_length=1, max_length=40)
    type: str
    config: dict[str, Any] = Field(default_factory=dict)
    position: dict[str, float] = Field(default_factory=lambda: {"x": 0.0, "y": 0.0})


class EdgeSpec(BaseModel):
    id: str = ""
    source: str
    source_handle: str = "out"
    target: str


class Graph(BaseModel):
    nodes: list[NodeSpec] = Field(default_factory=list)
    edges: list[EdgeSpec] = Field(default_factory=list)

    def node(self, node_id: str) -> NodeSpec | None:
        return next((n for n in self.nodes if n.id == node_id), None)

    def next_node(self, node_id: str, handle: str) -> str | None:
        edge = next(
            (e for e in self.edges if e.source == node_id and e.source_handle == handle), None
        )
        return edge.target if edge else None

    def trigger(self) -> NodeSpec | None:
        return next(
            (
                n
                for n in self.nodes
                if n.type in REGISTRY and REGISTRY[n.type].category == "trigger"
            ),
            None,
        )


class Problem(BaseModel):
    """A validation problem, on a node when it is about one (shown on the canvas)."""

    node_id: str = ""
    message: str  # catalog key
    params: dict[str, Any] = Field(default_factory=dict)
