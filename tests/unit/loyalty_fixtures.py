"""Building blocks for loyalty tests: a programme (tiers, rules, top-up bonus) and members."""

from __future__ import annotations

from sqlmodel import Session

from backoffice.services.loyalty.coupons import CouponTemplateInput, create_template
from backoffice.services.loyalty.earn_rules import EarnRuleInput, create_rule
from backoffice.services.loyalty.enrolment import enrol_member
from backoffice.services.loyalty.tiers import TierInput, create_tier
from backoffice.services.loyalty.topup_rules import TopupRuleInput, create_topup_rule
from backoffice.services.members.profiles import MemberInput


def setup_programme(session: Session, admin) -> dict:  # noqa: ANN001
    """普通/银卡/金卡; 1 point per ¥1 paid; top up ¥1000 get ¥200; a 满减 and a 8折 coupon."""
    tiers = {
        "BASIC": create_tier(session, admin, TierInput(code="BASIC", name="普通", rank=0)),
        "SILVER": create_tier(
            session,
            admin,
            TierInput(
                code="SILVER",
                name="银卡",
                rank=1,
                threshold=100_000,
                retain_threshold=50_000,
                discount_bp=500,
                points_multiplier_pct=150,
            ),
        ),
        "GOLD": create_tier(
            session,
            admin,
            TierInput(
                code="GOLD",
                name="金卡",
                rank=2,
                threshold=500_000,
                retain_threshold=300_000,
                discount_bp=1000,
                points_multiplier_pct=200,
            ),
        ),
    }
    create_rule(
        session, admin, EarnRuleInput(name="消费积分", kind="spend", points=1, per_cents=100)
    )
    create_topup_rule(session, admin, TopupRuleInput(min_cents=100_000, bonus_cents=20_000))
    amount_off = create_template(
        session,
        admin,
        CouponTemplateInput(
            name="满200减30",
            kind="amount_off",
            amount_off_cents=3000,
            threshold_cents=20000,
            per_member_limit=0,
        ),
    )
    percent = create_template(
        session,
        admin,
        CouponTemplateInput(
            name="8折券",
            kind="percent_off",
            percent_off_bp=2000,
            stackable=True,
            per_member_limit=0,
        ),
    )
    session.flush()
    return {"tiers": tiers, "amount_off": amount_off, "percent": percent}


def new_member(session: Session, admin, store_id: int, phone: str, name: str = "会员"):  # noqa: ANN001, ANN201
    return enrol_member(  # as the desk registers a member
        session, admin, MemberInput(name=name, phone=phone, home_store_id=store_id)
    )
