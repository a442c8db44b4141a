"""The points rules, each guarded: lots expire at the end of the Nth month after earning (in
the organisation's time), spending and expiry consume the oldest lots first, the balance never
goes below zero, expiry writes one entry per member, the expiring notice goes out once, and a
hand adjustment needs the permission, a reason and a sensible amount."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from backoffice.errors import NotFound, PermissionDenied, ValidationFailed
from backoffice.models import DomainEvent, PointsEntry, PointsKind
from backoffice.services.loyalty import points
from backoffice.services.loyalty.policy import current_settings
from tests.unit.foundation_fixtures import last_audit
from tests.unit.loyalty_fixtures import new_member

SHANGHAI_OFFSET = timedelta(hours=8)


def _utc(local: str) -> datetime:
    """A Shanghai wall-clock time (the organisation's default zone) as UTC."""
    return (datetime.fromisoformat(local) - SHANGHAI_OFFSET).replace(tzinfo=UTC)


@pytest.fixture
def people(session, org):
    admin = org.actors["admin"]
    sh01 = org.stores["SH01"]
    members = [new_member(session, admin, sh01, f"1380000{n:04d}") for n in range(3)]
    session.commit()
    return {"admin": admin, "owner": org.actors["owner"], "members": members, "org": org}


def _earn(session, member_id: int, amount: int, **kwargs) -> PointsEntry:  # noqa: ANN003
    return points.credit(session, member_id, amount, PointsKind.EARN, cause_type="sale", **kwargs)


def _spend(session, member_id: int, amount: int) -> PointsEntry:
    return points.debit(session, member_id, amount, PointsKind.SPEND, cause_type="sale")


def _open_lots(session, member_id: int) -> list[tuple[int, int]]:
    """(delta, remaining) of each earned lot, in the order they were earned."""
    rows = session.exec(
        select(PointsEntry)
        .where(PointsEntry.member_id == member_id, PointsEntry.delta > 0)
        .order_by(PointsEntry.id)
    ).all()
    return [(r.delta, r.remaining) for r in rows]


def _entries(session, member_id: int, kind: PointsKind) -> list[PointsEntry]:
    return list(
        session.exec(
            select(PointsEntry)
            .where(PointsEntry.member_id == member_id, PointsEntry.kind == kind)
            .order_by(PointsEntry.id)
        ).all()
    )


# ---- expiry date --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("earned", "months", "expires"),
    [
        ("2026-03-04T10:30:00", 12, "2027-03-31T23:59:59"),  # a year on, end of that month
        ("2026-03-04T10:30:00", 1, "2026-04-30T23:59:59"),  # a 30-day month
        ("2026-11-15T12:00:00", 3, "2027-02-28T23:59:59"),  # over New Year into February
        ("2027-11-15T12:00:00", 3, "2028-02-29T23:59:59"),  # a leap February
        ("2026-12-31T23:00:00", 0, "2026-12-31T23:59:59"),  # the same month
        ("2026-05-01T01:00:00", 1, "2026-06-30T23:59:59"),  # 1 May in Shanghai, 30 April in UTC
        ("2026-01-10T08:00:00", 11, "2026-12-31T23:59:59"),  # December, not month 13
    ],
)
def test_a_lot_expires_at_the_end_of_the_nth_month_after_earning(earned, months, expires):
    assert points.expiry_for(_utc(earned), months) == _utc(expires)


def test_earned_points_expire_at_the_end_of_the_policy_month(session, people, clock):
    member = people["members"][0]
    current_settings(session).points_expiry_months = 6
    clock.move_to(_utc("2026-03-04T10:30:00"))
    lot = _earn(session, member.id, 100)
    assert lot.expires_at == _utc("2026-09-30T23:59:59")
    assert (lot.remaining, lot.delta, lot.balance_after) == (100, 100, 100)
    kept = points.credit(session, member.id, 5, PointsKind.REFUND, cause_type="refund", lot=False)
    assert kept.expires_at is None and kept.balance_after == 105


