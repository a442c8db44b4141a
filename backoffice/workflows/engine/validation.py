"""What stops a graph from being published, each problem on its node where possible."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from backoffice.workflows.nodes import REGISTRY
from backoffice.workflows.schema import Graph, NodeSpec, Problem


def parse_config(node: NodeSpec) -> BaseModel:
    return REGISTRY[node.type].Config.model_validate(node.config)


def graph_problems(session: Session, raw: dict[str, Any]) -> list[Problem]:
    """Everything that stops a graph from being published, each on its node where possible."""
    try:
        graph = Graph.model_validate(raw)
    except ValidationError:
        return [Problem(message="error.graph_invalid")]
    out: list[Problem] = []
    ids = [n.id for n in graph.nodes]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        out.append(Problem(node_id=dup, message="error.node_duplicate"))
    triggers = [
        n for n in graph.nodes if n.type in REGISTRY and REGISTRY[n.type].category == "trigger"
    ]
    if len(triggers) != 1:
        out.append(Problem(message="error.one_trigger", params={"count": len(triggers)}))
    handles = _node_handles(session, graph, out)
    # An output with nothing connected ends the run there (engine: no next node -> completed),
    # so an unwired "no" branch is a valid design, drawn on the canvas as an end.
    seen = _edge_problems(graph, ids, handles, out)
    if len(triggers) == 1:
        out.extend(_reach_problems(graph, triggers[0], seen))
    return out


def _node_handles(session: Session, graph: Graph, out: list[Problem]) -> dict[str, tuple[str, ...]]:
    """Each valid node's outgoing handles; unknown types and bad configs go in out."""
    handles: dict[str, tuple[str, ...]] = {}
    for node in graph.nodes:
        node_type = REGISTRY.get(node.type)
        if node_type is None:
            out.append(Problem(node_id=node.id, message="error.node_type"))
            continue
        try:
            config = node_type.Config.model_validate(node.config)
        except ValidationError as exc:
            field_name = ".".join(str(p) for p in exc.errors()[0]["loc"]) or "config"
            out.append(
                Problem(node_id=node.id, message="error.node_config", params={"field": field_name})
            )
            continue
        handles[node.id] = node_type.handles(config)
        out.extend(Problem(node_id=node.id, message=m) for m in node_type.check(session, config))
    return handles


def _edge_problems(
    graph: Graph, ids: list[str], handles: dict[str, tuple[str, ...]], out: list[Problem]
) -> set[tuple[str, str]]:
    """Dangling edges, unknown handles and a handle used twice; the (node, handle) pairs used."""
    seen: set[tuple[str, str]] = set()
    for edge in graph.edges:
        if edge.source not in handles and edge.source not in ids or edge.target not in ids:
            out.append(Problem(node_id=edge.source, message="error.edge_dangling"))
            continue
        if edge.source in handles and edge.source_handle not in handles[edge.source]:
            out.append(Problem(node_id=edge.source, message="error.edge_handle"))
        if (edge.source, edge.source_handle) in seen:
            out.append(Problem(node_id=edge.source, message="error.edge_twice"))
        seen.add((edge.source, edge.source_handle))
    return seen


def _reach_problems(graph: Graph, trigger: NodeSpec, seen: set[tuple[str, str]]) -> list[Problem]:
    out: list[Problem] = []
    if (trigger.id, "out") not in seen:
        out.append(Problem(node_id=trigger.id, message="error.trigger_unconnected"))
    reachable = _reachable(graph, trigger.id)
    for node in graph.nodes:
        if node.id not in reachable:
            out.append(Problem(node_id=node.id, message="error.node_unreachable"))
    out.extend(Problem(node_id=n, message="error.cycle") for n in _cycles_without_wait(graph))
    return out


def _reachable(graph: Graph, start: str) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        current = todo.pop()
        for edge in graph.edges:
            if edge.source == current and edge.target not in seen:
                seen.add(edge.target)
                todo.append(edge.target)
    return seen


def _cycles_without_wait(graph: Graph) -> list[str]:
    """Nodes on a loop that has no wait node in it (a loop must pause between rounds)."""
    waits = {n.id for n in graph.nodes if n.type == "wait"}
    succ: dict[str, list[str]] = defaultdict(list)
    for edge in graph.edges:
        if edge.source not in waits:
            succ[edge.source].append(edge.target)
    bad: set[str] = set()
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in succ.get(node, []):
            if state.get(nxt) == 1:
                bad.update(stack[stack.index(nxt) :])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in [n.id for n in graph.nodes if n.id not in waits]:
        if node not in state:
            visit(node, [])
    return sorted(bad)


# ---- versions ---------------------------------------------------------------------------
