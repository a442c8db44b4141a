"""What a signed-in member sees and does on the member portal: their card, tier, balances
and ledgers, coupons, purchases, the redemption catalog, their editable profile fields,
marketing consent and a deletion request.

Every function takes the `PortalMember` from `member_portal.member_for_token` and reads or
writes only that member's rows: there is no member id argument to point elsewhere.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import qrcode
import qrcode.image.svg
from sqlmodel import Session, col, select

from backoffice.errors import NotFound, PermissionDenied, ValidationFailed
from backoffice.models import (
    CatalogItem,
    Channel,
    Coupon,
    CouponTemplate,
    DeletionRequest,
    DeletionStatus,
    FormField,
    Member,
    MemberStatus,
    PointsEntry,
    Sale,
    Store,
    WalletEntry,
)
from backoffice.models.base import utcnow
from backoffice.services import events
from backoffice.services.loyalty import catalog, coupons, points, tiers
from backoffice.services.loyalty import wallet as wallet_service
from backoffice.services.members import forms
from backoffice.services.members.counter_codes import card_payload, current_code
from backoffice.services.members.status import change_member_status
from backoffice.services.messaging import rules
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, require, restrict
from backoffice.services.portal.accounts import PortalMember, revoke_member_sessions

MARKETING_CHANNELS = (Channel.SMS, Channel.EMAIL)


def _member(session: Session, me: PortalMember) -> Member:
    member = session.get(Member, me.member_id)
    if member is None or member.status == MemberStatus.CANCELLED:
        raise PermissionDenied("error.signed_out")
    return member


def qr_data_uri(text: str) -> str:
    """An SVG QR code as a data URI (no image library needed), for an <img src>."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    svg = image.to_string(encoding="unicode")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


@dataclass
class MemberCard:
    member_no: str
    name: str
    store_name: str
    status: str
    qr: str  # data URI of the card's QR code (number + counter code), scanned at the till
    counter_code: str  # its six digits, read out when there is no scanner (5 minutes)


def member_card(session: Session, me: PortalMember) -> MemberCard:
    member = _member(session, me)
    store = session.get(Store, member.home_store_id)
    return MemberCard(
        member_no=member.member_no,
        name=member.name,
        store_name=store.name if store else "",
        status=member.status.value,
        qr=qr_data_uri(card_payload(member.member_no, member.id or 0)),
        counter_code=current_code(member.id or 0),
    )


@dataclass
class MemberOverview:
    progress: tiers.TierProgress
    points_balance: int
    wallet_principal: int
    wallet_bonus: int
    points_rows: list[PointsEntry]
    wallet_rows: list[WalletEntry]
    coupons: list[tuple[Coupon, CouponTemplate]]
    sales: list[Sale]


def overview(session: Session, me: PortalMember) -> MemberOverview:
    """Tier with progress, balances, the latest ledger rows, coupons and purchases."""
    member = _member(session, me)
    principal, bonus = wallet_service.balances(session, me.member_id)
    points_rows = session.exec(
        select(PointsEntry)
        .where(PointsEntry.member_id == me.member_id)
        .order_by(col(PointsEntry.id).desc())
        .limit(30)
    ).all()
    sales = session.exec(
        select(Sale).where(Sale.member_id == me.member_id).order_by(col(Sale.id).desc()).limit(30)
    ).all()
    return MemberOverview(
        progress=tiers.tier_progress(session, member),
        points_balance=points.balance_of(session, me.member_id),
        wallet_principal=principal,
        wallet_bonus=bonus,
        points_rows=list(points_rows),
        wallet_rows=wallet_service.wallet_ledger(session, me.member_id, page_size=30).rows,
        coupons=coupons.member_coupons(session, me.member_id)[:50],
        sales=list(sales),
    )


def redemption_catalog(session: Session, me: PortalMember) -> list[CatalogItem]:
    _member(session, me)
    return catalog.list_items(session, active_only=True)


def redeem(session: Session, me: PortalMember, item_id: int, request_id: str | None = None) -> Any:
    """The member takes a catalog item for their own points, at their home store."""
    member = _member(session, me)
    if member.status != MemberStatus.ACTIVE:
        raise ValidationFailed({"item": "error.portal_member_frozen"})
    redemption = catalog.take_item(
        session,
        item_id,
        me.member_id,
        store_id=member.home_store_id,
        request_id=request_id,
        actor_id=None,
    )
    audit.record(
        session,
        None,
        "member_portal.redeem",
        actor_name=me.audit_name,
        target_type="member",
        target_id=me.member_id,
        store_id=member.home_store_id,
        changes={"item": item_id, "points": redemption.points},
    )
    return redemption


# ---- profile ----------------------------------------------------------------------------


def editable_fields(session: Session) -> list[FormField]:
    """The custom fields HQ marked as member-editable (visible ones only)."""
    return [f for f in forms.list_fields(session) if f.member_editable]


def profile_values(session: Session, me: PortalMember) -> dict[str, Any]:
    member = _member(session, me)
    custom = dict(member.custom or {})
    return {f.key: custom.get(f.key) for f in editable_fields(session)}