def test_bulk_grants_make_lots_like_a_single_grant(session, people, clock):
    """A campaign's grant to many members (credit_many) follows the same rules as one."""
    a, b, c = people["members"]
    clock.move_to(_utc("2026-03-04T10:30:00"))
    _earn(session, a.id, 40)
    points.credit_many(
        session, [(a.id, None, "r1"), (b.id, 7, "r2")], 25, PointsKind.EARN, cause_type="workflow"
    )
    points.credit_many(session, [], 25, PointsKind.EARN, cause_type="workflow")
    assert points.balances_of(session, [a.id, b.id, c.id]) == {a.id: 65, b.id: 25}
    lots = session.exec(
        select(PointsEntry).where(PointsEntry.cause_type == "workflow").order_by(PointsEntry.id)
    ).all()
    assert [(e.member_id, e.store_id, e.cause_id) for e in lots] == [
        (a.id, None, "r1"),
        (b.id, 7, "r2"),
    ]
    assert [(e.delta, e.remaining, e.balance_after) for e in lots] == [(25, 25, 65), (25, 25, 25)]
    assert {e.expires_at for e in lots} == {_utc("2027-03-31T23:59:59")}
    assert {e.kind for e in lots} == {PointsKind.EARN}


# ---- balance and lots ---------------------------------------------------------------------


def test_credit_and_debit_refuse_amounts_that_are_not_positive(session, people):
    member = people["members"][0]
    for amount in (0, -5):
        with pytest.raises(ValueError):
            _earn(session, member.id, amount)
        with pytest.raises(ValueError):
            _spend(session, member.id, amount)
    assert points.balance_of(session, member.id) == 0


def test_spending_more_than_the_balance_is_refused_and_changes_nothing(session, people):
    member = people["members"][0]
    _earn(session, member.id, 100)
    with pytest.raises(ValidationFailed) as refused:
        points.debit(session, member.id, 101, PointsKind.REDEEM, cause_type="catalog", field="item")
    assert refused.value.errors == {"item": "error.points_insufficient"}
    with pytest.raises(ValidationFailed) as never_earned:
        _spend(session, people["members"][1].id, 1)
    assert never_earned.value.errors == {"points": "error.points_insufficient"}
    assert points.balance_of(session, member.id) == 100 and _open_lots(session, member.id) == [
        (100, 100)
    ]
    spent = _spend(session, member.id, 100)  # exactly the balance is allowed
    assert spent.balance_after == 0 and spent.delta == -100


def test_spending_consumes_the_lot_that_expires_first(session, people, clock):
    member = people["members"][0]
    clock.move_to(_utc("2026-01-10T10:00:00"))
    _earn(session, member.id, 100)  # expires end of January 2027
    clock.move_to(_utc("2026-03-10T10:00:00"))
    _earn(session, member.id, 50)  # expires end of March 2027
    _earn(session, member.id, 30)  # same month, earned later
    spent = _spend(session, member.id, 120)
    assert _open_lots(session, member.id) == [(100, 0), (50, 30), (30, 30)]
    assert (spent.delta, spent.balance_after, spent.kind) == (-120, 60, PointsKind.SPEND)
    _spend(session, member.id, 40)
    assert _open_lots(session, member.id) == [(100, 0), (50, 0), (30, 20)]


def test_a_shorter_policy_lot_earned_later_is_still_spent_first(session, people, clock):
    """Oldest-expiring first, not oldest-earned: the policy may shorten expiry meanwhile."""
    member = people["members"][0]
    clock.move_to(_utc("2026-03-10T10:00:00"))
    _earn(session, member.id, 100)  # 12 months: March 2027
    current_settings(session).points_expiry_months = 2
    _earn(session, member.id, 100)  # 2 months: May 2026
    _spend(session, member.id, 30)
    assert _open_lots(session, member.id) == [(100, 100), (100, 70)]


def test_a_spend_across_many_lots_reads_them_in_chunks(session, people):
    member = people["members"][0]
    for _ in range(45):
        _earn(session, member.id, 2)
    _spend(session, member.id, 85)
    remaining = [r for _, r in _open_lots(session, member.id)]
    assert remaining == [0] * 42 + [1, 2, 2]
    assert points.balance_of(session, member.id) == 5


def test_balances_of_many_members_leave_out_those_without_points(session, people):
    a, b, c = people["members"]
    _earn(session, a.id, 7)
    _earn(session, c.id, 9)
    assert points.balances_of(session, [a.id, b.id, c.id]) == {a.id: 7, c.id: 9}
    assert points.balance_of(session, b.id) == 0 and points.balance_of(session, c.id) == 9


def test_a_long_note_is_cut_to_the_column(session, people):
    entry = _earn(session, people["members"][0].id, 1, note="x" * 400)
    assert entry.note == "x" * 300


# ---- nightly expiry ---------------------------------------------------------------------


