"""Tills racing on one visit card, on the real database (SQLite file by default, PostgreSQL
when DATABASE_URL points there): 30 tills redeem a 3-visit card at once; exactly 3 succeed,
the rest are told the card is used up, and the ledger matches the card."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import Session, func, select

from backoffice.demo import admin_actor, seed_org
from backoffice.errors import ValidationFailed
from backoffice.models import CardStatus, VisitCard, VisitCardEntry
from backoffice.services.loyalty.card_products import ProductInput, create_card_product
from backoffice.services.loyalty.visit_cards import redeem_visit, sell_visit_card
from backoffice.services.members.profiles import MemberInput, create_member

pytestmark = pytest.mark.integration
TILLS = 30


def test_tills_racing_for_the_last_visits_redeem_each_visit_once(engine):  # noqa: ANN001
    with Session(engine, expire_on_commit=False) as session:
        stores = seed_org(session)
        admin = admin_actor(session)
        member = create_member(
            session,
            admin,
            MemberInput(name="次卡会员", phone="13800006666", home_store_id=stores["SH01"]),
        )
        product = create_card_product(
            session, admin, ProductInput(name="三次卡", price_cents=30_000, valid_days=30, visits=3)
        )
        card = sell_visit_card(session, admin, stores["SH01"], product.id, member_id=member.id)
        session.commit()

    def till(_i: int) -> str:
        with Session(engine, expire_on_commit=False) as session:
            try:
                redeem_visit(session, admin, stores["SH01"], card.id, member_id=member.id)
                session.commit()
                return "ok"
            except ValidationFailed as exc:
                session.rollback()
                return next(iter(exc.errors.values()))

    with ThreadPoolExecutor(max_workers=TILLS) as pool:
        results = list(pool.map(till, range(TILLS)))
    assert results.count("ok") == 3
    assert set(results) == {"ok", "error.card_used_up"}
    with Session(engine) as session:
        held = session.get(VisitCard, card.id)
        ledger = session.exec(
            select(func.sum(VisitCardEntry.visits_delta)).where(VisitCardEntry.card_id == card.id)
        ).one()
        assert (held.visits_left, held.visits_used, held.status) == (0, 3, CardStatus.USED_UP)
        assert ledger == 0
