"""The sections of /settings/loyalty: each names its service functions, its pydantic input
and the fields of its form (the page in policy.py renders them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pydantic

from backoffice.services.loyalty import catalog, coupons, earn_rules, tiers, topup_rules
from backoffice.services.loyalty.policy import (
    LoyaltySettingsInput,
    current_settings,
    update_settings,
)
from backoffice.services.org.access import require


@dataclass(frozen=True)
class Field:
    name: str
    kind: str = "text"  # text, int, bool, choice, textarea
    options: tuple[str, ...] = ()  # choice values; labels are catalog keys prefix + value
    option_prefix: str = ""


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    model: type[pydantic.BaseModel]
    fields: tuple[Field, ...]
    columns: tuple[str, ...]
    rows: Callable[..., list[Any]]
    create: Callable[..., Any] | None
    update: Callable[..., Any]


SECTIONS: dict[str, Section] = {
    s.key: s
    for s in [
        Section(
            "tiers",
            "settings.tiers",
            tiers.TierInput,
            (
                Field("code"),
                Field("name"),
                Field("rank", "int"),
                Field("metric", "choice", ("spend", "visits", "points"), "metric."),
                Field("threshold", "int"),
                Field("window_days", "int"),
                Field("retain_threshold", "int"),
                Field("discount_bp", "int"),
                Field("points_multiplier_pct", "int"),
                Field("birthday_bonus_points", "int"),
                Field("perks", "textarea"),
                Field("active", "bool"),
            ),
            (
                "rank",
                "code",
                "name",
                "metric",
                "threshold",
                "discount_bp",
                "points_multiplier_pct",
                "active",
            ),
            lambda s, a: (
                require(a, "loyalty.read") if not a.can("loyalty.manage") else None,
                tiers.list_tiers(s),
            )[1],
            tiers.create_tier,
            tiers.update_tier,
        ),
        Section(
            "rules",
            "settings.rules",
            earn_rules.EarnRuleInput,
            (
                Field("name"),
                Field(
                    "kind",
                    "choice",
                    ("spend", "category", "signup", "birthday", "referral"),
                    "rule.",
                ),
                Field("points", "int"),
                Field("per_cents", "int"),
                Field("category"),
                Field("active", "bool"),
            ),
            ("name", "kind", "points", "per_cents", "category", "active"),
            earn_rules.list_rules,
            earn_rules.create_rule,
            earn_rules.update_rule,
        ),
        Section(
            "catalog",
            "settings.catalog",
            catalog.CatalogItemInput,
            (
                Field("name"),
                Field("description", "textarea"),
                Field("points_price", "int"),
                Field("stock", "int"),
                Field("active", "bool"),
            ),
            ("name", "points_price", "stock", "active"),
            lambda s, a: (
                require(a, "loyalty.read") if not a.can("loyalty.manage") else None,
                catalog.list_items(s),
            )[1],
            catalog.create_item,
            catalog.update_item,
        ),
        Section(
            "topup",
            "settings.topup",
            topup_rules.TopupRuleInput,
            (Field("min_cents", "int"), Field("bonus_cents", "int"), Field("active", "bool")),
            ("min_cents", "bonus_cents", "active"),
            topup_rules.list_topup_rules,
            topup_rules.create_topup_rule,
            topup_rules.update_topup_rule,
        ),
        Section(
            "coupons",
            "settings.coupons",
            coupons.CouponTemplateInput,
            (
                Field("name"),
                Field("kind", "choice", ("amount_off", "percent_off", "free_item"), "couponkind."),
                Field("amount_off_cents", "int"),
                Field("threshold_cents", "int"),
                Field("percent_off_bp", "int"),
                Field("free_item"),
                Field("valid_days", "int"),
                Field("per_member_limit", "int"),
                Field("stackable", "bool"),
                Field("active", "bool"),
            ),
            (
                "name",
                "kind",
                "amount_off_cents",
                "threshold_cents",
                "percent_off_bp",
                "valid_days",
                "active",
            ),
            coupons.list_templates,
            coupons.create_template,
            coupons.update_template,
        ),
        Section(
            "policy",
            "settings.policy",
            LoyaltySettingsInput,
            (
                Field("points_expiry_months", "int"),
                Field("expiring_notice_days", "int"),
                Field("points_per_yuan_cash", "int"),
                Field("max_points_share_bp", "int"),
                Field("bonus_spent_first", "bool"),
                Field("low_balance_cents", "int"),
            ),
            (
                "points_expiry_months",
                "expiring_notice_days",
                "points_per_yuan_cash",
                "max_points_share_bp",
                "bonus_spent_first",
                "low_balance_cents",
            ),
            lambda s, a: (
                require(a, "loyalty.read") if not a.can("loyalty.manage") else None,
                [current_settings(s)],
            )[1],
            None,
            lambda s, a, _id, data: update_settings(s, a, data),
        ),
    ]
}


def _cell(value: Any, field: Field | None, lang_t: Callable[[str], str]) -> str:
    if isinstance(value, bool):
        return lang_t("common.yes" if value else "common.no")
    if hasattr(value, "value"):
        value = value.value
    if field is not None and field.kind == "choice":
        return lang_t(field.option_prefix + str(value))
    return "" if value is None else str(value)


def _form_values(section: Section, form: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in section.fields:
        raw = form.get(field.name)
        if field.kind == "bool":
            values[field.name] = raw in (True, "on", "true")
        elif field.kind == "int":
            values[field.name] = str(raw or "0").strip()
        else:
            values[field.name] = str(raw or "")
    return values
