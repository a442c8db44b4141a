"""The flow canvas: our React component (assets/flow_canvas.jsx) around @xyflow/react.

The graph lives in the browser while a person drags (React Flow state inside the
component); the server only receives finished edits, so a drag never round-trips each
mouse move, and it pushes a new `graph.revision` to redraw.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.event import no_args_event_spec


class FlowCanvas(rx.Component):
    library = "$/public/flow_canvas.jsx"
    tag = "FlowCanvas"
    lib_dependencies: list[str] = ["@xyflow/react@12.8.6", "elkjs@0.12.1"]

    # {"nodes": [...], "edges": [...], "revision": int, "selected": str}
    graph: rx.Var[dict[str, Any]]
    # [{"category", "label", "items": [{"type", "label", "help"}]}]
    palette: rx.Var[list[dict[str, Any]]]
    read_only: rx.Var[bool]
    height: rx.Var[str]

    on_graph_change: rx.EventHandler[lambda graph: [graph]]
    on_drop_node: rx.EventHandler[lambda node_type, x, y: [node_type, x, y]]
    on_select_node: rx.EventHandler[lambda node_id: [node_id]]
    on_undo: rx.EventHandler[no_args_event_spec]
    on_redo: rx.EventHandler[no_args_event_spec]


flow_canvas = FlowCanvas.create
