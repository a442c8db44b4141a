"""Loyalty settings are typed in yuan and percent and stored in cents and basis points,
exactly; each rule is also said as a sentence."""

from __future__ import annotations

import pytest

from backoffice.errors import ValidationFailed
from backoffice.i18n import t
from backoffice.money import parse_percent_bp, parse_yuan, percent, yuan
from backoffice.pages.loyalty.settings_sections import SECTIONS, _form_values, input_text
from backoffice.pages.loyalty.settings_sentences import rule_sentence


@pytest.mark.parametrize(
    ("typed", "bp"), [("5", 500), ("12.5", 1250), ("0.01", 1), ("100", 10000), ("7%", 700)]
)
def test_percent_becomes_basis_points_exactly(typed, bp):
    assert parse_percent_bp(typed, "f") == bp
    assert parse_percent_bp(percent(bp), "f") == bp


@pytest.mark.parametrize("typed", ["abc", "-1", "100.01", "1.234", "NaN", "inf"])
def test_a_percent_that_cannot_be_stored_is_a_field_error(typed):
    with pytest.raises(ValidationFailed) as err:
        parse_percent_bp(typed, "discount_bp")
    assert err.value.errors == {"discount_bp": "error.percent"}


@pytest.mark.parametrize("typed", ["NaN", "inf", "-0.01", "1.005"])
def test_an_amount_that_cannot_be_stored_is_a_field_error(typed):
    with pytest.raises(ValidationFailed):
        parse_yuan(typed, "per_cents")


def test_the_spend_rule_form_is_typed_in_yuan_and_saved_in_cents():
    form = {"name": "消费积分", "kind": "spend", "points": "2", "per_cents": "10.50"}
    assert _form_values(SECTIONS["rules"], form)["per_cents"] == 1050
    rule = SECTIONS["rules"].fields[3]
    assert rule.name == "per_cents" and input_text(rule, 1050) == yuan(1050) == "10.50"


def test_every_bad_amount_is_reported_on_its_own_field_at_once():
    form = {"name": "x", "kind": "amount_off", "amount_off_cents": "三十", "percent_off_bp": "120"}
    with pytest.raises(ValidationFailed) as err:
        _form_values(SECTIONS["coupons"], form)
    assert err.value.errors == {
        "amount_off_cents": "error.money",
        "percent_off_bp": "error.percent",
    }


def test_policy_share_is_a_percent_and_low_balance_yuan():
    form = {"points_expiry_months": "12", "max_points_share_bp": "50", "low_balance_cents": "50"}
    values = _form_values(SECTIONS["policy"], form)
    assert values["max_points_share_bp"] == 5000 and values["low_balance_cents"] == 5000


def _say(section: str, values: dict[str, str], lang: str = "zh-CN") -> str:
    return rule_sentence(section, values, lambda k, **p: t(lang, k, **p), lang, 12)


def test_a_spend_rule_reads_as_a_sentence_with_the_expiry():
    values = {"kind": "spend", "per_cents": "1", "points": "1"}
    assert _say("rules", values) == "每消费 ¥1 得 1 积分，积分在获得后第 12 个月末过期"
    assert _say("rules", values, "en").startswith("Every ¥1 spent earns 1 points")


def test_coupon_and_top_up_sentences_show_yuan_not_cents():
    coupon = {"kind": "amount_off", "amount_off_cents": "30", "threshold_cents": "200"}
    assert _say("coupons", {**coupon, "valid_days": "30"}).startswith("满 ¥200 减 ¥30")
    assert _say("topup", {"min_cents": "500", "bonus_cents": "50.5"}) == "充值满 ¥500 赠送 ¥50.50"


def test_a_value_being_typed_that_cannot_be_read_gives_no_sentence():
    assert _say("topup", {"min_cents": "5o0", "bonus_cents": "50"}) == ""


def test_a_spend_tier_threshold_is_typed_in_yuan_a_visits_threshold_as_a_count():
    tiers = SECTIONS["tiers"]
    threshold = next(f for f in tiers.fields if f.name == "threshold")
    spend = {"code": "S", "name": "银卡", "metric": "spend", "threshold": "2000", "rank": "1"}
    assert _form_values(tiers, spend)["threshold"] == 200_000
    assert input_text(threshold, 200_000, "spend") == "2000.00"
    visits = {**spend, "metric": "visits", "threshold": "12"}
    assert _form_values(tiers, visits)["threshold"] == "12"
    assert input_text(threshold, 12, "visits") == "12"
    said = _say("tiers", {**spend, "window_days": "365", "discount_bp": "5"})
    assert said.startswith("近 365 天内消费满 ¥2,000 即升入此等级")
