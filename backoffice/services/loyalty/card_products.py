"""Visit card products (次卡商品): what a shop sells, e.g. 「洗剪吹 10 次卡」 ¥880 for 10
visits within 365 days, at some stores or all. Changing them is HQ's loyalty setting."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from backoffice.errors import NotFound, ValidationFailed
from backoffice.models import CardProduct
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, require

MAX_PRICE_CENTS = 10_000_000  # ¥100,000
MAX_VISITS = 1000
MAX_VALID_DAYS = 3650


@dataclass
class ProductInput:
    name: str
    price_cents: int
    valid_days: int
    visits: int | None = None  # None: unlimited visits within the validity
    services: tuple[str, ...] = ()
    store_ids: tuple[int, ...] = ()


def _product_errors(data: ProductInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not data.name.strip():
        errors["name"] = "error.required"
    elif len(data.name.strip()) > 60:
        errors["name"] = "error.too_long"
    if not 0 < data.price_cents <= MAX_PRICE_CENTS:
        errors["price_cents"] = "error.amount_range"
    if not 0 < data.valid_days <= MAX_VALID_DAYS:
        errors["valid_days"] = "error.card_valid_days"
    if data.visits is not None and not 0 < data.visits <= MAX_VISITS:
        errors["visits"] = "error.card_visits"
    if any(not s.strip() or len(s.strip()) > 60 for s in data.services):
        errors["services"] = "error.card_services"
    return errors


def create_card_product(session: Session, actor: Actor, data: ProductInput) -> CardProduct:
    """A new card product (HQ's loyalty settings)."""
    require(actor, "loyalty.manage")
    if errors := _product_errors(data):
        raise ValidationFailed(errors)
    name = data.name.strip()
    if session.exec(select(CardProduct.id).where(CardProduct.name == name)).first():
        raise ValidationFailed({"name": "error.card_product_duplicate"})
    product = CardProduct(
        name=name,
        price_cents=data.price_cents,
        valid_days=data.valid_days,
        visits=data.visits,
        services=[s.strip() for s in data.services],
        store_ids=sorted(set(data.store_ids)),
    )
    session.add(product)
    session.flush()
    audit.record(
        session,
        actor,
        "card_product.create",
        target_type="card_product",
        target_id=product.id,
        changes={"name": name, "price": data.price_cents, "visits": data.visits},
    )
    return product


def set_card_product_active(
    session: Session, actor: Actor, product_id: int, active: bool
) -> CardProduct:
    """Stop or resume selling a product; cards already sold stay valid."""
    require(actor, "loyalty.manage")
    product = session.get(CardProduct, product_id)
    if product is None:
        raise NotFound("error.not_found", field="product_id")
    product.active = active
    session.add(product)
    audit.record(
        session,
        actor,
        "card_product.update",
        target_type="card_product",
        target_id=product_id,
        changes={"active": active},
    )
    return product


def products_for_sale(session: Session, actor: Actor, store_id: int) -> list[CardProduct]:
    """Active products a store may sell (those listing it, or listing no store), for a
    clerk who may check out at that store."""
    require(actor, "sales.create", store_id)
    rows = session.exec(
        select(CardProduct).where(col(CardProduct.active).is_(True)).order_by(CardProduct.name)
    ).all()
    return [p for p in rows if not p.store_ids or store_id in p.store_ids]


def list_card_products(session: Session, actor: Actor) -> list[CardProduct]:
    """Every product, active first (the settings page)."""
    require(actor, "loyalty.read")
    rows = session.exec(select(CardProduct).order_by(CardProduct.name)).all()
    return sorted(rows, key=lambda p: not p.active)
