"""A sale's receipt (小票): what was bought and paid, by whom and where, its refunds, and
whether the reader may refund what is left — decided here, not on the page."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from backoffice.errors import NotFound
from backoffice.models import Member, Sale, SaleRefund, Staff, Store
from backoffice.services.org.access import Actor, require


@dataclass
class RefundLine:
    refund: SaleRefund
    clerk_name: str


@dataclass
class Receipt:
    sale: Sale
    store_name: str
    clerk_name: str
    member_id: int
    member_name: str
    member_no: str
    refundable_cents: int  # what a refund would give back at most
    can_refund: bool  # the reader holds sales.refund for the sale's store and something is left
    refunds: list[RefundLine] = field(default_factory=list)


def sale_receipt(session: Session, actor: Actor, sale_id: int) -> Receipt:
    """The receipt, for staff who may see the sale's store or its member; any other sale
    answers as missing (no oracle)."""
    require(actor, "sales.read")
    sale = session.get(Sale, sale_id)
    member = session.get(Member, sale.member_id) if sale else None
    if (
        sale is None
        or member is None
        or not (actor.in_scope(sale.store_id) or actor.in_scope(member.home_store_id))
    ):
        raise NotFound("error.not_found")
    refunds = session.exec(
        select(SaleRefund).where(SaleRefund.sale_id == sale_id).order_by(col(SaleRefund.id))
    ).all()
    staff_ids = {sale.staff_id, *(r.actor_id for r in refunds)} - {None}
    names = {
        s.id: s.display_name
        for s in session.exec(select(Staff).where(col(Staff.id).in_(staff_ids))).all()
    }
    store = session.get(Store, sale.store_id)
    left = sale.due_cents - sale.refunded_cents
    return Receipt(
        sale=sale,
        store_name=store.name if store else "",
        clerk_name=names.get(sale.staff_id, ""),
        member_id=member.id or 0,
        member_name=member.name,
        member_no=member.member_no,
        refundable_cents=left,
        can_refund=left > 0 and actor.can("sales.refund") and actor.in_scope(sale.store_id),
        refunds=[RefundLine(r, names.get(r.actor_id, "")) for r in refunds],
    )
