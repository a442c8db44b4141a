"""Each loyalty rule said as a sentence a manager can check at a glance ("每消费 ¥1 得 1 积分，
积分在获得后第 12 个月末过期"), from the values as typed (yuan, percent), so the sentence beside
the form changes with every keystroke and the table says the same thing for saved rows."""

from __future__ import annotations

from collections.abc import Callable

from backoffice.errors import ValidationFailed
from backoffice.i18n import format_money
from backoffice.money import parse_percent_bp, parse_yuan, percent

Translate = Callable[..., str]


def _short_money(cents: int, lang: str) -> str:
    """¥1 rather than ¥1.00 in a sentence; ¥1.50 stays."""
    return format_money(cents, lang).removesuffix(".00")


def _money(text: str, lang: str) -> str:
    return _short_money(parse_yuan(text or "0", "amount", allow_zero=True), lang)


def _pct(text: str) -> str:
    return percent(parse_percent_bp(text or "0", "percent")) + "%"


def _int(text: str) -> int:
    return int(str(text or "0").strip())


def _rule(v: dict[str, str], tr: Translate, lang: str, expiry_months: int) -> str:
    kind = v.get("kind") or "spend"
    text = tr(
        f"sentence.rule.{kind}",
        per=_money(v.get("per_cents", ""), lang),
        points=_int(v.get("points", "")),
        category=v.get("category", ""),
    )
    return text + tr("sentence.expiry", months=expiry_months)


def _tier(v: dict[str, str], tr: Translate, lang: str, _months: int) -> str:
    metric = v.get("metric") or "spend"
    typed = v.get("threshold", "")
    amount = _money(typed, lang) if metric == "spend" else str(_int(typed))
    days = _int(v.get("window_days", ""))
    span = tr("sentence.tier.days", days=days) if days else tr("sentence.tier.ever")
    return tr(
        f"sentence.tier.{metric}",
        span=span,
        threshold=amount,
        discount=_pct(v.get("discount_bp", "")),
        multiplier=_int(v.get("points_multiplier_pct", "")),
    )


def _topup(v: dict[str, str], tr: Translate, lang: str, _months: int) -> str:
    return tr(
        "sentence.topup",
        min=_money(v.get("min_cents", ""), lang),
        bonus=_money(v.get("bonus_cents", ""), lang),
    )


def _coupon(v: dict[str, str], tr: Translate, lang: str, _months: int) -> str:
    kind = v.get("kind") or "amount_off"
    threshold = parse_yuan(v.get("threshold_cents") or "0", "threshold", allow_zero=True)
    text = tr(
        f"sentence.coupon.{kind}",
        amount=_money(v.get("amount_off_cents", ""), lang),
        percent=_pct(v.get("percent_off_bp", "")),
        item=v.get("free_item", ""),
    )
    if threshold:
        text = tr("sentence.coupon.threshold", threshold=_short_money(threshold, lang)) + text
    return text + tr("sentence.coupon.valid", days=_int(v.get("valid_days", "")))


def _policy(v: dict[str, str], tr: Translate, lang: str, _months: int) -> str:
    return tr(
        "sentence.policy",
        months=_int(v.get("points_expiry_months", "")),
        days=_int(v.get("expiring_notice_days", "")),
        points=_int(v.get("points_per_yuan_cash", "")),
        share=_pct(v.get("max_points_share_bp", "")),
        low=_money(v.get("low_balance_cents", ""), lang),
    )


def _catalog(v: dict[str, str], tr: Translate, _lang: str, _months: int) -> str:
    return tr(
        "sentence.catalog",
        points=_int(v.get("points_price", "")),
        name=v.get("name", ""),
        stock=_int(v.get("stock", "")),
    )


SENTENCES = {
    "rules": _rule,
    "tiers": _tier,
    "topup": _topup,
    "coupons": _coupon,
    "policy": _policy,
    "catalog": _catalog,
}


def rule_sentence(
    section: str, values: dict[str, str], tr: Translate, lang: str, expiry_months: int = 12
) -> str:
    """The sentence for one rule; empty while a typed value cannot be read (the field error
    comes on save)."""
    make = SENTENCES.get(section)
    if make is None:
        return ""
    try:
        return make(values, tr, lang, expiry_months)
    except (ValidationFailed, ValueError):
        return ""
