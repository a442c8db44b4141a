"""Graph builders for workflow tests: a few lines per campaign, as a designer would draw it."""

from __future__ import annotations

from typing import Any


def node(node_id: str, node_type: str, **config: Any) -> dict[str, Any]:
    return {"id": node_id, "type": node_type, "config": config, "position": {"x": 0, "y": 0}}


def edge(source: str, target: str, handle: str = "out") -> dict[str, Any]:
    return {
        "id": f"{source}-{handle}-{target}",
        "source": source,
        "source_handle": handle,
        "target": target,
    }


def chain(*nodes: dict[str, Any]) -> dict[str, Any]:
    """Nodes connected one after the other through their default output."""
    edges = [edge(a["id"], b["id"]) for a, b in zip(nodes, nodes[1:], strict=False)]
    return {"nodes": list(nodes), "edges": edges}
