"""Plotly figures for the dashboard, built from plain report data (no database access).

Each figure keeps plotly's own modebar, whose camera button saves the chart as PNG in the
browser (plotly.js renders the image itself, so it works offline)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go

Label = Callable[[str], str]
COLORS = ["#3e63dd", "#e5484d", "#30a46c", "#f76b15", "#8e4ec6", "#12a594", "#ffc53d", "#8d8d8d"]


def _layout(fig: go.Figure, height: int = 300) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 40, "r": 20, "t": 10, "b": 40},
        legend={"orientation": "h", "y": -0.2},
        plot_bgcolor="rgba(0,0,0,0)",
        paper_bgcolor="rgba(0,0,0,0)",
        bargap=0.25,
    )
    return fig


def _periods(series: list[dict[str, Any]]) -> list[str]:
    return [p["period"] for p in series]


def _previous_line(
    fig: go.Figure,
    x: list[str],
    previous: list[dict[str, Any]],
    key: str,
    name: str,
    scale: float = 1,
) -> None:
    """The previous period drawn over the current one, bucket by bucket."""
    y = [p[key] / scale for p in previous][: len(x)]
    fig.add_trace(
        go.Scatter(x=x, y=y, name=name, mode="lines", line={"dash": "dash", "color": "#8d8d8d"})
    )


def bars(
    series: list[dict[str, Any]],
    keys: list[str],
    label: Label,
    previous: list[dict[str, Any]] | None = None,
    previous_label: str = "",
    scale: float = 1,
    stacked: bool = False,
) -> go.Figure:
    """Bars per period for each key; the previous period of the first key as a dashed line."""
    fig = go.Figure()
    for i, key in enumerate(keys):
        fig.add_trace(
            go.Bar(
                x=_periods(series),
                y=[p[key] / scale for p in series],
                name=label(key),
                marker_color=COLORS[i % len(COLORS)],
            )
        )
    if previous:
        name = f"{label(keys[0])} · {previous_label}"
        _previous_line(fig, _periods(series), previous, keys[0], name, scale)
    if stacked:
        fig.update_layout(barmode="stack")
    return _layout(fig)


def sales(
    series: list[dict[str, Any]],
    label: Label,
    previous: list[dict[str, Any]] | None,
    previous_label: str,
) -> go.Figure:
    """Sales in yuan (bars) and number of sales (line, right axis)."""
    fig = bars(series, ["sales_due_cents"], label, previous, previous_label, scale=100)
    fig.add_trace(
        go.Scatter(
            x=_periods(series),
            y=[p["sales_count"] for p in series],
            name=label("sales_count"),
            yaxis="y2",
            mode="lines+markers",
            line={"color": COLORS[3]},
        )
    )
    fig.update_layout(yaxis2={"overlaying": "y", "side": "right", "showgrid": False})
    return fig


def stores(rows: list[dict[str, Any]], label: Label) -> go.Figure:
    """Net sales per store (bars) and average ticket (markers, right axis)."""
    names = [r["name"] for r in rows]
    fig = go.Figure(
        [
            go.Bar(
                x=names,
                y=[r["net_cents"] / 100 for r in rows],
                name=label("net_cents"),
                marker_color=COLORS[0],
            ),
            go.Scatter(
                x=names,
                y=[r["avg_ticket_cents"] / 100 for r in rows],
                name=label("avg_ticket_cents"),
                yaxis="y2",
                mode="markers",
                marker={"size": 12, "color": COLORS[3]},
            ),
        ]
    )
    fig.update_layout(yaxis2={"overlaying": "y", "side": "right", "showgrid": False})
    return _layout(fig)


def tiers(rows: list[dict[str, Any]]) -> go.Figure:
    fig = go.Figure(
        go.Pie(
            labels=[r["tier"] for r in rows],
            values=[r["members"] for r in rows],
            hole=0.45,
            marker={"colors": COLORS},
            sort=False,
        )
    )
    return _layout(fig)


def groups(rows: list[dict[str, Any]], value: str, label: str) -> go.Figure:
    """Horizontal bars, one per named group (RFM)."""
    fig = go.Figure(
        go.Bar(
            y=[r["label"] for r in rows],
            x=[r[value] for r in rows],
            orientation="h",
            marker_color=COLORS[0],
            name=label,
        )
    )
    fig.update_layout(yaxis={"autorange": "reversed"})
    return _layout(fig, height=320)
