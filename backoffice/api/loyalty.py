"""/api/v1/members/{id}/points|wallet|coupons and /api/v1/sales: balances, ledgers and
the counter operations, through the same services as the checkout and the member page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from sqlmodel import Session

from backoffice.api.calls import ApiCall, read_call, write_call
from backoffice.api.schemas import (
    AdjustIn,
    CouponIssueIn,
    CouponOut,
    CouponRedeemIn,
    Page,
    PointsBalanceOut,
    PointsEntryOut,
    RedeemIn,
    RedemptionOut,
    RefundIn,
    RefundOut,
    SaleIn,
    SaleOut,
    TopUpIn,
    WalletBalanceOut,
    WalletEntryOut,
    WalletPayIn,
)
from backoffice.services.loyalty import catalog, coupons, points, sales, wallet
from backoffice.services.loyalty.sales import SaleInput, SaleItem
from backoffice.services.org.access import Actor, member_in_scope, require

router = APIRouter(tags=["loyalty"])
MemberId = Annotated[int, Path(ge=1, le=2_147_483_647)]
PageCursor = Annotated[str | None, Query(pattern=r"^[0-9]{1,6}$", description="next_cursor")]
PAGE = 50


def _member_for_reading(session: Session, actor: Actor, member_id: int) -> None:
    """Ledgers and balances: who may read sales and ledgers, for a member in scope."""
    require(actor, "sales.read")
    member_in_scope(session, actor, member_id)


def _dump(model: Any, row: Any) -> dict[str, Any]:
    return model.model_validate(row).model_dump(mode="json")


def _next(page: int, rows: int, total: int) -> str | None:
    return str(page + 1) if page * PAGE < total and rows else None


# ---- points -----------------------------------------------------------------------------


@router.get("/members/{member_id}/points", response_model=PointsBalanceOut, tags=["points"])
def points_balance(member_id: MemberId, call: ApiCall = Depends(read_call)) -> dict[str, Any]:
    def use(session: Session, actor: Actor) -> int:
        _member_for_reading(session, actor, member_id)
        return points.balance_of(session, member_id)

    return {"member_id": member_id, "balance": call.read(use)}


@router.get(
    "/members/{member_id}/points/ledger", response_model=Page[PointsEntryOut], tags=["points"]
)
def points_ledger(
    member_id: MemberId, cursor: PageCursor = None, call: ApiCall = Depends(read_call)
) -> dict[str, Any]:
    """Newest first."""
    page = int(cursor or 1) or 1
    result = call.read(points.points_ledger, member_id, page, PAGE)
    return {
        "items": [_dump(PointsEntryOut, r) for r in result.rows],
        "next_cursor": _next(page, len(result.rows), result.total),
    }


@router.post(
    "/members/{member_id}/points/adjustments",
    response_model=PointsEntryOut,
    status_code=201,
    tags=["points"],
)
def adjust_points(member_id: MemberId, body: AdjustIn, call: ApiCall = Depends(write_call)) -> Any:
    """Add (positive) or deduct (negative) points by hand, with a reason."""
    return call.write(
        lambda s, a: _dump(
            PointsEntryOut, points.adjust_points(s, a, member_id, body.delta, body.reason)
        ),
        201,
    )


@router.post(
    "/members/{member_id}/points/redemptions",
    response_model=RedemptionOut,
    status_code=201,
    tags=["points"],
)
def redeem_points(member_id: MemberId, body: RedeemIn, call: ApiCall = Depends(write_call)) -> Any:
    """Take a catalog item for points (stock and points change together)."""
    return call.write(
        lambda s, a: _dump(
            RedemptionOut,
            catalog.redeem_item(
                s, a, body.item_id, body.store_id, member_id=member_id, request_id=call.request_id
            ),
        ),
        201,
    )


# ---- wallet -----------------------------------------------------------------------------


@router.get("/members/{member_id}/wallet", response_model=WalletBalanceOut, tags=["wallet"])
def wallet_balance(member_id: MemberId, call: ApiCall = Depends(read_call)) -> dict[str, Any]:
    def use(session: Session, actor: Actor) -> tuple[int, int]:
        _member_for_reading(session, actor, member_id)
        return wallet.balances(session, member_id)

    principal, bonus = call.read(use)
    return {
        "member_id": member_id,
        "principal_cents": principal,
        "bonus_cents": bonus,
        "total_cents": principal + bonus,
    }


@router.get(
    "/members/{member_id}/wallet/ledger", response_model=Page[WalletEntryOut], tags=["wallet"]
)
def wallet_ledger(
    member_id: MemberId, cursor: PageCursor = None, call: ApiCall = Depends(read_call)
) -> dict[str, Any]:
    """Newest first."""
    page = int(cursor or 1) or 1

    def use(session: Session, actor: Actor) -> wallet.WalletLedger:
        _member_for_reading(session, actor, member_id)
        return wallet.wallet_ledger(session, member_id, page, PAGE)

    result = call.read(use)
    return {
        "items": [_dump(WalletEntryOut, r) for r in result.rows],
        "next_cursor": _next(page, len(result.rows), result.total),
    }


@router.post(
    "/members/{member_id}/wallet/topups",
    response_model=WalletEntryOut,
    status_code=201,
    tags=["wallet"],
)
def top_up(member_id: MemberId, body: TopUpIn, call: ApiCall = Depends(write_call)) -> Any:
    """The member pays money in; top-up rules add bonus. Send an Idempotency-Key."""
    return call.write(
        lambda s, a: _dump(
            WalletEntryOut,
            wallet.top_up(
                s,
                a,
                body.store_id,
                body.amount_cents,
                member_id=member_id,
                request_id=call.request_id,
                pay_method=body.pay_method,
            ),
        ),
        201,
    )


@router.post(
    "/members/{member_id}/wallet/payments",
    response_model=SaleOut,
    status_code=201,
    tags=["wallet"],
)
def wallet_pay(member_id: MemberId, body: WalletPayIn, call: ApiCall = Depends(write_call)) -> Any:
    """Pay a purchase from stored value: recorded as a sale (points earned, tier checked)."""
    data = SaleInput(
        member_id=member_id,
        store_id=body.store_id,
        amount_cents=body.amount_cents,
        wallet_cents=max(0, body.amount_cents),
        request_id=call.request_id,
    )
    return call.write(lambda s, a: _dump(SaleOut, sales.record_sale(s, a, data)), 201)


# ---- coupons ----------------------------------------------------------------------------


def _coupon(pair: tuple[Any, Any]) -> dict[str, Any]:
    coupon, template = pair
    return CouponOut(
        id=coupon.id,
        code=coupon.code,
        template_id=coupon.template_id,
        name=template.name,
        kind=str(template.kind.value if hasattr(template.kind, "value") else template.kind),
        status=str(coupon.status.value if hasattr(coupon.status, "value") else coupon.status),
        valid_from=coupon.valid_from,
        valid_to=coupon.valid_to,
        used_sale_id=coupon.used_sale_id,
    ).model_dump(mode="json")


@router.get("/members/{member_id}/coupons", response_model=list[CouponOut], tags=["coupons"])
def member_coupons(
    member_id: MemberId,
    usable: Annotated[bool, Query(description="only coupons usable now")] = False,
    call: ApiCall = Depends(read_call),
) -> list[dict[str, Any]]:
    def use(session: Session, actor: Actor) -> list[Any]:
        _member_for_reading(session, actor, member_id)
        return coupons.member_coupons(session, member_id, usable_only=usable)

    return [_coupon(p) for p in call.read(use)[:200]]


@router.post(
    "/members/{member_id}/coupons", response_model=CouponOut, status_code=201, tags=["coupons"]
)
def issue_coupon(
    member_id: MemberId, body: CouponIssueIn, call: ApiCall = Depends(write_call)
) -> Any:
    def work(session: Session, actor: Actor) -> dict[str, Any]:
        coupon = coupons.issue_coupon(session, actor, body.template_id, member_id)
        return _coupon((coupon, coupons.template_of(session, coupon)))

    return call.write(work, 201)


@router.post(
    "/members/{member_id}/coupons/{coupon_id}/redeem",
    response_model=SaleOut,
    status_code=201,
    tags=["coupons"],
)
def redeem_coupon(
    member_id: MemberId,
    coupon_id: Annotated[int, Path(ge=1, le=2_147_483_647)],
    body: CouponRedeemIn,
    call: ApiCall = Depends(write_call),
) -> Any:
    """Use the coupon on a purchase: a sale with the coupon applied, as at the checkout."""
    data = SaleInput(
        member_id=member_id,
        store_id=body.store_id,
        items=[SaleItem(**i.model_dump()) for i in body.items],
        amount_cents=body.amount_cents,
        coupon_id=coupon_id,
        pay_method=body.pay_method,
        request_id=call.request_id,
    )
    return call.write(lambda s, a: _dump(SaleOut, sales.record_sale(s, a, data)), 201)


# ---- sales ------------------------------------------------------------------------------


@router.post("/sales", response_model=SaleOut, status_code=201, tags=["sales"])
def record_sale(body: SaleIn, call: ApiCall = Depends(write_call)) -> Any:
    """Check out: tier discount, coupon, points as cash and stored value in one transaction."""
    data = SaleInput(
        **body.model_dump(exclude={"items"}),
        items=[SaleItem(**i.model_dump()) for i in body.items],
        request_id=call.request_id,
    )
    return call.write(lambda s, a: _dump(SaleOut, sales.record_sale(s, a, data)), 201)


@router.post("/sales/{sale_id}/refunds", response_model=RefundOut, status_code=201, tags=["sales"])
def refund_sale(
    sale_id: Annotated[int, Path(ge=1, le=2_147_483_647)],
    body: RefundIn,
    call: ApiCall = Depends(write_call),
) -> Any:
    """Refund part or all of a sale; each part goes back in proportion."""
    return call.write(
        lambda s, a: _dump(
            RefundOut,
            sales.refund_sale(s, a, sale_id, body.amount_cents, body.reason, call.request_id),
        ),
        201,
    )