def test_lots_past_their_date_expire_in_one_entry_per_member(session, people, clock):
    a, b, c = people["members"]
    clock.move_to(_utc("2026-01-10T10:00:00"))
    _earn(session, a.id, 100)  # expires 2027-01-31 23:59:59
    _earn(session, a.id, 20)
    _earn(session, b.id, 70)
    clock.move_to(_utc("2026-02-10T10:00:00"))
    _earn(session, a.id, 5)  # expires 2027-02-28
    _earn(session, c.id, 9)
    _spend(session, a.id, 30)  # from a's oldest lot: 70 + 20 left to expire
    session.commit()
    at = _utc("2027-01-31T23:59:59")  # the very second the first lots expire
    report = points.expire_points(session, now=at)
    assert (report.members, report.points) == (2, 160)
    assert points.balances_of(session, [a.id, b.id, c.id]) == {a.id: 5, b.id: 0, c.id: 9}
    [expired_a] = _entries(session, a.id, PointsKind.EXPIRE)
    assert (expired_a.delta, expired_a.balance_after) == (-90, 5)
    assert (expired_a.cause_type, expired_a.cause_id) == ("expiry", "2027-01-31")
    assert expired_a.created_at == at and expired_a.expires_at is None
    assert _open_lots(session, a.id) == [(100, 0), (20, 0), (5, 5)]
    assert _entries(session, c.id, PointsKind.EXPIRE) == []
    assert last_audit(session, "points.expire").changes == {"members": 2, "points": 160}
    again = points.expire_points(session, now=at + timedelta(hours=1))
    assert (again.members, again.points) == (0, 0)


def test_a_lot_does_not_expire_a_second_before_its_date(session, people, clock):
    member = people["members"][0]
    clock.move_to(_utc("2026-01-10T10:00:00"))
    _earn(session, member.id, 100)
    report = points.expire_points(session, now=_utc("2027-01-31T23:59:58"))
    assert (report.members, report.points) == (0, 0)
    assert points.balance_of(session, member.id) == 100
    assert _open_lots(session, member.id) == [(100, 100)]


def test_expiry_in_small_chunks_gives_the_same_result(session, people, clock):
    a, b, c = people["members"]
    clock.move_to(_utc("2026-01-10T10:00:00"))
    for member, amount in ((a, 10), (b, 20), (c, 30)):
        _earn(session, member.id, amount)
    report = points.expire_points(session, now=_utc("2027-02-01T00:00:00"), batch=2)
    assert (report.members, report.points) == (3, 60)
    assert points.balances_of(session, [a.id, b.id, c.id]) == {a.id: 0, b.id: 0, c.id: 0}
    assert [e.delta for e in _entries(session, c.id, PointsKind.EXPIRE)] == [-30]


def test_expiry_defaults_to_now(session, people, clock):
    member = people["members"][0]
    clock.move_to(_utc("2026-01-10T10:00:00"))
    _earn(session, member.id, 100)
    clock.move_to(_utc("2027-02-01T09:00:00"))
    assert points.expire_points(session).points == 100
    assert points.balance_of(session, member.id) == 0


# ---- expiring notice ----------------------------------------------------------------------


def _notices(session) -> list[DomainEvent]:
    return list(
        session.exec(
            select(DomainEvent)
            .where(DomainEvent.name == "points.expiring")
            .order_by(DomainEvent.member_id, DomainEvent.id)
        ).all()
    )


def test_points_expiring_within_the_notice_window_are_announced_once(session, people, clock):
    a, b, c = people["members"]
    current_settings(session).expiring_notice_days = 10
    clock.move_to(_utc("2026-01-10T10:00:00"))
    _earn(session, a.id, 40)  # expires 2027-01-31 23:59:59
    _earn(session, a.id, 2)
    clock.move_to(_utc("2026-02-10T10:00:00"))
    _earn(session, b.id, 70)  # expires 2027-02-28: outside the window
    _earn(session, a.id, 1)  # idem
    now = _utc("2027-01-21T23:59:59")  # the window's end is exactly a's expiry
    assert points.notify_expiring_points(session, now) == 1
    [notice] = _notices(session)
    assert notice.member_id == a.id and notice.created_at == now
    assert notice.payload["points"] == 42
    assert notice.payload["expires_at"].startswith("2027-01-31 15:59:59")
    assert points.notify_expiring_points(session, now + timedelta(days=1)) == 0
    assert len(_notices(session)) == 1
    # a month on, the lots earned in February: a's 1 point in a notice of its own
    assert points.notify_expiring_points(session, _utc("2027-02-18T23:59:59")) == 2
    assert [(n.member_id, n.payload["points"]) for n in _notices(session)] == [
        (a.id, 42),
        (a.id, 1),
        (b.id, 70),
    ]