def update_profile(session: Session, me: PortalMember, values: dict[str, Any]) -> dict[str, Any]:
    """Change the member-editable fields only; any other key is refused by name."""
    member = _member(session, me)
    fields = editable_fields(session)
    allowed = {f.key for f in fields}
    refused = sorted(k for k in values if k not in allowed)
    if refused:
        raise ValidationFailed({f"custom.{k}": "error.field_not_editable" for k in refused})
    before = dict(member.custom or {})
    # Fields the member may not edit keep their stored values untouched.
    cleaned = forms.clean_custom_values(fields, values, before)
    changes = audit.diff({k: before.get(k) for k in allowed}, {k: cleaned.get(k) for k in allowed})
    if not changes:
        return {}
    member.custom = cleaned
    member.updated_at = utcnow()
    session.add(member)
    audit.record(
        session,
        None,
        "member_portal.profile_update",
        actor_name=me.audit_name,
        target_type="member",
        target_id=me.member_id,
        store_id=member.home_store_id,
        changes={f"custom.{k}": v for k, v in changes.items()},
    )
    events.emit(
        session,
        "member.updated",
        member_id=me.member_id,
        store_id=member.home_store_id,
        payload={"fields": sorted(f"custom.{k}" for k in changes), "source": "member_portal"},
    )
    return changes


# ---- consent and deletion -----------------------------------------------------------------


def marketing_consents(session: Session, me: PortalMember) -> dict[str, bool]:
    _member(session, me)
    return {c.value: rules.has_consent(session, me.member_id, c) for c in MARKETING_CHANNELS}


def set_marketing_consent(session: Session, me: PortalMember, channel: str, granted: bool) -> None:
    member = _member(session, me)
    if channel not in {c.value for c in MARKETING_CHANNELS}:
        raise ValidationFailed({"channel": "error.choice"})
    before = rules.has_consent(session, me.member_id, Channel(channel))
    if before == granted:
        return
    rules.set_consent(session, me.member_id, Channel(channel), granted)
    audit.record(
        session,
        None,
        "member_portal.consent",
        actor_name=me.audit_name,
        target_type="member",
        target_id=me.member_id,
        store_id=member.home_store_id,
        changes={f"consent.{channel}": [before, granted]},
    )


def pending_deletion(session: Session, me: PortalMember) -> DeletionRequest | None:
    return session.exec(
        select(DeletionRequest).where(
            DeletionRequest.member_id == me.member_id,
            DeletionRequest.status == DeletionStatus.PENDING,
        )
    ).first()


def request_deletion(session: Session, me: PortalMember, reason: str = "") -> DeletionRequest:
    """Ask HQ to delete the account; one open request at a time."""
    member = _member(session, me)
    if pending_deletion(session, me) is not None:
        raise ValidationFailed({"reason": "error.deletion_pending"})
    reason = reason.strip()
    if len(reason) > 300:
        raise ValidationFailed({"reason": "error.too_long"})
    row = DeletionRequest(member_id=me.member_id, reason=reason)
    session.add(row)
    session.flush()
    audit.record(
        session,
        None,
        "member_portal.deletion_requested",
        actor_name=me.audit_name,
        target_type="member",
        target_id=me.member_id,
        store_id=member.home_store_id,
        changes={"reason": reason},
    )
    return row


# ---- the staff side of deletion requests -------------------------------------------------


@dataclass
class DeletionRow:
    id: int
    member_id: int
    member_no: str
    member_name: str
    store_name: str
    reason: str
    status: str
    requested_at: Any


def deletion_requests(session: Session, actor: Actor, status: str = "pending") -> list[DeletionRow]:
    """Requests of members in the actor's scope, oldest first (staff with members.status)."""
    require(actor, "members.status")
    if status not in {s.value for s in DeletionStatus}:
        raise ValidationFailed({"status": "error.choice"})
    stmt = (
        select(DeletionRequest, Member, Store)
        .join(Member, col(Member.id) == DeletionRequest.member_id)
        .join(Store, col(Store.id) == Member.home_store_id)
        .where(DeletionRequest.status == DeletionStatus(status))
    )
    stmt = restrict(stmt, actor, Member.home_store_id)
    rows = session.exec(stmt.order_by(col(DeletionRequest.id)).limit(200)).all()
    return [
        DeletionRow(
            id=r.id or 0,
            member_id=m.id or 0,
            member_no=m.member_no,
            member_name=m.name,
            store_name=s.name,
            reason=r.reason,
            status=r.status.value,
            requested_at=r.requested_at,
        )
        for r, m, s in rows
    ]


def process_deletion_request(session: Session, actor: Actor, request_id: int) -> DeletionRequest:
    """Carry out a request with the existing cancel flow; the member's sessions end."""
    require(actor, "members.status")
    row = session.get(DeletionRequest, request_id)
    member = session.get(Member, row.member_id) if row else None
    if row is None or member is None or not actor.in_scope(member.home_store_id):
        raise NotFound("error.not_found")
    if row.status != DeletionStatus.PENDING:
        raise ValidationFailed({"status": "error.status_transition"})
    if member.status != MemberStatus.CANCELLED:
        change_member_status(
            session, actor, member.id or 0, "cancel", "会员本人申请注销 (member asked to delete)"
        )
    row.status = DeletionStatus.DONE
    row.processed_at = utcnow()
    row.processed_by = actor.staff_id or None
    session.add(row)
    revoke_member_sessions(session, member.id or 0)
    audit.record(
        session,
        actor,
        "members.deletion_processed",
        target_type="member",
        target_id=member.id,
        store_id=member.home_store_id,
        changes={"request": row.id},
    )
    return row
