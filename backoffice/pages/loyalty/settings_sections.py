"""The sections of /settings/loyalty: each names its service functions, its pydantic input
and the fields of its form (the page in policy.py renders them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pydantic

from backoffice.errors import ValidationFailed
from backoffice.i18n import format_money
from backoffice.money import parse_percent_bp, parse_yuan, percent, yuan
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
    # text, int, bool, choice, textarea; yuan (stored in cents), percent (stored in basis
    # points); metric_amount: a tier threshold, in yuan when the tier's metric is spend
    kind: str = "text"
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
                Field("threshold", "metric_amount"),
                Field("window_days", "int"),
                Field("retain_threshold", "metric_amount"),
                Field("discount_bp", "percent"),
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
                Field("per_cents", "yuan"),
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
            (Field("min_cents", "yuan"), Field("bonus_cents", "yuan"), Field("active", "bool")),
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
                Field("amount_off_cents", "yuan"),
                Field("threshold_cents", "yuan"),
                Field("percent_off_bp", "percent"),
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
                Field("max_points_share_bp", "percent"),
                Field("bonus_spent_first", "bool"),
                Field("low_balance_cents", "yuan"),
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


def _as_yuan(field: Field | None, metric: str) -> bool:
    """Is this field typed and shown in yuan (stored in cents)?"""
    if field is None:
        return False
    return field.kind == "yuan" or (field.kind == "metric_amount" and metric == "spend")


def _cell(
    value: Any, field: Field | None, lang_t: Callable[[str], str], lang: str, metric: str = ""
) -> str:
    if isinstance(value, bool):
        return lang_t("common.yes" if value else "common.no")
    if hasattr(value, "value"):
        value = value.value
    if field is not None and field.kind == "choice":
        return lang_t(field.option_prefix + str(value))
    if _as_yuan(field, metric) and isinstance(value, int):
        return format_money(value, lang)
    if field is not None and field.kind == "percent" and isinstance(value, int):
        return percent(value) + "%"
    return "" if value is None else str(value)


def input_text(field: Field, stored: Any, metric: str = "") -> str:
    """A stored value as the person types it: cents as yuan, basis points as percent."""
    stored = getattr(stored, "value", stored)
    if _as_yuan(field, metric) and isinstance(stored, int):
        return yuan(stored)
    if field.kind == "percent" and isinstance(stored, int):
        return percent(stored)
    return "" if stored is None else str(stored)


def _form_values(section: Section, form: dict[str, Any]) -> dict[str, Any]:
    """The form as the service's input; yuan and percent become cents and basis points here,
    exactly, and every unreadable amount is reported on its own field at once."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in section.fields:
        raw = form.get(field.name)
        try:
            if field.kind == "bool":
                values[field.name] = raw in (True, "on", "true")
            elif _as_yuan(field, str(form.get("metric") or "")):
                values[field.name] = parse_yuan(str(raw or "0"), field.name, allow_zero=True)
            elif field.kind in ("int", "metric_amount"):
                values[field.name] = str(raw or "0").strip()
            elif field.kind == "percent":
                values[field.name] = parse_percent_bp(str(raw or "0"), field.name)
            else:
                values[field.name] = str(raw or "")
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    return values
