"""The visit-card endpoints: a POS sells a card and redeems visits through the same services
as the member page; the wrong store and another store's member are refused like missing."""

from __future__ import annotations

from sqlmodel import Session

from backoffice.services.loyalty.card_products import ProductInput, create_card_product
from tests.unit.api_fixtures import ApiWorld


def _product(api: ApiWorld) -> int:
    with Session(api.engine) as session:
        product = create_card_product(
            session,
            api.actors["admin"],
            ProductInput(name="五次卡", price_cents=50_000, valid_days=90, visits=5),
        )
        session.commit()
        return product.id or 0


def test_a_pos_sells_a_card_and_redeems_a_visit(api: ApiWorld):
    product_id, store, member = _product(api), api.stores["SH01"], api.members["sh"]
    listed = api.client.get(
        f"/api/v1/visit-card-products?store_id={store}", headers=api.headers("sh")
    )
    assert [p["id"] for p in listed.json()] == [product_id]
    sold = api.client.post(
        f"/api/v1/members/{member}/visit-cards",
        json={"store_id": store, "product_id": product_id},
        headers=api.headers("sh", **{"Idempotency-Key": "sell-1"}),
    )
    assert sold.status_code == 201, sold.text
    card = sold.json()
    assert (card["visits_total"], card["visits_left"], card["status"]) == (5, 5, "active")
    again = api.client.post(
        f"/api/v1/members/{member}/visit-cards",
        json={"store_id": store, "product_id": product_id},
        headers=api.headers("sh", **{"Idempotency-Key": "sell-1"}),
    )
    assert again.json()["id"] == card["id"]
    used = api.client.post(
        f"/api/v1/members/{member}/visit-cards/{card['id']}/redemptions",
        json={"store_id": store},
        headers=api.headers("sh"),
    )
    assert used.status_code == 201 and used.json()["visits_left"] == 4
    cards = api.client.get(f"/api/v1/members/{member}/visit-cards", headers=api.headers("sh"))
    assert [c["visits_left"] for c in cards.json()] == [4]


def test_the_wrong_store_and_another_stores_member_are_refused(api: ApiWorld):
    product_id = _product(api)
    gz_member, sh_store = api.members["gz"], api.stores["SH01"]
    out_of_scope = api.client.post(
        f"/api/v1/members/{api.members['sh']}/visit-cards",
        json={"store_id": api.stores["GZ01"], "product_id": product_id},
        headers=api.headers("sh"),
    )
    assert out_of_scope.status_code == 403
    other_member = api.client.get(
        f"/api/v1/members/{gz_member}/visit-cards", headers=api.headers("sh")
    )
    assert other_member.status_code == 404
    bad_method = api.client.post(
        f"/api/v1/members/{api.members['sh']}/visit-cards",
        json={"store_id": sh_store, "product_id": product_id, "pay_method": "iou"},
        headers=api.headers("sh"),
    )
    assert bad_method.status_code == 422 and "pay_method" in bad_method.text
