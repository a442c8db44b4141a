// The campaign canvas: React Flow holding the graph in the browser. Dragging, panning and
// zooming never leave the browser; the server hears only finished edits (drag stop,
// connect, delete, drop from the palette, select, undo/redo) and answers with a new
// `graph.revision`, which replaces what is drawn.
import React, { useCallback, useEffect, useRef, useState } from "react";
import {
  ReactFlow,
  ReactFlowProvider,
  Background,
  MiniMap,
  Controls,
  Handle,
  Position,
  useReactFlow,
  useNodesInitialized,
  applyNodeChanges,
  applyEdgeChanges,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import ELK from "elkjs/lib/elk.bundled.js";

const COLORS = {
  trigger: "#7c3aed",
  condition: "#d97706",
  action: "#059669",
  flow: "#2563eb",
};

function BoNode({ id, data, selected }) {
  const color = COLORS[data.category] || "#64748b";
  const bad = (data.problems || []).length > 0;
  const hit = !!data.highlight;
  const border = bad ? "#dc2626" : hit ? "#16a34a" : selected ? color : "#cbd5e1";
  const handles = data.handles || [];
  return (
    <div
      className={"bo-node" + (bad ? " bo-node-bad" : "") + (hit ? " bo-node-hit" : "")}
      data-node-type={data.type}
      style={{
        border: `2px solid ${border}`,
        borderRadius: 8,
        background: "white",
        width: 220,
        fontSize: 12,
        boxShadow: selected ? `0 0 0 3px ${color}33` : "0 1px 2px #0000001a",
        paddingBottom: handles.length > 1 ? 14 : 0,
      }}
    >
      {data.category !== "trigger" && (
        <Handle type="target" position={Position.Top} id="in" style={{ width: 10, height: 10 }} />
      )}
      <div
        style={{
          background: color,
          color: "white",
          padding: "4px 8px",
          borderRadius: "5px 5px 0 0",
          fontWeight: 600,
          display: "flex",
          justifyContent: "space-between",
        }}
      >
        <span className="bo-node-label">{data.label}</span>
        <span style={{ opacity: 0.7, fontWeight: 400 }}>{id}</span>
      </div>
      <div className="bo-node-summary" style={{ padding: "6px 8px", color: "#1e293b" }}>
        {data.summary}
      </div>
      {bad && (
        <div className="bo-node-problems" style={{ color: "#dc2626", padding: "0 8px 6px" }}>
          {data.problems.join(" · ")}
        </div>
      )}
      {data.counts && (
        <div
          className="bo-node-counts"
          style={{ padding: "0 8px 6px", color: "#475569", display: "flex", gap: 8 }}
        >
          <span title={data.counts.entered_label}>▶ {data.counts.entered}</span>
          <span title={data.counts.passed_label} style={{ color: "#16a34a" }}>
            ✓ {data.counts.passed}
          </span>
          <span title={data.counts.failed_label} style={{ color: "#dc2626" }}>
            ✗ {data.counts.failed}
          </span>
        </div>
      )}
      {handles.map((h, i) => {
        const left = `${((i + 1) * 100) / (handles.length + 1)}%`;
        return (
          <React.Fragment key={h.id}>
            <Handle
              type="source"
              position={Position.Bottom}
              id={h.id}
              style={{ left, width: 10, height: 10, background: color }}
            />
            {h.end && (
              <span
                className="bo-node-end"
                data-handle={h.id}
                style={{
                  position: "absolute",
                  bottom: -24,
                  left,
                  transform: "translateX(-50%)",
                  fontSize: 10,
                  color: "#475569",
                  background: "#f1f5f9",
                  border: "1px solid #94a3b8",
                  borderRadius: 9,
                  padding: "0 6px",
                  whiteSpace: "nowrap",
                  pointerEvents: "none",
                }}
              >
                ■ {data.end_label}
              </span>
            )}
            {handles.length > 1 && (
              <span
                style={{
                  position: "absolute",
                  bottom: 2,
                  left,
                  transform: "translateX(-50%)",
                  fontSize: 10,
                  color: "#475569",
                }}
              >
                {h.label}
              </span>
            )}
          </React.Fragment>
        );
      })}
    </div>
  );
}

const NODE_TYPES = { bo: BoNode };

function toNodes(graph, readOnly) {
  return (graph.nodes || []).map((n) => ({
    id: n.id,
    type: "bo",
    position: n.position || { x: 0, y: 0 },
    data: n,
    selected: n.id === graph.selected,
    deletable: !readOnly,
    draggable: !readOnly,
  }));
}

function toEdges(graph) {
  return (graph.edges || []).map((e) => ({
    id: e.id || `${e.source}:${e.source_handle}->${e.target}`,
    source: e.source,
    sourceHandle: e.source_handle,
    target: e.target,
    targetHandle: "in",
    label: e.label || undefined,
    animated: !!e.highlight,
    style: e.highlight ? { stroke: "#16a34a", strokeWidth: 3 } : undefined,
  }));
}

function plain(nodes, edges) {
  return {
    nodes: nodes.map((n) => ({
      id: n.id,
      position: { x: Math.round(n.position.x), y: Math.round(n.position.y) },
    })),
    edges: edges.map((e) => ({
      id: e.id,
      source: e.source,
      source_handle: e.sourceHandle || "out",
      target: e.target,
    })),
  };
}

// Auto-layout with ELK's layered algorithm (as React Flow's own layout examples do): top to
// bottom, each node's measured size, a node's outputs kept in their order (yes left, no right).
const elk = new ELK();

async function layout(nodes, edges) {
  const order = {};
  nodes.forEach((n) => {
    (n.data.handles || []).forEach((h, i) => {
      order[`${n.id}:${h.id}`] = i;
    });
  });
  const sorted = [...edges].sort(
    (a, b) =>
      (order[`${a.source}:${a.sourceHandle}`] || 0) - (order[`${b.source}:${b.sourceHandle}`] || 0),
  );
  const result = await elk.layout({
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "DOWN",
      "elk.layered.spacing.nodeNodeBetweenLayers": "70",
      "elk.spacing.nodeNode": "50",
      "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
      "elk.layered.crossingMinimization.forceNodeModelOrder": "true",
    },
    children: nodes.map((n) => ({
      id: n.id,
      width: (n.measured && n.measured.width) || 220,
      height: ((n.measured && n.measured.height) || 80) + 24,
    })),
    edges: sorted.map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] })),
  });
  const at = Object.fromEntries(result.children.map((c) => [c.id, { x: c.x, y: c.y }]));
  return nodes.map((n) => (at[n.id] ? { ...n, position: at[n.id] } : n));
}

