"""Report tables: exact daily aggregates per store (and per staff), and each member's purchase
summary. They are written in the same transaction as the rows they summarise, so a 90-day
dashboard over millions of sales reads a few thousand rows; `rebuild_daily_stats` recomputes
them from the source rows (backfill, or a check that they still agree)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

# The additive figures of DailyStoreStats, in one place for the hooks, the rebuild and tests.
STORE_FIGURES = (
    "new_members",  # members who joined that day (home store)
    "sales_count",
    "repeat_sales",  # sales by a member who had bought before
    "sales_gross_cents",
    "sales_due_cents",  # after discounts: what the member was charged
    "refunds_count",
    "refund_cents",
    "points_earned",
    "points_spent",  # as cash at checkout or for catalog items (positive number)
    "points_expired",  # positive number
    "points_adjusted",  # staff adjustments, net
    "points_refunded",  # given back or taken back by refunds, net
    "wallet_topup_cents",  # principal paid in
    "wallet_bonus_cents",  # bonus given by top-up rules
    "wallet_spent_cents",  # principal + bonus paid out at checkout (positive number)
    "wallet_returned_cents",  # refunds and adjustments, net
    "coupons_issued",
    "coupons_used",  # coupons used that day and still used (a restore undoes it)
    "messages_sent",
    "tier_up",
    "tier_down",
)
STAFF_FIGURES = ("sales_count", "sales_due_cents", "members_created")


class DailyStoreStats(SQLModel, table=True):
    """One store's day (in the store's time zone)."""

    day: date = Field(primary_key=True)
    store_id: int = Field(primary_key=True)
    new_members: int = 0
    sales_count: int = 0
    repeat_sales: int = 0
    sales_gross_cents: int = 0
    sales_due_cents: int = 0
    refunds_count: int = 0
    refund_cents: int = 0
    points_earned: int = 0
    points_spent: int = 0
    points_expired: int = 0
    points_adjusted: int = 0
    points_refunded: int = 0
    wallet_topup_cents: int = 0
    wallet_bonus_cents: int = 0
    wallet_spent_cents: int = 0
    wallet_returned_cents: int = 0
    coupons_issued: int = 0
    coupons_used: int = 0
    messages_sent: int = 0
    tier_up: int = 0
    tier_down: int = 0


class DailyStaffStats(SQLModel, table=True):
    """What one staff account recorded at one store on one day."""

    day: date = Field(primary_key=True)
    store_id: int = Field(primary_key=True)
    staff_id: int = Field(primary_key=True)
    sales_count: int = 0
    sales_due_cents: int = 0
    members_created: int = 0


class MemberSalesSummary(SQLModel, table=True):
    """A member's purchases so far (fully refunded sales left out): recency, frequency and
    monetary value for RFM, and the usual gap between visits for the churn warning."""

    __table_args__ = (
        Index("ix_msummary_last_sale", "last_sale_at"),
        Index("ix_msummary_last_day", "last_sale_day"),
        # Store-scoped counts (active, repeat buyers) read this index alone.
        Index("ix_msummary_store_last", "home_store_id", "last_sale_at", "sales_count"),
        # RFM groups and the churn filter per store read this index alone.
        Index(
            "ix_msummary_rfm",
            "home_store_id",
            "last_sale_day",
            "sales_count",
            "spend_cents",
            "gap_days",
        ),
    )

    member_id: int = Field(foreign_key="member.id", primary_key=True)
    home_store_id: int = 0  # the member's home store, kept in step with member edits
    sales_count: int = 0
    spend_cents: int = 0  # charged minus refunded
    first_sale_at: datetime
    last_sale_at: datetime
    last_sale_day: int  # days since 1970-01-01 (UTC), for portable date arithmetic in SQL
    gap_days: float = 0.0  # mean days between visits: (last - first) / (visits - 1)
