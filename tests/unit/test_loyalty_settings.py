"""Editing the programme: every settings kind validates, saves and audits what changed, and
only loyalty.manage may change it."""

from __future__ import annotations

import pytest
from sqlmodel import select

from backoffice.errors import PermissionDenied, ValidationFailed
from backoffice.models import AuditEntry
from backoffice.services.loyalty import catalog, coupons, earn_rules, tiers, topup_rules
from backoffice.services.loyalty.policy import LoyaltySettingsInput, update_settings
from backoffice.services.messaging import messages as messaging

CASES = [
    (
        tiers.create_tier,
        tiers.update_tier,
        tiers.TierInput(code="VIP", name="贵宾", rank=5),
        {"discount_bp": 800},
        "tiers.update",
    ),
    (
        earn_rules.create_rule,
        earn_rules.update_rule,
        earn_rules.EarnRuleInput(name="消费", kind="spend"),
        {"points": 2},
        "earn_rules.update",
    ),
    (
        catalog.create_item,
        catalog.update_item,
        catalog.CatalogItemInput(name="毛巾", points_price=100, stock=3),
        {"stock": 9},
        "catalog.update",
    ),
    (
        topup_rules.create_topup_rule,
        topup_rules.update_topup_rule,
        topup_rules.TopupRuleInput(min_cents=10_000, bonus_cents=1_000),
        {"bonus_cents": 2_000},
        "topup_rules.update",
    ),
    (
        coupons.create_template,
        coupons.update_template,
        coupons.CouponTemplateInput(
            name="满100减10", kind="amount_off", amount_off_cents=1_000, threshold_cents=10_000
        ),
        {"amount_off_cents": 1_500},
        "coupons.template_update",
    ),
    (
        messaging.create_template,
        messaging.update_template,
        messaging.TemplateInput(name="问候", body="您好 {{member.name}}"),
        {"body": "早安 {{member.name}}"},
        "messages.template_update",
    ),
]


@pytest.mark.parametrize(("create", "update", "data", "change", "action"), CASES)
def test_an_edit_is_saved_and_audited_with_before_and_after(
    session, org, create, update, data, change, action
):
    admin = org.actors["admin"]
    row = create(session, admin, data)
    update(session, admin, row.id, data.model_copy(update=change))
    session.commit()
    ((field, value),) = change.items()
    assert getattr(row, field) == value
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == action)).one()
    assert entry.changes[field][1] == value
    # Franchise owners only read the loyalty programme; auditors only read campaign templates.
    reader = "auditor" if action.startswith("messages.") else "owner"
    with pytest.raises(PermissionDenied):
        update(session, org.actors[reader], row.id, data)


def test_policy_validation_names_each_field(session, org):
    with pytest.raises(ValidationFailed) as err:
        update_settings(
            session,
            org.actors["admin"],
            LoyaltySettingsInput(
                points_expiry_months=0, max_points_share_bp=20_000, low_balance_cents=-1
            ),
        )
    assert set(err.value.errors) == {
        "points_expiry_months",
        "max_points_share_bp",
        "low_balance_cents",
    }