function Palette({ groups }) {
  return (
    <div
      className="bo-palette"
      style={{
        flex: 1,
        minHeight: 0,
        overflowY: "auto",
        padding: 8,
      }}
    >
      {(groups || []).map((g) => (
        <div key={g.category} style={{ marginBottom: 10 }}>
          <div
            style={{
              fontSize: 11,
              fontWeight: 700,
              textTransform: "uppercase",
              color: COLORS[g.category],
              margin: "4px 0",
            }}
          >
            {g.label}
          </div>
          {g.items.map((item) => (
            <div
              key={item.type}
              className="bo-palette-item"
              data-type={item.type}
              title={item.help}
              draggable
              onDragStart={(e) => {
                e.dataTransfer.setData("application/bo-node", item.type);
                e.dataTransfer.effectAllowed = "move";
              }}
              style={{
                fontSize: 12,
                padding: "5px 8px",
                marginBottom: 4,
                background: "white",
                border: `1px solid ${COLORS[g.category]}55`,
                borderLeft: `4px solid ${COLORS[g.category]}`,
                borderRadius: 6,
                cursor: "grab",
                userSelect: "none",
              }}
            >
              {item.label}
            </div>
          ))}
        </div>
      ))}
    </div>
  );
}

function Canvas(props) {
  const {
    graph,
    palette,
    readOnly,
    onGraphChange,
    onDropNode,
    onSelectNode,
    onUndo,
    onRedo,
    height,
  } = props;
  const g = graph || { nodes: [], edges: [], revision: 0 };
  const [nodes, setNodes] = useState(() => toNodes(g, readOnly));
  const [edges, setEdges] = useState(() => toEdges(g));
  const nodesRef = useRef(nodes);
  const edgesRef = useRef(edges);
  nodesRef.current = nodes;
  edgesRef.current = edges;
  const { screenToFlowPosition, fitView } = useReactFlow();
  const shown = useRef({ revision: g.revision, readOnly });
  const initialized = useNodesInitialized();
  // Fit once, when the first drawing has been measured (it may arrive from the server after
  // the canvas mounted). A person who drops a node on an empty canvas first keeps their view,
  // so that node stays where the mouse let go of it.
  const fitted = useRef(false);

  // A new revision from the server replaces the drawing (positions stay where they were).
  useEffect(() => {
    if (shown.current.revision === g.revision && shown.current.readOnly === readOnly) return;
    shown.current = { revision: g.revision, readOnly };
    // A node that was drawn keeps its measured size until it is measured again: React Flow
    // hides nodes without one, so every saved edit would otherwise blink the whole flow.
    setNodes((drawn) => {
      const measured = Object.fromEntries(drawn.map((n) => [n.id, n.measured]));
      return toNodes(g, readOnly).map((n) =>
        measured[n.id] ? { ...n, measured: measured[n.id] } : n,
      );
    });
    setEdges(toEdges(g));
  }, [g.revision, readOnly]);

  // Fit the whole flow once its nodes have been measured.
  useEffect(() => {
    if (initialized && !fitted.current) {
      fitted.current = true;
      fitView({ padding: 0.15, maxZoom: 1 });
    }
  }, [initialized, fitView]);

  const emit = useCallback(
    (ns, es) => {
      if (onGraphChange) onGraphChange(plain(ns, es));
    },
    [onGraphChange],
  );

  // Auto-layout, asked for by the Tidy button (a "bo-tidy" window event): ELK places the
  // nodes as drawn (measured sizes); the new positions are saved like a drag, so undo takes
  // them back. An event, not a state counter: reopening a page never lays it out again.
  useEffect(() => {
    const onTidy = () => {
      if (readOnly || nodesRef.current.length === 0) return;
      layout(nodesRef.current, edgesRef.current).then((ns) => {
        setNodes(ns);
        emit(ns, edgesRef.current);
        setTimeout(() => fitView({ padding: 0.15, maxZoom: 1, duration: 200 }), 60);
      });
    };
    window.addEventListener("bo-tidy", onTidy);
    return () => window.removeEventListener("bo-tidy", onTidy);
  }, [readOnly, emit, fitView]);

  const onNodesChange = useCallback((changes) => {
    // Removals are reported once, through onDelete, with their edges.
    const kept = changes.filter((c) => c.type !== "remove");
    setNodes((nds) => applyNodeChanges(kept, nds));
  }, []);
  const onEdgesChange = useCallback((changes) => {
    const kept = changes.filter((c) => c.type !== "remove");
    setEdges((eds) => applyEdgeChanges(kept, eds));
  }, []);

  const onNodeDragStop = useCallback(
    (_event, _node, dragged) => {
      const moved = Object.fromEntries((dragged || []).map((n) => [n.id, n.position]));
      const ns = nodesRef.current.map((n) => (moved[n.id] ? { ...n, position: moved[n.id] } : n));
      setNodes(ns);
      emit(ns, edgesRef.current);
    },
    [emit],
  );

  const onConnect = useCallback(
    (c) => {
      if (c.source === c.target) return;
      const handle = c.sourceHandle || "out";
      const edge = {
        id: `${c.source}:${handle}->${c.target}`,
        source: c.source,
        sourceHandle: handle,
        target: c.target,
        targetHandle: "in",
      };
      // One edge per output handle: a new connection replaces the old one.
      const es = edgesRef.current
        .filter((e) => !(e.source === c.source && (e.sourceHandle || "out") === handle))
        .concat([edge]);
      setEdges(es);
      emit(nodesRef.current, es);
    },
    [emit],
  );

  const onDelete = useCallback(
    ({ nodes: gone, edges: goneEdges }) => {
      const ids = new Set((gone || []).map((n) => n.id));
      const edgeIds = new Set((goneEdges || []).map((e) => e.id));
      const ns = nodesRef.current.filter((n) => !ids.has(n.id));
      const es = edgesRef.current.filter(
        (e) => !edgeIds.has(e.id) && !ids.has(e.source) && !ids.has(e.target),
      );
      setNodes(ns);
      setEdges(es);
      emit(ns, es);
    },
    [emit],
  );

  const onDragOver = useCallback((e) => {
    e.preventDefault();
    e.dataTransfer.dropEffect = "move";
  }, []);

  const onDrop = useCallback(
    (e) => {
      e.preventDefault();
      const type = e.dataTransfer.getData("application/bo-node");
      if (!type || !onDropNode) return;
      fitted.current = true;
      const p = screenToFlowPosition({ x: e.clientX, y: e.clientY });
      onDropNode(type, Math.round(p.x - 110), Math.round(p.y - 20));
    },
    [screenToFlowPosition, onDropNode],
  );

  const onKeyDown = useCallback(
    (e) => {
      if (readOnly || !(e.ctrlKey || e.metaKey)) return;
      const key = e.key.toLowerCase();
      if (key === "z" && !e.shiftKey && onUndo) {
        e.preventDefault();
        onUndo();
      } else if ((key === "y" || (key === "z" && e.shiftKey)) && onRedo) {
        e.preventDefault();
        onRedo();
      }
    },
    [readOnly, onUndo, onRedo],
  );

  return (
    <div
      className="bo-flow"
      data-revision={g.revision}
      data-nodes={nodes.length}
      data-edges={edges.length}
      tabIndex={0}
      onKeyDown={onKeyDown}
      style={{
        display: "flex",
        height: height || "640px",
        width: "100%",
        border: "1px solid #e2e8f0",
        borderRadius: 8,
        overflow: "hidden",
        background: "white",
      }}
    >
      <div
        className="bo-side"
        style={{
          width: 180,
          display: "flex",
          flexDirection: "column",
          borderRight: "1px solid #e2e8f0",
          background: "#f8fafc",
        }}
      >
        {!readOnly && <Palette groups={palette} />}
        {/* The minimap sits beside the flow, never over a node. */}
        <MiniMap
          className="bo-minimap"
          pannable
          zoomable
          ariaLabel=""
          // Outside React Flow's pane its CSS variables do not reach: colours given here.
          bgColor="#ffffff"
          maskColor="rgba(226, 232, 240, 0.7)"
          maskStrokeColor="#94a3b8"
          maskStrokeWidth={1}
          nodeColor={(n) => COLORS[n.data.category] || "#94a3b8"}
          style={{
            position: "static",
            margin: 8,
            marginTop: "auto",
            width: 164,
            height: 110,
            border: "1px solid #e2e8f0",
            borderRadius: 6,
          }}
        />
      </div>
      <div style={{ flex: 1, position: "relative" }} onDragOver={onDragOver} onDrop={onDrop}>
        <ReactFlow
          nodes={nodes}
          edges={edges}
          nodeTypes={NODE_TYPES}
          onNodesChange={onNodesChange}
          onEdgesChange={onEdgesChange}
          onNodeDragStop={onNodeDragStop}
          onConnect={readOnly ? undefined : onConnect}
          onDelete={readOnly ? undefined : onDelete}
          onNodeClick={(_e, n) => onSelectNode && onSelectNode(n.id)}
          onPaneClick={() => onSelectNode && onSelectNode("")}
          nodesDraggable={!readOnly}
          nodesConnectable={!readOnly}
          deleteKeyCode={readOnly ? null : ["Backspace", "Delete"]}
          snapToGrid
          snapGrid={[15, 15]}
          minZoom={0.2}
          proOptions={{ hideAttribution: true }}
        >
          <Background gap={15} />
          <Controls showInteractive={false} />
        </ReactFlow>
      </div>
    </div>
  );
}

export function FlowCanvas(props) {
  return (
    <ReactFlowProvider>
      <Canvas {...props} />
    </ReactFlowProvider>
  );
}
