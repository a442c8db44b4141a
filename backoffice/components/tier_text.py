"""How far a member is from the next tier, as text: the counter's panel and the member's own
home page say it the same way (the metric arrives as its value: components see no services)."""

from __future__ import annotations

from backoffice.i18n import format_money


def metric_text(metric: str, value: int, lang: str) -> str:
    """An amount of a tier metric: money for spend, a count of visits or points otherwise."""
    if metric == "spend":
        return format_money(value, lang)
    unit = {
        "visits": "次" if lang == "zh-CN" else " visits",
        "points": " 积分" if lang == "zh-CN" else " points",
    }[metric]
    return f"{value}{unit}"
