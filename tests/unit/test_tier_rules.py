"""The tier rules, each guarded: a member moves up to the highest tier whose threshold they
meet in its window, the nightly run moves down only members whose tier is older than its
window and who fell below its retention threshold (to the highest lower tier they still meet,
else the entry tier), moves by hand need the permission, a reason and another active tier,
and a tier's definition is checked field by field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from backoffice.errors import NotFound, PermissionDenied, ValidationFailed
from backoffice.models import DomainEvent, PointsKind
from backoffice.services.loyalty import points, tiers
from backoffice.services.loyalty.tiers import TierInput
from tests.unit.foundation_fixtures import audit_actions, last_audit
from tests.unit.loyalty_fixtures import new_member

T0 = datetime(2026, 3, 4, 2, 30, tzinfo=UTC)


def _tier(session, admin, code: str, rank: int, **kwargs):  # noqa: ANN001, ANN003, ANN202
    data = {"metric": "points", "window_days": 30, **kwargs}
    return tiers.create_tier(session, admin, TierInput(code=code, name=code, rank=rank, **data))


@pytest.fixture
def ladder(session, org, clock):
    """BASIC / SILVER (1000 points in 30 days, keep with 500) / GOLD (5000, keep with 3000)."""
    clock.move_to(T0)
    admin = org.actors["admin"]
    made = {
        "BASIC": _tier(session, admin, "BASIC", 0),
        "SILVER": _tier(session, admin, "SILVER", 1, threshold=1000, retain_threshold=500),
        "GOLD": _tier(session, admin, "GOLD", 2, threshold=5000, retain_threshold=3000),
    }
    session.commit()
    return {"admin": admin, "org": org, "tiers": made, "store": org.stores["SH01"]}


def _member(session, ladder, phone: str):  # noqa: ANN001, ANN202
    return new_member(session, ladder["admin"], ladder["store"], phone)


def _earn(session, member, amount: int) -> None:  # noqa: ANN001
    points.credit(session, member.id, amount, PointsKind.EARN, cause_type="sale")


def _code(session, member) -> str | None:  # noqa: ANN001
    tier = tiers.tier_of(session, member)
    return tier.code if tier else None


def _tier_events(session) -> list[dict]:
    rows = session.exec(
        select(DomainEvent).where(DomainEvent.name == "tier.changed").order_by(DomainEvent.id)
    ).all()
    return [r.payload for r in rows]


# ---- upgrades -----------------------------------------------------------------------------


def test_a_member_moves_up_to_the_highest_tier_they_meet(session, ladder):
    member = _member(session, ladder, "13800000001")
    assert _code(session, member) == "BASIC"  # never moved: the entry tier
    _earn(session, member, 999)
    assert tiers.evaluate_upgrade(session, member) is None
    assert member.tier_id is None
    _earn(session, member, 4001)  # 5000 exactly: GOLD, skipping SILVER
    moved = tiers.evaluate_upgrade(session, member)
    assert moved.code == "GOLD" and member.tier_id == moved.id and member.tier_since is not None
    assert _tier_events(session) == [
        {"from": "BASIC", "to": "GOLD", "direction": "up", "reason": "qualified"}
    ]
    assert last_audit(session, "tiers.upgrade").changes == {
        "tier": ["BASIC", "GOLD"],
        "reason": "qualified",
    }
    assert tiers.evaluate_upgrade(session, member) is None  # already at the top


def test_an_upgrade_counts_only_the_tiers_window(session, ladder, clock):
    member = _member(session, ladder, "13800000002")
    _earn(session, member, 800)
    clock.move_to(T0 + timedelta(days=31))  # those 800 are outside the 30 days now
    _earn(session, member, 300)
    assert tiers.metric_value(session, member.id, "points", 30) == 300
    assert tiers.metric_value(session, member.id, "points", 32) == 1100
    assert tiers.evaluate_upgrade(session, member) is None
    _earn(session, member, 700)
    assert tiers.evaluate_upgrade(session, member).code == "SILVER"


def test_a_member_above_a_tier_is_not_moved_down_by_an_upgrade_check(session, ladder):
    member = _member(session, ladder, "13800000003")
    tiers.move_member_tier(session, member, ladder["tiers"]["GOLD"], "promotion")
    _earn(session, member, 1500)  # meets SILVER, which is below GOLD
    assert tiers.evaluate_upgrade(session, member) is None
    assert _code(session, member) == "GOLD"


def test_an_inactive_tier_is_neither_reached_nor_the_entry_tier(session, ladder):
    admin = ladder["admin"]
    gold = ladder["tiers"]["GOLD"]
    tiers.update_tier(
        session,
        admin,
        gold.id,
        TierInput(code="GOLD", name="GOLD", rank=2, metric="points", threshold=5000, active=False),
    )
    member = _member(session, ladder, "13800000004")
    _earn(session, member, 6000)
    assert tiers.evaluate_upgrade(session, member).code == "SILVER"
    assert [t.code for t in tiers.list_tiers(session)] == ["BASIC", "SILVER", "GOLD"]
    assert [t.code for t in tiers.list_tiers(session, active_only=True)] == ["BASIC", "SILVER"]


# ---- nightly downgrades -------------------------------------------------------------------


def _gold_member(session, ladder, phone: str):  # noqa: ANN001, ANN202
    member = _member(session, ladder, phone)
    tiers.move_member_tier(session, member, ladder["tiers"]["GOLD"], "promotion")
    return member


def test_the_nightly_run_moves_down_who_fell_below_retention(session, ladder, clock):
    kept = _gold_member(session, ladder, "13800000011")
    to_silver = _gold_member(session, ladder, "13800000012")
    to_basic = _gold_member(session, ladder, "13800000013")
    silver_kept = _member(session, ladder, "13800000014")
    tiers.move_member_tier(session, silver_kept, ladder["tiers"]["SILVER"], "promotion")
    clock.move_to(T0 + timedelta(days=20))
    _earn(session, kept, 3000)  # exactly the retention threshold: kept
    _earn(session, to_silver, 2999)  # below GOLD's 3000 but meets SILVER's 1000
    _earn(session, to_basic, 999)  # meets nothing above the entry tier
    _earn(session, silver_kept, 500)
    session.commit()
    before = len(_tier_events(session))
    # Ten minutes past the window: the suite's clock ticks, and on a loaded machine creating
    # four members takes more than a second (one second of margin made this flaky).
    report = tiers.evaluate_downgrades(session, now=T0 + timedelta(days=30, minutes=10))
    assert (report.checked, report.downgraded) == (4, 2)
    assert [_code(session, m) for m in (kept, to_silver, to_basic, silver_kept)] == [
        "GOLD",
        "SILVER",
        "BASIC",
        "SILVER",
    ]
    assert _tier_events(session)[before:] == [
        {"from": "GOLD", "to": "SILVER", "direction": "down", "reason": "retention"},
        {"from": "GOLD", "to": "BASIC", "direction": "down", "reason": "retention"},
    ]
    assert audit_actions(session).count("tiers.downgrade") == 2
    assert last_audit(session, "tiers.downgrade").actor_name == "system"


def test_a_tier_younger_than_its_window_is_not_checked(session, ladder, clock):
    member = _gold_member(session, ladder, "13800000021")  # GOLD since T0, earned nothing
    report = tiers.evaluate_downgrades(session, now=T0 + timedelta(days=29, hours=23))
    assert (report.checked, report.downgraded) == (0, 0)
    assert _code(session, member) == "GOLD"
    clock.move_to(T0 + timedelta(days=30, minutes=1))
    report = tiers.evaluate_downgrades(session)  # now by default
    assert (report.checked, report.downgraded) == (1, 1)
    assert _code(session, member) == "BASIC"


def test_the_tier_since_a_whole_window_ago_is_checked(session, ladder):
    member = _gold_member(session, ladder, "13800000022")
    since = member.tier_since
    report = tiers.evaluate_downgrades(session, now=since + timedelta(days=30))
    assert (report.checked, report.downgraded) == (1, 1)


def test_activity_before_the_window_does_not_retain_a_tier(session, ladder, clock):
    member = _gold_member(session, ladder, "13800000023")
    _earn(session, member, 9000)  # at T0: outside the window 31 days later
    clock.move_to(T0 + timedelta(days=31))
    assert tiers.evaluate_downgrades(session).downgraded == 1
    assert _code(session, member) == "BASIC"


def test_downgrades_go_through_every_batch(session, ladder, clock):
    members = [_gold_member(session, ladder, f"138000001{n:02d}") for n in range(5)]
    clock.move_to(T0 + timedelta(days=31))
    report = tiers.evaluate_downgrades(session, batch=2)
    assert (report.checked, report.downgraded) == (5, 5)
    assert {_code(session, m) for m in members} == {"BASIC"}


def test_a_downgrade_lands_only_on_a_lower_tier_of_the_same_measure(session, org, clock):
    """Value 40 visits-worth of points is not 40 visits: a lower tier on another measure is
    skipped, and with nothing else met the member goes to the entry tier."""
    clock.move_to(T0)
    admin = org.actors["admin"]
    _tier(session, admin, "ENTRY", 0)
    _tier(session, admin, "REGULAR", 1, metric="visits", threshold=2)
    _tier(session, admin, "STAR", 2, threshold=100, retain_threshold=50)
    member = new_member(session, admin, org.stores["SH01"], "13800000031")
    star = session.exec(select(tiers.Tier).where(tiers.Tier.code == "STAR")).one()
    tiers.move_member_tier(session, member, star, "promotion")
    clock.move_to(T0 + timedelta(days=20))
    _earn(session, member, 40)
    assert tiers.evaluate_downgrades(session, now=T0 + timedelta(days=31)).downgraded == 1
    assert _code(session, member) == "ENTRY"


# ---- moves by hand ------------------------------------------------------------------------


def test_staff_move_a_member_by_hand_with_a_reason(session, ladder):
    admin, member = ladder["admin"], _member(session, ladder, "13800000041")
    gold, silver = ladder["tiers"]["GOLD"], ladder["tiers"]["SILVER"]
    tiers.set_member_tier(session, admin, member.id, gold.id, "  VIP  ")
    assert _code(session, member) == "GOLD"
    entry = last_audit(session, "tiers.set")
    assert entry.changes == {"tier": ["BASIC", "GOLD"], "reason": "VIP"}
    assert entry.actor_id == admin.staff_id
    tiers.set_member_tier(session, admin, member.id, silver.id, "纠正")
    assert _tier_events(session)[-1] == {
        "from": "GOLD",
        "to": "SILVER",
        "direction": "down",
        "reason": "纠正",
    }


def test_a_move_by_hand_is_checked(session, ladder):
    admin, member = ladder["admin"], _member(session, ladder, "13800000042")
    silver = ladder["tiers"]["SILVER"]
    with pytest.raises(PermissionDenied):
        tiers.set_member_tier(session, ladder["org"].actors["reception"], member.id, silver.id, "x")
    with pytest.raises(ValidationFailed) as no_reason:
        tiers.set_member_tier(session, admin, member.id, silver.id, "  ")
    assert no_reason.value.errors == {"reason": "error.reason_required"}
    with pytest.raises(ValidationFailed) as missing:
        tiers.set_member_tier(session, admin, member.id, 999_999, "x")
    assert missing.value.errors == {"tier": "error.not_found"}
    tiers.set_member_tier(session, admin, member.id, silver.id, "x")
    with pytest.raises(ValidationFailed) as same:
        tiers.set_member_tier(session, admin, member.id, silver.id, "again")
    assert same.value.errors == {"tier": "error.tier_same"}
    tiers.update_tier(
        session,
        admin,
        ladder["tiers"]["GOLD"].id,
        TierInput(code="GOLD", name="GOLD", rank=2, metric="points", threshold=5000, active=False),
    )
    with pytest.raises(ValidationFailed) as inactive:
        tiers.set_member_tier(session, admin, member.id, ladder["tiers"]["GOLD"].id, "x")
    assert inactive.value.errors == {"tier": "error.not_found"}
    assert _code(session, member) == "SILVER"


# ---- progress -----------------------------------------------------------------------------


def test_progress_to_the_next_tier(session, ladder):
    member = _member(session, ladder, "13800000051")
    _earn(session, member, 250)
    progress = tiers.tier_progress(session, member)
    assert (progress.tier.code, progress.next_tier.code) == ("BASIC", "SILVER")
    assert (progress.value, progress.needed, progress.percent) == (250, 1000, 25)
    _earn(session, member, 4999)
    tiers.evaluate_upgrade(session, member)
    top = tiers.tier_progress(session, member)
    assert (top.tier.code, top.next_tier, top.percent) == ("GOLD", None, 100)


def test_progress_is_capped_and_a_free_tier_is_reached(session, org):
    admin = org.actors["admin"]
    _tier(session, admin, "ENTRY", 0)
    _tier(session, admin, "FREE", 1)  # threshold 0
    member = new_member(session, admin, org.stores["SH01"], "13800000052")
    progress = tiers.tier_progress(session, member)
    assert (progress.next_tier.code, progress.percent) == ("FREE", 100)
    _tier(session, admin, "HIGH", 2, threshold=10)
    tiers.move_member_tier(session, member, tiers.list_tiers(session)[1], "x")
    _earn(session, member, 30)
    assert tiers.tier_progress(session, member).percent == 100


def test_without_tiers_a_member_has_none(session, org):
    member = new_member(session, org.actors["admin"], org.stores["SH01"], "13800000053")
    assert tiers.tier_of(session, member) is None
    progress = tiers.tier_progress(session, member)
    assert (progress.tier, progress.next_tier, progress.percent) == (None, None, 100)


# ---- definitions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"code": "  "}, "code", "error.required"),
        ({"name": " "}, "name", "error.required"),
        ({"metric": "age"}, "metric", "error.choice"),
        ({"rank": -1}, "rank", "error.not_negative"),
        ({"threshold": -1, "retain_threshold": 0}, "threshold", "error.not_negative"),
        ({"window_days": 0}, "window_days", "error.range_1_3650"),
        ({"window_days": 3651}, "window_days", "error.range_1_3650"),
        ({"retain_threshold": 1001}, "retain_threshold", "error.retain_above_threshold"),
        ({"retain_threshold": -1}, "retain_threshold", "error.retain_above_threshold"),
        ({"discount_bp": 10000}, "discount_bp", "error.percent"),
        ({"discount_bp": -1}, "discount_bp", "error.percent"),
        ({"points_multiplier_pct": 1001}, "points_multiplier_pct", "error.range_0_1000"),
        ({"points_multiplier_pct": -1}, "points_multiplier_pct", "error.range_0_1000"),
        ({"birthday_bonus_points": -1}, "birthday_bonus_points", "error.not_negative"),
    ],
)
def test_a_tier_definition_is_checked_field_by_field(session, org, change, field, message):
    data = {"code": "VIP", "name": "VIP", "rank": 3, "threshold": 1000, **change}
    with pytest.raises(ValidationFailed) as refused:
        tiers.create_tier(session, org.actors["admin"], TierInput(**data))
    assert refused.value.errors == {field: message}


def test_the_edges_of_a_tier_definition_are_accepted(session, org):
    tier = tiers.create_tier(
        session,
        org.actors["admin"],
        TierInput(
            code=" vip ",
            name=" 贵宾 ",
            rank=0,
            metric="visits",
            threshold=10,
            retain_threshold=10,
            window_days=3650,
            discount_bp=9999,
            points_multiplier_pct=1000,
            perks=" 免费停车 ",
        ),
    )
    assert (tier.code, tier.name, tier.perks, tier.metric) == ("VIP", "贵宾", "免费停车", "visits")
    one_day = TierInput(code="DAY", name="d", rank=1, window_days=1, points_multiplier_pct=0)
    assert tiers.create_tier(session, org.actors["admin"], one_day).window_days == 1
    assert last_audit(session, "tiers.create").target_id == str(tier.id + 1)


def test_codes_and_ranks_are_unique_and_only_managers_define_tiers(session, ladder):
    admin = ladder["admin"]
    with pytest.raises(ValidationFailed) as code:
        tiers.create_tier(session, admin, TierInput(code="gold", name="x", rank=9))
    assert code.value.errors == {"code": "error.code_taken"}
    with pytest.raises(ValidationFailed) as rank:
        tiers.create_tier(session, admin, TierInput(code="NEW", name="x", rank=1))
    assert rank.value.errors == {"rank": "error.rank_taken"}
    with pytest.raises(PermissionDenied):
        tiers.create_tier(session, ladder["org"].actors["owner"], TierInput(code="N", name="n"))
    silver = ladder["tiers"]["SILVER"]
    with pytest.raises(ValidationFailed) as clash:
        tiers.update_tier(session, admin, silver.id, TierInput(code="GOLD", name="s", rank=1))
    assert clash.value.errors == {"code": "error.code_taken"}
    with pytest.raises(ValidationFailed) as clash_rank:
        tiers.update_tier(session, admin, silver.id, TierInput(code="SILVER", name="s", rank=2))
    assert clash_rank.value.errors == {"rank": "error.rank_taken"}
    renamed = tiers.update_tier(
        session, admin, silver.id, TierInput(code="SILVER", name="银", rank=1, threshold=800)
    )
    assert (renamed.name, renamed.threshold) == ("银", 800)
    with pytest.raises(NotFound):
        tiers.update_tier(session, admin, 999_999, TierInput(code="X", name="x"))
    with pytest.raises(PermissionDenied):
        tiers.update_tier(
            session, ladder["org"].actors["owner"], silver.id, TierInput(code="S", name="s")
        )
