"""积分商城: items members take for points; balance and stock are checked atomically."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backoffice.errors import NotFound, ValidationFailed
from backoffice.models import CatalogItem, PointsKind, Redemption
from backoffice.services import events
from backoffice.services.loyalty import points
from backoffice.services.loyalty.accounts import lock_member_accounts
from backoffice.services.members.counter import member_for_counter
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, require


class CatalogItemInput(BaseModel):
    name: str = ""
    description: str = ""
    points_price: int = 0
    stock: int = 0
    active: bool = True


def _validate(data: CatalogItemInput) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if not data.name.strip():
        errors["name"] = "error.required"
    if not 0 < data.points_price <= 10_000_000:
        errors["points_price"] = "error.positive"
    if data.stock < 0:
        errors["stock"] = "error.not_negative"
    if errors:
        raise ValidationFailed(errors)
    return {**data.model_dump(), "name": data.name.strip(), "description": data.description.strip()}


def list_items(session: Session, active_only: bool = False) -> list[CatalogItem]:
    """The catalog is shown to staff and members alike."""
    stmt = select(CatalogItem)
    if active_only:
        stmt = stmt.where(col(CatalogItem.active).is_(True))
    return list(
        session.exec(stmt.order_by(col(CatalogItem.points_price), col(CatalogItem.id))).all()
    )


def create_item(session: Session, actor: Actor, data: CatalogItemInput) -> CatalogItem:
    require(actor, "loyalty.manage")
    values = _validate(data)
    item = CatalogItem(**values)
    session.add(item)
    session.flush()
    audit.record(
        session,
        actor,
        "catalog.create",
        target_type="catalog_item",
        target_id=item.id,
        changes=audit.diff({}, values),
    )
    return item


def update_item(
    session: Session, actor: Actor, item_id: int, data: CatalogItemInput
) -> CatalogItem:
    require(actor, "loyalty.manage")
    item = session.get(CatalogItem, item_id)
    if item is None:
        raise NotFound("error.not_found")
    values = _validate(data)
    audit.record_update(session, actor, item, values, "catalog.update", "catalog_item")
    return item


def take_item(
    session: Session,
    item_id: int,
    member_id: int,
    *,
    store_id: int | None,
    request_id: str | None,
    actor_id: int | None,
) -> Redemption:
    """Redeem without permission checks (callers check): stock and points, all or nothing."""
    if request_id:
        done = session.exec(select(Redemption).where(Redemption.request_id == request_id)).first()
        if done is not None:
            return done
    item = session.get(CatalogItem, item_id)
    if item is None or not item.active:
        raise ValidationFailed({"item": "error.item_unavailable"})
    stock = session.exec(
        update(CatalogItem)
        .where(col(CatalogItem.id) == item_id, col(CatalogItem.stock) > 0)
        .values(stock=CatalogItem.stock - 1)
    )
    if stock.rowcount != 1:
        raise ValidationFailed({"item": "error.out_of_stock"})
    redemption = Redemption(
        item_id=item_id,
        member_id=member_id,
        store_id=store_id,
        points=item.points_price,
        request_id=request_id,
        actor_id=actor_id,
    )
    try:
        with session.begin_nested():
            session.add(redemption)
            session.flush()
    except IntegrityError as exc:
        raise ValidationFailed({"request_id": "error.duplicate_request"}) from exc
    points.debit(
        session,
        member_id,
        item.points_price,
        PointsKind.REDEEM,
        cause_type="catalog",
        cause_id=redemption.id,
        store_id=store_id,
        actor_id=actor_id,
        note=item.name,
    )
    events.emit(
        session,
        "points.redeemed",
        member_id=member_id,
        store_id=store_id,
        payload={"item": item.name, "points": item.points_price},
    )
    return redemption


def redeem_item(
    session: Session,
    actor: Actor,
    item_id: int,
    store_id: int,
    member_id: int | None = None,
    member_ref: str = "",
    request_id: str | None = None,
) -> Redemption:
    """Reception redeems a catalog item for the member at the counter."""
    require(actor, "points.redeem", store_id)
    member = member_for_counter(session, actor, member_id, member_ref)
    lock_member_accounts(session, member.id or 0)
    redemption = take_item(
        session,
        item_id,
        member.id or 0,
        store_id=store_id,
        request_id=request_id,
        actor_id=actor.staff_id,
    )
    audit.record(
        session,
        actor,
        "points.redeem",
        target_type="member",
        target_id=member.id,
        store_id=store_id,
        changes={"item": item_id, "points": redemption.points},
    )
    return redemption
