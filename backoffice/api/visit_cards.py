"""/api/v1 visit cards (次卡): the products a store sells, a member's cards, selling one and
redeeming one visit at a till, through the same services as the member page."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from backoffice.api.calls import ApiCall, read_call, write_call
from backoffice.api.schemas import Id, Short
from backoffice.services.loyalty.card_products import products_for_sale
from backoffice.services.loyalty.visit_card_ledger import cards_of_member
from backoffice.services.loyalty.visit_cards import redeem_visit, sell_visit_card
from backoffice.services.org.access import Actor, require

router = APIRouter(tags=["visit cards"])
MemberId = Annotated[int, Path(ge=1, le=2_147_483_647)]
CardId = Annotated[int, Path(ge=1, le=2_147_483_647)]


class CardProductOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    price_cents: int
    visits: int | None
    valid_days: int
    services: list[str]


class VisitCardOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    card_no: str
    member_id: int
    name: str
    services: list[str]
    visits_total: int | None
    visits_left: int | None
    price_cents: int
    status: str
    sold_at: datetime
    expires_at: datetime


class CardSaleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    store_id: Id
    product_id: Id
    pay_method: Annotated[str, Field(max_length=12)] = "cash"


class RedemptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    store_id: Id
    service: Short = ""


class CardRedemptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    card_id: int
    visits_left: int | None
    service: str
    store_id: int | None
    created_at: datetime


def _dump(model: Any, row: Any) -> dict[str, Any]:
    return model.model_validate(row).model_dump(mode="json")


@router.get("/visit-card-products", response_model=list[CardProductOut])
def list_products(
    store_id: Annotated[int, Query(ge=1, le=2_147_483_647)],
    call: ApiCall = Depends(read_call),
) -> Any:
    """The cards the store sells now."""

    def use(session: Session, actor: Actor) -> list[dict[str, Any]]:
        return [_dump(CardProductOut, p) for p in products_for_sale(session, actor, store_id)]

    return call.read(use)


@router.get("/members/{member_id}/visit-cards", response_model=list[VisitCardOut])
def member_cards(member_id: MemberId, call: ApiCall = Depends(read_call)) -> Any:
    """The member's cards, active first (a member outside the key's stores: 404)."""

    def use(session: Session, actor: Actor) -> list[dict[str, Any]]:
        require(actor, "sales.read")
        return [_dump(VisitCardOut, c) for c in cards_of_member(session, actor, member_id)]

    return call.read(use)


@router.post("/members/{member_id}/visit-cards", response_model=VisitCardOut, status_code=201)
def sell_card(member_id: MemberId, body: CardSaleIn, call: ApiCall = Depends(write_call)) -> Any:
    """Sell a card (cash, card or stored_value). Send an Idempotency-Key."""
    return call.write(
        lambda s, a: _dump(
            VisitCardOut,
            sell_visit_card(
                s,
                a,
                body.store_id,
                body.product_id,
                member_id=member_id,
                pay_method=body.pay_method,
                request_id=call.request_id,
            ),
        ),
        201,
    )


@router.post(
    "/members/{member_id}/visit-cards/{card_id}/redemptions",
    response_model=CardRedemptionOut,
    status_code=201,
)
def redeem(
    member_id: MemberId, card_id: CardId, body: RedemptionIn, call: ApiCall = Depends(write_call)
) -> Any:
    """核销 1 次: one visit off the card. Refusals name the reason (expired, used up, store)."""
    return call.write(
        lambda s, a: _dump(
            CardRedemptionOut,
            redeem_visit(
                s,
                a,
                body.store_id,
                card_id,
                member_id=member_id,
                service=body.service,
                request_id=call.request_id,
            ),
        ),
        201,
    )