def test_the_notice_skips_lots_already_expired_or_spent(session, people, clock):
    a, b, _ = people["members"]
    clock.move_to(_utc("2026-01-10T10:00:00"))
    _earn(session, a.id, 40)
    _earn(session, b.id, 40)
    _spend(session, b.id, 40)
    # a's lot expired a second ago but the nightly expiry has not run yet
    assert points.notify_expiring_points(session, _utc("2027-02-01T00:00:00")) == 0
    assert _notices(session) == []


def test_the_notice_window_starts_just_before_the_date(session, people, clock):
    member = people["members"][0]
    current_settings(session).expiring_notice_days = 10
    clock.move_to(_utc("2026-01-10T10:00:00"))
    _earn(session, member.id, 40)
    assert points.notify_expiring_points(session, _utc("2027-01-21T23:59:58")) == 0
    clock.move_to(_utc("2027-01-25T09:00:00"))
    assert points.notify_expiring_points(session) == 1  # now by default


# ---- adjustments by hand -----------------------------------------------------------------


def test_staff_adjust_points_with_a_reason_audited(session, people):
    admin, member = people["admin"], people["members"][0]
    added = points.adjust_points(session, admin, member.id, 500, "  补录  ")
    assert (added.kind, added.delta, added.note, added.balance_after) == (
        PointsKind.ADJUST,
        500,
        "补录",
        500,
    )
    assert (added.cause_type, added.cause_id, added.actor_id) == (
        "staff",
        str(admin.staff_id),
        admin.staff_id,
    )
    assert added.store_id == member.home_store_id and added.expires_at is not None
    entry = last_audit(session, "points.adjust")
    assert entry.changes == {"points": 500, "reason": "补录", "balance": 500}
    assert entry.target_id == str(member.id) and entry.store_id == member.home_store_id
    taken = points.adjust_points(session, admin, member.id, -200, "纠错")
    assert (taken.delta, taken.balance_after) == (-200, 300)
    assert last_audit(session, "points.adjust").changes["balance"] == 300
    assert _open_lots(session, member.id) == [(500, 300)]


def test_an_adjustment_needs_a_reason_and_a_sensible_amount(session, people):
    admin, member = people["admin"], people["members"][0]
    with pytest.raises(ValidationFailed) as no_reason:
        points.adjust_points(session, admin, member.id, 5, "   ")
    assert no_reason.value.errors == {"reason": "error.reason_required"}
    for delta in (0, 10_000_001, -10_000_001):
        with pytest.raises(ValidationFailed) as bad:
            points.adjust_points(session, admin, member.id, delta, "试")
        assert bad.value.errors == {"points": "error.points_amount"}
    assert points.adjust_points(session, admin, member.id, 10_000_000, "上限").delta == 10_000_000
    assert points.adjust_points(session, admin, member.id, -10_000_000, "下限").delta == -10_000_000
    with pytest.raises(ValidationFailed) as overdraw:
        points.adjust_points(session, admin, people["members"][1].id, -1, "没有积分")
    assert overdraw.value.errors == {"points": "error.points_insufficient"}


def test_reception_cannot_adjust_points(session, people):
    reception = people["org"].actors["reception"]
    with pytest.raises(PermissionDenied):
        points.adjust_points(session, reception, people["members"][0].id, 5, "试")
    assert points.balance_of(session, people["members"][0].id) == 0


# ---- the ledger ---------------------------------------------------------------------------


def test_the_ledger_pages_newest_first(session, people):
    admin, member = people["admin"], people["members"][0]
    for n in range(1, 6):
        _earn(session, member.id, n)
    first = points.points_ledger(session, admin, member.id, page=1, page_size=2)
    assert first.total == 5 and [e.delta for e in first.rows] == [5, 4]
    second = points.points_ledger(session, admin, member.id, page=2, page_size=2)
    assert [e.delta for e in second.rows] == [3, 2]
    assert [e.delta for e in points.points_ledger(session, admin, member.id, page=0).rows] == [
        5,
        4,
        3,
        2,
        1,
    ]
    with pytest.raises(NotFound):
        points.points_ledger(session, people["org"].actors["reception_gz"], member.id)
