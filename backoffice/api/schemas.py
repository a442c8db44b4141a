"""The shapes the API accepts and returns (documented in the OpenAPI file).

Inputs are bounded (ids within 32-bit, strings within their column sizes) so no request,
however strange, reaches the database in a shape it cannot store.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

Id = Annotated[int, Field(ge=1, le=2_147_483_647)]
Cents = Annotated[int, Field(strict=True, ge=0, le=100_000_000)]
Points = Annotated[int, Field(strict=True, ge=-10_000_000, le=10_000_000)]
# Money and counts in request bodies are JSON integers: "100" or 1e2 from a POS is refused
# with a field error instead of being coerced, so a client sending the wrong type learns it.
# The range is wide on purpose: the services name the real rule (e.g. a refund above 0).
Money = Annotated[int, Field(strict=True, ge=-100_000_000, le=100_000_000)]
Quantity = Annotated[int, Field(strict=True, ge=-1_000_000, le=1_000_000)]
Short = Annotated[str, Field(max_length=100)]
Text = Annotated[str, Field(max_length=300)]

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """A page of a list; pass `next_cursor` as `cursor` to get the next one (null: the end)."""

    items: list[T]
    next_cursor: str | None = None


class ErrorDetail(BaseModel):
    code: str = Field(description="machine code: validation, forbidden, not_found, …")
    field: str | None = Field(default=None, description="the input the error is about")
    message: str = Field(description="human message in the caller's Accept-Language")
    fields: dict[str, str] | None = Field(default=None, description="every field in error")


class ErrorOut(BaseModel):
    error: ErrorDetail


# ---- members ----------------------------------------------------------------------------


class MemberIn(BaseModel):
    """A new member or a full edit (fields as on the member form)."""

    model_config = ConfigDict(extra="forbid")
    name: Short = ""
    phone: Annotated[str, Field(max_length=32)] = ""
    gender: Annotated[str, Field(max_length=10)] = "unknown"
    birthday: date | None = None
    email: Annotated[str, Field(max_length=200)] = ""
    home_store_id: Id | None = None
    tags: Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=50)] = []
    notes: Annotated[str, Field(max_length=2000)] = ""
    custom: dict[str, Any] = {}
    member_no: Annotated[str, Field(max_length=20)] = ""
    referrer_ref: Annotated[str, Field(max_length=32)] = ""


class MemberOut(BaseModel):
    id: int
    member_no: str
    name: str
    phone: str = Field(description="masked unless the key holds pii.view")
    gender: str
    birthday: str
    email: str
    home_store_id: int
    store_name: str
    status: str
    status_reason: str
    joined_at: datetime
    tags: list[str]
    notes: str
    custom: dict[str, Any]


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text = ""


# ---- sales ------------------------------------------------------------------------------


class SaleItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Short = ""
    category: Annotated[str, Field(max_length=60)] = ""
    qty: Quantity = 1
    unit_cents: Money = 0


class SaleIn(BaseModel):
    """A checkout at a store in the key's scope, for a member in scope."""

    model_config = ConfigDict(extra="forbid")
    member_id: Id
    store_id: Id
    items: Annotated[list[SaleItemIn], Field(max_length=200)] = []
    amount_cents: Money = 0
    coupon_id: Id | None = None
    points_to_use: Points = 0
    wallet_cents: Money = 0
    pay_method: Annotated[str, Field(max_length=10)] = "cash"


class SaleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    member_id: int
    store_id: int
    items: list[dict[str, Any]]
    gross_cents: int
    tier_discount_cents: int
    coupon_discount_cents: int
    coupon_id: int | None
    due_cents: int
    points_used: int
    points_cash_cents: int
    wallet_principal_cents: int
    wallet_bonus_cents: int
    paid_cents: int
    pay_method: str
    points_earned: int
    refunded_cents: int
    status: str
    created_at: datetime


class RefundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount_cents: Money
    reason: Text = ""


class RefundOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    sale_id: int
    amount_cents: int
    points_restored: int
    points_reversed: int
    wallet_principal_restored: int
    wallet_bonus_restored: int
    cash_returned_cents: int
    coupon_restored: bool
    reason: str
    created_at: datetime


# ---- points, wallet, coupons ------------------------------------------------------------


class PointsBalanceOut(BaseModel):
    member_id: int
    balance: int


class PointsEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    delta: int
    balance_after: int
    store_id: int | None
    cause_type: str
    cause_id: str
    note: str
    expires_at: datetime | None
    created_at: datetime


class AdjustIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    delta: Points
    reason: Text = ""


class RedeemIn(BaseModel):
    """Take a catalog item for points at a store in scope."""

    model_config = ConfigDict(extra="forbid")
    item_id: Id
    store_id: Id


class RedemptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    item_id: int
    member_id: int
    store_id: int | None
    points: int
    created_at: datetime


class WalletBalanceOut(BaseModel):
    member_id: int
    principal_cents: int
    bonus_cents: int
    total_cents: int


class WalletEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    principal_delta: int
    bonus_delta: int
    principal_after: int
    bonus_after: int
    store_id: int | None
    cause_type: str
    cause_id: str
    created_at: datetime


class TopUpIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    store_id: Id
    amount_cents: Money
    pay_method: Annotated[str, Field(max_length=10)] = "cash"


class WalletPayIn(BaseModel):
    """Pay a purchase wholly from stored value (recorded as a sale, like the checkout)."""

    model_config = ConfigDict(extra="forbid")
    store_id: Id
    amount_cents: Money


class CouponIssueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    template_id: Id


class CouponOut(BaseModel):
    id: int
    code: str
    template_id: int
    name: str
    kind: str
    status: str
    valid_from: datetime
    valid_to: datetime
    used_sale_id: int | None


class CouponRedeemIn(BaseModel):
    """Use the coupon on a purchase (recorded as a sale with the coupon applied)."""

    model_config = ConfigDict(extra="forbid")
    store_id: Id
    items: Annotated[list[SaleItemIn], Field(max_length=200)] = []
    amount_cents: Money = 0
    pay_method: Annotated[str, Field(max_length=10)] = "cash"


# ---- tiers, stores, workflows, events ---------------------------------------------------


class TierOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    rank: int
    metric: str
    threshold: int
    discount_bp: int
    points_multiplier_pct: int
    active: bool


class StoreOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    address: str
    phone: str
    timezone: str
    is_hq: bool
    active: bool


class RunStartedOut(BaseModel):
    workflow_id: int
    runs_started: int


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    member_id: int | None
    store_id: int | None
    payload: dict[str, Any]
    created_at: datetime
