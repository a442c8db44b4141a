"""Visit cards (次卡): selling, redeeming at the till, refunding, expiry, the report, and the
refusals a clerk is told about, with nothing written when refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from backoffice.errors import NotFound, PermissionDenied, ValidationFailed
from backoffice.models import CardStatus, DomainEvent, VisitCard, VisitCardEntry
from backoffice.services.loyalty import wallet
from backoffice.services.loyalty.card_products import ProductInput, create_card_product
from backoffice.services.loyalty.visit_card_ledger import (
    card_report,
    cards_of_member,
    expire_cards,
    notify_expiring_cards,
)
from backoffice.services.loyalty.visit_cards import (
    redeem_visit,
    refund_value,
    refund_visit_card,
    sell_visit_card,
    valid_until,
)
from tests.unit.loyalty_fixtures import new_member as enrol

_PHONES = iter(range(13_900_000_000, 13_999_999_999))


def new_member(session, admin, store_id, phone=None):  # noqa: ANN001, ANN201
    return enrol(session, admin, store_id, phone or str(next(_PHONES)))


def _product(session, org, **extra):  # noqa: ANN001, ANN003, ANN202
    data = dict(name="洗剪吹 10 次卡", price_cents=88_000, valid_days=365, visits=10)
    data.update(extra)
    product = create_card_product(session, org.actors["admin"], ProductInput(**data))
    session.commit()
    return product


@pytest.fixture
def held(session, org):  # noqa: ANN001, ANN201
    """A 10-visit card sold at SH01 to a member of SH01."""
    member = new_member(session, org.actors["admin"], org.stores["SH01"])
    product = _product(session, org, services=("洗剪吹",))
    card = sell_visit_card(
        session, org.actors["reception"], org.stores["SH01"], product.id, member_id=member.id
    )
    session.commit()
    return {"member": member, "product": product, "card": card}


def _entries(session, card_id):  # noqa: ANN001, ANN202
    return session.exec(
        select(VisitCardEntry).where(VisitCardEntry.card_id == card_id).order_by(VisitCardEntry.id)
    ).all()


def test_a_product_with_bad_fields_names_each_field(session, org):
    with pytest.raises(ValidationFailed) as caught:
        create_card_product(
            session,
            org.actors["admin"],
            ProductInput(name=" ", price_cents=0, valid_days=0, visits=0, services=("",)),
        )
    assert caught.value.errors == {
        "name": "error.required",
        "price_cents": "error.amount_range",
        "valid_days": "error.card_valid_days",
        "visits": "error.card_visits",
        "services": "error.card_services",
    }
    with pytest.raises(PermissionDenied):
        create_card_product(
            session,
            org.actors["reception"],
            ProductInput(name="卡", price_cents=100, valid_days=30),
        )


def test_selling_writes_the_card_its_ledger_and_the_event(session, org, held):
    card = held["card"]
    assert (card.visits_total, card.visits_left, card.status) == (10, 10, CardStatus.ACTIVE)
    assert card.services == ["洗剪吹"] and card.price_cents == 88_000
    [sold] = _entries(session, card.id)
    assert (sold.kind, sold.visits_delta, sold.amount_cents) == ("sold", 10, 88_000)
    names = session.exec(select(DomainEvent.name)).all()
    assert "card.sold" in names


def test_a_card_is_valid_through_the_last_day_in_the_chains_zone(clock):
    from datetime import UTC, datetime

    sold = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    end = valid_until(sold, 30)
    assert end.astimezone(UTC).isoformat() == "2027-01-05T15:59:59.999999+00:00"  # 6 Jan 23:59:59


def test_redeeming_takes_one_visit_and_records_the_clerk(session, org, held):
    reception = org.actors["reception"]
    entry = redeem_visit(
        session, reception, org.stores["SH01"], held["card"].id, member_id=held["member"].id
    )
    session.commit()
    assert (entry.kind, entry.visits_delta, entry.visits_left) == ("redeemed", -1, 9)
    assert entry.actor_id == reception.staff_id and entry.service == "洗剪吹"
    card = session.get(VisitCard, held["card"].id)
    assert (card.visits_left, card.visits_used) == (9, 1)


def test_the_last_visit_uses_the_card_up_and_a_further_visit_is_refused(session, org, held):
    reception, store = org.actors["reception"], org.stores["SH01"]
    for _ in range(10):
        redeem_visit(session, reception, store, held["card"].id, member_id=held["member"].id)
    session.commit()
    card = session.get(VisitCard, held["card"].id)
    assert (card.visits_left, card.status) == (0, CardStatus.USED_UP)
    with pytest.raises(ValidationFailed) as caught:
        redeem_visit(session, reception, store, card.id, member_id=held["member"].id)
    assert caught.value.errors == {"card_id": "error.card_used_up"}
    assert len(_entries(session, card.id)) == 11
    names = session.exec(select(DomainEvent.name).where(DomainEvent.name == "card.low_remaining"))
    assert len(names.all()) == 2  # one visit left, then none


def test_refusals_name_the_reason_and_write_nothing(session, org, held, clock):
    reception = org.actors["reception"]
    member_id, card_id = held["member"].id, held["card"].id
    other = new_member(session, org.actors["admin"], org.stores["SH01"], phone="13900001111")
    session.commit()
    with pytest.raises(NotFound):  # someone else's card: the same answer as no card
        redeem_visit(session, reception, org.stores["SH01"], card_id, member_id=other.id)
    with pytest.raises(NotFound):
        redeem_visit(session, reception, org.stores["SH01"], 99_999, member_id=member_id)
    with pytest.raises(ValidationFailed) as caught:
        redeem_visit(
            session, reception, org.stores["SH01"], card_id, member_id=member_id, service="染发"
        )
    assert caught.value.errors == {"service": "error.card_service"}
    clock.shift(timedelta(days=400))
    with pytest.raises(ValidationFailed) as caught:
        redeem_visit(session, reception, org.stores["SH01"], card_id, member_id=member_id)
    assert caught.value.errors == {"card_id": "error.card_expired"}
    session.rollback()
    assert len(_entries(session, card_id)) == 1
    assert session.get(VisitCard, card_id).visits_left == 10


def test_a_card_only_works_at_the_stores_its_product_lists(session, org):
    owner = org.actors["owner"]
    member = new_member(session, org.actors["admin"], org.stores["SH01"])
    product = _product(session, org, name="上海专享卡", store_ids=(org.stores["SH01"],))
    with pytest.raises(ValidationFailed) as caught:
        sell_visit_card(session, owner, org.stores["BJ01"], product.id, member_id=member.id)
    assert caught.value.errors == {"product_id": "error.card_store"}
    card = sell_visit_card(session, owner, org.stores["SH01"], product.id, member_id=member.id)
    with pytest.raises(ValidationFailed) as caught:
        redeem_visit(session, owner, org.stores["BJ01"], card.id, member_id=member.id)
    assert caught.value.errors == {"card_id": "error.card_store"}


def test_a_clerk_cannot_sell_or_redeem_at_another_store(session, org, held):
    clerk_gz = org.actors["reception_gz"]
    with pytest.raises(PermissionDenied):
        redeem_visit(
            session, clerk_gz, org.stores["SH01"], held["card"].id, member_id=held["member"].id
        )
    with pytest.raises(NotFound):  # by id, a member of another store is not found
        redeem_visit(
            session, clerk_gz, org.stores["GZ01"], held["card"].id, member_id=held["member"].id
        )
    with pytest.raises(NotFound):
        cards_of_member(session, clerk_gz, held["member"].id)


def test_the_same_request_id_sells_and_redeems_once(session, org):
    reception, store = org.actors["reception"], org.stores["SH01"]
    member = new_member(session, org.actors["admin"], store)
    product = _product(session, org)
    first = sell_visit_card(
        session, reception, store, product.id, member_id=member.id, request_id="pos-1"
    )
    again = sell_visit_card(
        session, reception, store, product.id, member_id=member.id, request_id="pos-1"
    )
    assert first.id == again.id
    one = redeem_visit(session, reception, store, first.id, member_id=member.id, request_id="r-1")
    two = redeem_visit(session, reception, store, first.id, member_id=member.id, request_id="r-1")
    session.commit()
    assert one.id == two.id and session.get(VisitCard, first.id).visits_left == 9
    assert session.exec(select(func.count()).select_from(VisitCard)).one() == 1


def test_paying_with_stored_value_takes_it_and_refund_can_give_it_back(session, org):
    reception, store = org.actors["reception"], org.stores["SH01"]
    member = new_member(session, org.actors["admin"], store)
    wallet.top_up(session, reception, store, 100_000, member_id=member.id)
    product = _product(session, org)
    card = sell_visit_card(
        session, reception, store, product.id, member_id=member.id, pay_method="stored_value"
    )
    assert sum(wallet.balances(session, member.id)) == 100_000 - 88_000
    for _ in range(3):
        redeem_visit(session, reception, store, card.id, member_id=member.id)
    entry = refund_visit_card(
        session, org.actors["owner"], store, card.id, member_id=member.id, refund_to="stored_value"
    )
    session.commit()
    # 7 of 10 visits unused: ¥616, less the 10 % fee: ¥554.40
    assert entry.amount_cents == 55_440 and entry.visits_delta == -7
    assert sum(wallet.balances(session, member.id)) == 12_000 + 55_440
    assert session.get(VisitCard, card.id).status == CardStatus.REFUNDED
    with pytest.raises(ValidationFailed) as caught:
        refund_visit_card(session, org.actors["owner"], store, card.id, member_id=member.id)
    assert caught.value.errors == {"card_id": "error.card_refunded"}


def test_refund_needs_the_refund_permission(session, org, held):
    reception = org.actors["reception"]
    assert not reception.can("sales.refund")
    with pytest.raises(PermissionDenied):
        refund_visit_card(
            session, reception, org.stores["SH01"], held["card"].id, member_id=held["member"].id
        )


def test_an_unlimited_card_refunds_by_days_left(session, org, clock):
    store = org.stores["SH01"]
    member = new_member(session, org.actors["admin"], store)
    product = _product(session, org, name="月卡", visits=None, valid_days=30, price_cents=30_000)
    card = sell_visit_card(session, org.actors["reception"], store, product.id, member_id=member.id)
    entry = redeem_visit(session, org.actors["reception"], store, card.id, member_id=member.id)
    assert entry.visits_left is None and entry.visits_delta == 0
    session.commit()
    total = card.expires_at - card.sold_at
    clock.shift(total / 2)
    value = refund_value(session.get(VisitCard, card.id), card.sold_at + total / 2, fee_bp=0)
    assert abs(value - 15_000) <= 1


def test_expiry_notices_once_then_expiry_closes_the_card(session, org, held, clock):
    card_id = held["card"].id
    assert notify_expiring_cards(session) == 0
    clock.shift(timedelta(days=360))
    assert notify_expiring_cards(session) == 1
    assert notify_expiring_cards(session) == 0  # the same night again: no second notice
    assert expire_cards(session) == 0
    clock.shift(timedelta(days=6))
    assert expire_cards(session) == 1
    session.commit()
    card = session.get(VisitCard, card_id)
    assert (card.status, card.visits_left) == (CardStatus.EXPIRED, 0)
    assert [e.kind for e in _entries(session, card_id)] == ["sold", "expired"]
    assert _entries(session, card_id)[-1].visits_delta == -10


def test_the_report_counts_sales_visits_and_what_is_still_owed(session, org, held):
    reception, store = org.actors["reception"], org.stores["SH01"]
    for _ in range(4):
        redeem_visit(session, reception, store, held["card"].id, member_id=held["member"].id)
    session.commit()
    [sh01] = card_report(session, org.actors["admin"])
    assert (sh01.store_id, sh01.sold, sh01.sold_cents, sh01.redeemed) == (store, 1, 88_000, 4)
    assert (sh01.active, sh01.liability_cents) == (1, 52_800)  # 6 of 10 visits of ¥880
    gz_member = new_member(session, org.actors["admin"], org.stores["GZ01"])
    sell_visit_card(
        session, org.actors["admin"], org.stores["GZ01"], held["product"].id, member_id=gz_member.id
    )
    assert len(card_report(session, org.actors["admin"])) == 2
    assert [f.store_id for f in card_report(session, org.actors["owner"])] == [store]
    with pytest.raises(PermissionDenied):
        card_report(session, org.actors["reception_gz"])


op = st.sampled_from(["redeem", "redeem", "redeem", "refund", "expire", "sell"])


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=st.lists(op, min_size=1, max_size=25))
def test_remaining_visits_equal_the_ledger_and_never_go_negative(session, org, ops):
    """remaining = sold − redeemed − expired − refunded, for every card, whatever happens."""
    reception, store = org.actors["reception"], org.stores["SH01"]
    member = new_member(session, org.actors["admin"], store)
    product = _product(session, org, name=f"卡{member.id}", visits=3)
    cards = [sell_visit_card(session, reception, store, product.id, member_id=member.id)]
    for step in ops:
        card = cards[-1]
        try:
            if step == "sell":
                cards.append(
                    sell_visit_card(session, reception, store, product.id, member_id=member.id)
                )
            elif step == "redeem":
                redeem_visit(session, reception, store, card.id, member_id=member.id)
            elif step == "refund":
                owner = org.actors["owner"]
                refund_visit_card(session, owner, store, card.id, member_id=member.id)
            else:
                expire_cards(session, card.expires_at + timedelta(seconds=1))
        except ValidationFailed:
            pass
    session.flush()
    for card in cards:
        session.refresh(card)
        ledger = session.exec(
            select(func.sum(VisitCardEntry.visits_delta)).where(VisitCardEntry.card_id == card.id)
        ).one()
        assert card.visits_left is not None and card.visits_left >= 0
        assert card.visits_left == ledger
        assert card.visits_used <= 3
    session.rollback()
