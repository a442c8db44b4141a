"""The condition language, each rule guarded: every kind (member field, custom field, tier,
store, tag, activity in N days, coupon held, consent, purchase summary) and every operator,
AND/OR groups, for a batch and for one member, and the problems a designer is told about."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from backoffice.models import PointsKind
from backoffice.services.loyalty import points, tiers
from backoffice.services.loyalty.coupons import issue_coupon
from backoffice.services.loyalty.sales import SaleInput, record_sale
from backoffice.services.members.forms import FieldInput, add_field
from backoffice.services.members.profiles import MemberInput, create_member
from backoffice.services.messaging.rules import set_consent
from backoffice.workflows.conditions import Group, Rule, matches, matching_ids, problems
from tests.unit.loyalty_fixtures import setup_programme


@pytest.fixture
def crowd(session, org):
    """Three members: 李雷 (SH01, tags vip, spends ¥300), 韩梅 (BJ01, GOLD), 王五 (SH01)."""
    admin = org.actors["admin"]
    programme = setup_programme(session, admin)
    add_field(session, admin, FieldInput(key="skin", label="肤质"))
    session.commit()

    def person(name: str, phone: str, store: str, **extra) -> int:  # noqa: ANN003
        data = MemberInput(name=name, phone=phone, home_store_id=org.stores[store], **extra)
        return create_member(session, admin, data).id

    li = person(
        "李雷",
        "13700000001",
        "SH01",
        tags=["vip"],
        email="li@example.com",
        gender="male",
        birthday=date(1990, 5, 17),
        custom={"skin": "敏感"},
    )
    han = person("韩梅", "13700000002", "BJ01", custom={"skin": "干性"})
    wang = person("王五", "13700000003", "SH01")
    record_sale(
        session,
        org.actors["reception"],
        SaleInput(member_id=li, store_id=org.stores["SH01"], amount_cents=30_000),
    )
    tiers.set_member_tier(session, admin, han, programme["tiers"]["GOLD"].id, "VIP")
    session.commit()
    return {
        "ids": {"li": li, "han": han, "wang": wang},
        "org": org,
        "admin": admin,
        **programme,
    }


def _who(session, crowd, *rules, match: str = "all") -> set[str]:  # noqa: ANN002
    """Names of the crowd matching the rules, asked for the batch and for each member alone."""
    group = Group(match=match, rules=list(rules))
    ids = crowd["ids"]
    batch = matching_ids(session, group, list(ids.values()))
    alone = {i for i in ids.values() if matches(session, group, i)}
    assert batch == alone
    return {name for name, i in ids.items() if i in batch}


def _field(field: str, op: str, value=None) -> Rule:  # noqa: ANN001
    return Rule(kind="field", field=field, op=op, value=value)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (_field("name", "eq", "李雷"), {"li"}),
        (_field("name", "ne", "李雷"), {"han", "wang"}),
        (_field("name", "contains", "梅"), {"han"}),
        (_field("name", "in", ["王五", "韩梅"]), {"han", "wang"}),
        (_field("email", "empty"), {"han", "wang"}),
        (_field("email", "not_empty"), {"li"}),
        (_field("gender", "eq", "male"), {"li"}),
        (_field("birthday", "lt", "1990-05-18"), {"li"}),
        (_field("birthday", "lte", "1990-05-17"), {"li"}),
        (_field("birthday", "gt", "1990-05-17"), set()),
        (_field("birthday", "gte", "1990-05-17"), {"li"}),
        (_field("birthday", "eq", "1990-05-17"), {"li"}),
        (_field("birthday", "in", ["1990-05-17", "2000-01-01"]), {"li"}),
        (_field("birthday", "empty"), {"han", "wang"}),
        (_field("birthday", "not_empty"), {"li"}),
        (_field("joined_at", "gte", "2000-01-01"), {"li", "han", "wang"}),
        (_field("joined_at", "lt", "2000-01-01T00:00:00"), set()),
        (_field("status", "eq", "active"), {"li", "han", "wang"}),
        (_field("status", "ne", "active"), set()),
    ],
)
def test_member_fields_with_each_operator(session, crowd, rule, expected):
    assert _who(session, crowd, rule) == expected


def test_a_date_rule_that_is_not_a_date_is_a_problem_and_matches_no_one(session, crowd):
    bad = _field("birthday", "lt", "17/05/1990")
    assert "error.date" in problems(Group(rules=[bad]), session)
    assert _who(session, crowd, bad) == set()
    assert "error.date" in problems(Group(rules=[_field("joined_at", "in", ["x"])]), session)
    assert problems(Group(rules=[_field("birthday", "lt", "1990-05-17")]), session) == []


def test_home_store_and_store_in(session, crowd):
    sh01, bj01 = crowd["org"].stores["SH01"], crowd["org"].stores["BJ01"]
    assert _who(session, crowd, _field("home_store_id", "eq", bj01)) == {"han"}
    assert _who(session, crowd, Rule(kind="store_in", value=[sh01])) == {"li", "wang"}
    assert _who(session, crowd, Rule(kind="store_in", value=[str(bj01)])) == {"han"}
    assert _who(session, crowd, Rule(kind="store_in", value=[])) == set()


def test_custom_fields(session, crowd):
    rule = Rule(kind="custom_field", field="skin", op="eq", value="敏感")
    assert _who(session, crowd, rule) == {"li"}
    assert _who(session, crowd, rule.model_copy(update={"op": "empty"})) == {"wang"}
    assert _who(session, crowd, rule.model_copy(update={"op": "ne"})) == {"han"}


def test_tiers_count_members_never_moved_as_the_entry_tier(session, crowd):
    assert _who(session, crowd, Rule(kind="tier_in", value=["GOLD"])) == {"han"}
    assert _who(session, crowd, Rule(kind="tier_in", value=["BASIC"])) == {"li", "wang"}
    assert _who(session, crowd, Rule(kind="tier_in", value=["SILVER"])) == set()
    assert _who(session, crowd, Rule(kind="tier_in", value=["BASIC", "GOLD"])) == {
        "li",
        "han",
        "wang",
    }


def test_tags(session, crowd):
    assert _who(session, crowd, Rule(kind="tag", value="vip")) == {"li"}
    assert _who(session, crowd, Rule(kind="tag", op="ne", value="vip")) == {"han", "wang"}
    assert _who(session, crowd, Rule(kind="tag", value="vi")) == set()


def test_activity_in_the_last_n_days(session, crowd, clock):
    spend = Rule(kind="activity", field="spend", op="gte", value=30_000, days=30)
    assert _who(session, crowd, spend) == {"li"}
    assert _who(session, crowd, spend.model_copy(update={"value": 30_001})) == set()
    visits = Rule(kind="activity", field="visits", op="eq", value=0, days=30)
    assert _who(session, crowd, visits) == {"han", "wang"}
    earned = Rule(kind="activity", field="points", op="gt", value=299, days=30)
    assert _who(session, crowd, earned) == {"li"}
    clock.shift(timedelta(days=31))
    assert _who(session, crowd, spend) == set()
    assert _who(session, crowd, spend.model_copy(update={"days": 32})) == {"li"}
    points.credit(session, crowd["ids"]["wang"], 500, PointsKind.EARN, cause_type="sale")
    assert _who(session, crowd, earned.model_copy(update={"days": 1})) == {"wang"}


def test_a_coupon_held_counts_only_while_issued_and_valid(session, crowd, clock):
    issue_coupon(session, crowd["admin"], crowd["amount_off"].id, crowd["ids"]["wang"])
    session.commit()
    held = Rule(kind="has_coupon")
    assert _who(session, crowd, held) == {"wang"}
    assert _who(session, crowd, held.model_copy(update={"op": "ne"})) == {"li", "han"}
    clock.shift(timedelta(days=3650))
    assert _who(session, crowd, held) == set()


def test_consent_per_channel(session, crowd):
    set_consent(session, crowd["ids"]["han"], "sms", False)
    session.commit()
    consents = Rule(kind="consent", field="sms", op="eq")
    assert _who(session, crowd, consents) == {"li", "wang"}
    assert _who(session, crowd, consents.model_copy(update={"op": "ne"})) == {"han"}
    assert _who(session, crowd, Rule(kind="consent", field="email")) == {"li", "han", "wang"}


def test_purchase_summary(session, crowd):
    assert _who(session, crowd, Rule(kind="rfm", field="frequency", op="gte", value=1)) == {"li"}
    assert _who(session, crowd, Rule(kind="rfm", field="monetary", op="eq", value=30_000)) == {"li"}
    assert _who(session, crowd, Rule(kind="rfm", field="recency_days", op="lte", value=0)) == {"li"}
    assert _who(session, crowd, Rule(kind="rfm", field="recency_days", op="gt", value=0)) == set()
    assert _who(session, crowd, Rule(kind="rfm", field="nonsense", op="eq", value=1)) == set()


def test_groups_combine_with_and_or(session, crowd):
    vip = Rule(kind="tag", value="vip")
    gold = Rule(kind="tier_in", value=["GOLD"])
    assert _who(session, crowd, vip, gold) == set()
    assert _who(session, crowd, vip, gold, match="any") == {"li", "han"}
    nested = Group(match="any", rules=[vip, gold])
    sh01 = Rule(kind="store_in", value=[crowd["org"].stores["SH01"]])
    assert _who(session, crowd, nested, sh01) == {"li"}
    assert _who(session, crowd) == {"li", "han", "wang"}  # no rule: everyone
    assert matching_ids(session, Group(), []) == set()


def test_problems_name_what_is_wrong(session, crowd):
    def told(*rules) -> list[str]:  # noqa: ANN002
        return problems(Group(rules=[Group(rules=list(rules))]), session)

    assert told(_field("name", "eq", "x"), Rule(kind="custom_field", field="skin")) == []
    assert told(_field("password", "eq", "x")) == ["error.condition_field"]
    assert told(Rule(kind="custom_field", field="nope")) == ["error.field_unknown"]
    assert told(Rule(kind="activity", field="age", value=1)) == ["error.condition_metric"]
    assert told(Rule(kind="activity", field="spend", value="many")) == ["error.number"]
    assert told(Rule(kind="activity", field="visits", value=2.5)) == []
    assert told(Rule(kind="tier_in", value="GOLD")) == ["error.condition_list"]
    assert told(Rule(kind="store_in", value=1)) == ["error.condition_list"]
    assert told(Rule(kind="tier_in", value=["GOLD"]), Rule(kind="store_in", value=[1])) == []
    assert told(Rule(kind="rfm", field="age", value=1)) == ["error.condition_metric"]
    assert told(Rule(kind="rfm", field="frequency", value=None)) == ["error.number"]
    assert told(Rule(kind="rfm", field="monetary", value=5)) == []
    assert told(Rule(kind="tag", field="whatever", value=None)) == []
