"""Canvas edits and what they mean for the draft's JSON graph: add, move, connect, configure,
remove and lay out nodes."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from backoffice.errors import NotFound, ValidationFailed
from backoffice.workflows.nodes import REGISTRY

COLUMN_WIDTH, ROW_HEIGHT = 260, 150

# ---- canvas edits -----------------------------------------------------------------------


def _graph(draft: dict[str, Any]) -> dict[str, Any]:
    return {"nodes": list(draft.get("nodes") or []), "edges": list(draft.get("edges") or [])}


def new_node_id(draft: dict[str, Any], node_type: str) -> str:
    stem = {"trigger": "t", "condition": "c", "action": "a", "flow": "f"}.get(
        REGISTRY[node_type].category, "n"
    )
    taken = {n.get("id") for n in draft.get("nodes") or []}
    number = 1
    while f"{stem}{number}" in taken:
        number += 1
    return f"{stem}{number}"


def add_node(
    draft: dict[str, Any], node_type: str, x: float, y: float
) -> tuple[dict[str, Any], str]:
    """A node dropped from the palette, with its type's default config."""
    if node_type not in REGISTRY:
        raise ValidationFailed({"type": "error.node_type"})
    graph = _graph(draft)
    node_id = new_node_id(graph, node_type)
    config = REGISTRY[node_type].Config().model_dump()
    graph["nodes"].append(
        {
            "id": node_id,
            "type": node_type,
            "config": config,
            "position": {"x": float(x), "y": float(y)},
        }
    )
    return graph, node_id


def apply_canvas(draft: dict[str, Any], canvas: dict[str, Any]) -> dict[str, Any]:
    """Merge what the canvas sent (positions, which nodes remain, edges) into the draft.

    The canvas never creates nodes or configs; it can only move, delete and connect the
    nodes the draft already has, so a forged message cannot smuggle in a config.
    """
    if not isinstance(canvas, dict):
        raise ValidationFailed({"graph": "error.graph_invalid"})
    graph = _graph(draft)
    by_id = {n["id"]: n for n in graph["nodes"]}
    kept: list[dict[str, Any]] = []
    for item in canvas.get("nodes") or []:
        if not isinstance(item, dict) or item.get("id") not in by_id:
            continue
        node = dict(by_id[item["id"]])
        pos = item.get("position") or {}
        try:
            node["position"] = {"x": float(pos.get("x", 0)), "y": float(pos.get("y", 0))}
        except (TypeError, ValueError) as exc:
            raise ValidationFailed({"graph": "error.graph_invalid"}) from exc
        kept.append(node)
    ids = {n["id"] for n in kept}
    edges = []
    seen: set[tuple[str, str]] = set()
    for item in canvas.get("edges") or []:
        if not isinstance(item, dict):
            continue
        source, target = str(item.get("source", "")), str(item.get("target", ""))
        handle = str(item.get("source_handle") or "out")[:20]
        if source not in ids or target not in ids or source == target or (source, handle) in seen:
            continue
        seen.add((source, handle))
        edges.append(
            {
                "id": f"{source}:{handle}->{target}",
                "source": source,
                "source_handle": handle,
                "target": target,
            }
        )
    return {"nodes": kept, "edges": edges}


def set_node_config(draft: dict[str, Any], node_id: str, config: dict[str, Any]) -> dict[str, Any]:
    graph = _graph(draft)
    node = next((n for n in graph["nodes"] if n["id"] == node_id), None)
    if node is None:
        raise NotFound("error.not_found")
    graph["nodes"] = [{**n, "config": config} if n["id"] == node_id else n for n in graph["nodes"]]
    # A split whose branches were renamed loses the edges of branches that no longer exist.
    kind = REGISTRY[node["type"]]
    handles = set(kind.handles(kind.Config.model_validate(config)))
    graph["edges"] = [
        e
        for e in graph["edges"]
        if e["source"] != node_id or e.get("source_handle", "out") in handles
    ]
    return graph


def remove_node(draft: dict[str, Any], node_id: str) -> dict[str, Any]:
    graph = _graph(draft)
    graph["nodes"] = [n for n in graph["nodes"] if n["id"] != node_id]
    graph["edges"] = [e for e in graph["edges"] if node_id not in (e["source"], e["target"])]
    return graph


def auto_layout(draft: dict[str, Any]) -> dict[str, Any]:
    """Top-down tidy tree from the trigger: each node centred over its branches; nodes not
    connected to the flow go in a column on the right."""
    graph = _graph(draft)
    nodes = {n["id"]: n for n in graph["nodes"]}
    order = {n["id"]: i for i, n in enumerate(graph["nodes"])}
    children: dict[str, list[str]] = {node_id: [] for node_id in nodes}
    for edge in graph["edges"]:
        if edge["source"] in nodes and edge["target"] in nodes:
            children[edge["source"]].append(edge["target"])

    def handle_rank(parent: str, child: str) -> int:
        node = nodes[parent]
        kind = REGISTRY.get(node["type"])
        if kind is None:
            return 0
        try:
            handles = list(kind.handles(kind.Config.model_validate(node.get("config") or {})))
        except ValidationError:
            handles = []
        edge = next(e for e in graph["edges"] if e["source"] == parent and e["target"] == child)
        handle = edge.get("source_handle", "out")
        return handles.index(handle) if handle in handles else len(handles)

    trigger = next(
        (
            n["id"]
            for n in graph["nodes"]
            if REGISTRY.get(n["type"]) and REGISTRY[n["type"]].category == "trigger"
        ),
        None,
    )
    placed: dict[str, tuple[float, float]] = {}
    tree: dict[str, list[str]] = {}
    seen: set[str] = set()
    frontier = [trigger] if trigger else []
    if trigger:
        seen.add(trigger)
    while frontier:  # breadth first: each node hangs under the first parent that reaches it
        nxt = []
        for parent in frontier:
            kids = sorted(children[parent], key=lambda c: handle_rank(parent, c))
            tree[parent] = [k for k in kids if k not in seen]
            for kid in tree[parent]:
                seen.add(kid)
                nxt.append(kid)
        frontier = nxt

    widths: dict[str, int] = {}

    def width(node_id: str) -> int:
        if node_id not in widths:
            widths[node_id] = max(1, sum(width(k) for k in tree.get(node_id, [])))
        return widths[node_id]

    def place(node_id: str, left: float, depth: int) -> None:
        span = width(node_id)
        placed[node_id] = (left + (span - 1) * COLUMN_WIDTH / 2, depth * ROW_HEIGHT)
        cursor = left
        for kid in tree.get(node_id, []):
            place(kid, cursor, depth + 1)
            cursor += width(kid) * COLUMN_WIDTH

    if trigger:
        place(trigger, 0, 0)
    right = (width(trigger) if trigger else 0) * COLUMN_WIDTH + COLUMN_WIDTH / 2
    loose = sorted((n for n in nodes if n not in placed), key=lambda n: order[n])
    for row, node_id in enumerate(loose):
        placed[node_id] = (right, row * ROW_HEIGHT)
    graph["nodes"] = [
        {**n, "position": {"x": placed[n["id"]][0], "y": placed[n["id"]][1]}}
        for n in graph["nodes"]
    ]
    return graph
