"""Coupons (优惠券): templates, issuing (one member, a filtered set, a workflow), use, expiry."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import update
from sqlmodel import Session, col, func, select

from backoffice.errors import NotFound, ValidationFailed
from backoffice.models import Coupon, CouponKind, CouponStatus, CouponTemplate, Sale
from backoffice.models.base import utcnow
from backoffice.services import events
from backoffice.services.members.search import MemberQuery, iter_members
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, member_in_scope, require
from backoffice.services.reports import daily_stats

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out at the counter


class CouponTemplateInput(BaseModel):
    name: str = ""
    kind: str = CouponKind.AMOUNT_OFF.value
    amount_off_cents: int = 0
    threshold_cents: int = 0
    percent_off_bp: int = 0
    free_item: str = ""
    valid_days: int = 30
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    per_member_limit: int = 1
    store_ids: list[int] = []
    stackable: bool = False
    active: bool = True


def _validate_template(data: CouponTemplateInput) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if not data.name.strip():
        errors["name"] = "error.required"
    if data.kind not in {k.value for k in CouponKind}:
        errors["kind"] = "error.choice"
    elif data.kind == CouponKind.AMOUNT_OFF and data.amount_off_cents <= 0:
        errors["amount_off_cents"] = "error.positive"
    elif data.kind == CouponKind.PERCENT_OFF and not 0 < data.percent_off_bp < 10000:
        errors["percent_off_bp"] = "error.percent"
    elif data.kind == CouponKind.FREE_ITEM and not data.free_item.strip():
        errors["free_item"] = "error.required"
    if data.threshold_cents < 0:
        errors["threshold_cents"] = "error.not_negative"
    if data.valid_to is None and not 1 <= data.valid_days <= 3650:
        errors["valid_days"] = "error.range_1_3650"
    if data.valid_from and data.valid_to and data.valid_to <= data.valid_from:
        errors["valid_to"] = "error.date_order"
    if data.per_member_limit < 0:
        errors["per_member_limit"] = "error.not_negative"
    if errors:
        raise ValidationFailed(errors)
    values = data.model_dump()
    values["name"] = data.name.strip()
    values["kind"] = CouponKind(data.kind)
    values["free_item"] = data.free_item.strip()
    return values


def list_templates(
    session: Session, actor: Actor, include_inactive: bool = True
) -> list[CouponTemplate]:
    if not (actor.can("loyalty.manage") or actor.can("coupons.issue")):
        require(actor, "loyalty.read")
    stmt = select(CouponTemplate)
    if not include_inactive:
        stmt = stmt.where(col(CouponTemplate.active).is_(True))
    return list(session.exec(stmt.order_by(col(CouponTemplate.id))).all())


def create_template(session: Session, actor: Actor, data: CouponTemplateInput) -> CouponTemplate:
    require(actor, "loyalty.manage")
    values = _validate_template(data)
    template = CouponTemplate(**values)
    session.add(template)
    session.flush()
    audit.record(
        session,
        actor,
        "coupons.template_create",
        target_type="coupon_template",
        target_id=template.id,
        changes=audit.diff({}, values),
    )
    return template


def update_template(
    session: Session, actor: Actor, template_id: int, data: CouponTemplateInput
) -> CouponTemplate:
    require(actor, "loyalty.manage")
    template = session.get(CouponTemplate, template_id)
    if template is None:
        raise NotFound("error.not_found")
    values = _validate_template(data)
    audit.record_update(
        session, actor, template, values, "coupons.template_update", "coupon_template"
    )
    return template


def _new_code(session: Session) -> str:
    while True:
        code = "".join(secrets.choice(_ALPHABET) for _ in range(10))
        if session.exec(select(Coupon.id).where(Coupon.code == code)).first() is None:
            return code


def _usable_count(session: Session, template_id: int, member_id: int) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(Coupon)
            .where(
                Coupon.template_id == template_id,
                Coupon.member_id == member_id,
                Coupon.status == CouponStatus.ISSUED,
            )
        ).one()
    )


def grant_coupon(
    session: Session, template: CouponTemplate, member_id: int, *, source: str, actor_id: int | None
) -> Coupon:
    """Issue without permission checks (callers check); refuses past the per-member limit."""
    if not template.active:
        raise ValidationFailed({"template": "error.template_inactive"})
    if template.per_member_limit and (
        _usable_count(session, template.id or 0, member_id) >= template.per_member_limit
    ):
        raise ValidationFailed({"template": "error.coupon_limit"})
    now = utcnow()
    valid_from = max(now, template.valid_from) if template.valid_from else now
    valid_to = template.valid_to or (valid_from + timedelta(days=template.valid_days))
    if valid_to <= now:
        raise ValidationFailed({"template": "error.template_expired"})
    coupon = Coupon(
        code=_new_code(session),
        template_id=template.id or 0,
        member_id=member_id,
        valid_from=valid_from,
        valid_to=valid_to,
        source=source[:40],
        actor_id=actor_id,
    )
    session.add(coupon)
    session.flush()
    daily_stats.coupon_issued(session, coupon)
    events.emit(
        session,
        "coupon.issued",
        member_id=member_id,
        payload={"coupon_id": coupon.id, "code": coupon.code, "template": template.name},
    )
    return coupon


def issue_coupon(session: Session, actor: Actor, template_id: int, member_id: int) -> Coupon:
    """Staff give one member a coupon."""
    require(actor, "coupons.issue")
    member = member_in_scope(session, actor, member_id)
    template = session.get(CouponTemplate, template_id)
    if template is None:
        raise NotFound("error.not_found")
    coupon = grant_coupon(session, template, member_id, source="staff", actor_id=actor.staff_id)
    audit.record(
        session,
        actor,
        "coupons.issue",
        target_type="member",
        target_id=member_id,
        store_id=member.home_store_id,
        changes={"coupon": coupon.code, "template": template.name},
    )
    return coupon


@dataclass
class BulkIssueReport:
    issued: int
    skipped: int


def template_of(session: Session, coupon: Coupon) -> CouponTemplate:
    """The template a coupon was issued from (its name, kind and value)."""
    template = session.get(CouponTemplate, coupon.template_id)
    if template is None:
        raise NotFound("error.not_found")
    return template


def issue_to_members(
    session: Session,
    actor: Actor,
    template_id: int,
    query: MemberQuery,
    progress: Callable[[int, int], None] | None = None,
) -> BulkIssueReport:
    """Issue to every member of a filtered list in scope; members at their limit are skipped."""
    require(actor, "coupons.issue")
    template = session.get(CouponTemplate, template_id)
    if template is None:
        raise NotFound("error.not_found")
    issued = skipped = 0
    for batch in iter_members(session, actor, query):
        for member, _tags in batch:
            try:
                with session.begin_nested():
                    grant_coupon(
                        session, template, member.id or 0, source="bulk", actor_id=actor.staff_id
                    )
                issued += 1
            except ValidationFailed:
                skipped += 1
        if progress:
            progress(issued + skipped, issued + skipped)
    audit.record(
        session,
        actor,
        "coupons.bulk_issue",
        target_type="coupon_template",
        target_id=template_id,
        changes={
            "issued": issued,
            "skipped": skipped,
            "filter": {"q": query.q, "tag": query.tag, "status": query.status},
        },
    )
    return BulkIssueReport(issued=issued, skipped=skipped)


def member_coupons(
    session: Session, member_id: int, usable_only: bool = False, store_id: int | None = None
) -> list[tuple[Coupon, CouponTemplate]]:
    """A member's coupons with their templates, newest first (callers check scope)."""
    stmt = select(Coupon, CouponTemplate).join(
        CouponTemplate, col(CouponTemplate.id) == Coupon.template_id
    )
    stmt = stmt.where(Coupon.member_id == member_id)
    if usable_only:
        now = utcnow()
        stmt = stmt.where(
            Coupon.status == CouponStatus.ISSUED, Coupon.valid_from <= now, Coupon.valid_to > now
        )
    rows = list(session.exec(stmt.order_by(col(Coupon.id).desc())).all())
    if store_id is not None:
        rows = [(c, t) for c, t in rows if not t.store_ids or store_id in t.store_ids]
    return rows


def coupon_discount(
    template: CouponTemplate,
    coupon: Coupon,
    *,
    member_id: int,
    store_id: int,
    amount_cents: int,
    items: list[dict[str, Any]],
) -> int:
    """What the coupon takes off `amount_cents`, or a field error saying why it cannot."""
    now = utcnow()
    if coupon.member_id != member_id:
        raise ValidationFailed({"coupon": "error.coupon_not_members"})
    if coupon.status != CouponStatus.ISSUED:
        raise ValidationFailed({"coupon": "error.coupon_not_usable"})
    if not coupon.valid_from <= now < coupon.valid_to:
        raise ValidationFailed({"coupon": "error.coupon_expired"})
    if template.store_ids and store_id not in template.store_ids:
        raise ValidationFailed({"coupon": "error.coupon_store"})
    if amount_cents < template.threshold_cents:
        raise ValidationFailed({"coupon": "error.coupon_threshold"})
    if template.kind == CouponKind.AMOUNT_OFF:
        return min(template.amount_off_cents, amount_cents)
    if template.kind == CouponKind.PERCENT_OFF:
        return amount_cents * template.percent_off_bp // 10000
    for item in items:
        if str(item.get("name", "")).strip() == template.free_item:
            return min(int(item.get("unit_cents", 0)), amount_cents)
    raise ValidationFailed({"coupon": "error.coupon_item_missing"})


def use_coupon(session: Session, coupon_id: int, sale_id: int) -> None:
    """Mark used with a conditional update, so one coupon cannot pay for two sales."""
    now = utcnow()
    result = session.exec(
        update(Coupon)
        .where(col(Coupon.id) == coupon_id, col(Coupon.status) == CouponStatus.ISSUED)
        .values(status=CouponStatus.USED, used_at=now, used_sale_id=sale_id)
    )
    if result.rowcount != 1:
        raise ValidationFailed({"coupon": "error.coupon_not_usable"})
    sale = session.get(Sale, sale_id)
    if sale is not None:
        daily_stats.coupon_used(session, sale.store_id, now, 1)


def restore_coupon(session: Session, coupon_id: int) -> bool:
    """Give a coupon back after a full refund, if it is still within its dates."""
    used = session.exec(
        select(Coupon.used_at, Sale.store_id)
        .join(Sale, col(Sale.id) == Coupon.used_sale_id)
        .where(Coupon.id == coupon_id, Coupon.status == CouponStatus.USED)
    ).first()
    result = session.exec(
        update(Coupon)
        .where(
            col(Coupon.id) == coupon_id,
            col(Coupon.status) == CouponStatus.USED,
            col(Coupon.valid_to) > utcnow(),
        )
        .values(status=CouponStatus.ISSUED, used_at=None, used_sale_id=None)
    )
    if result.rowcount == 1 and used is not None and used[0] is not None:
        daily_stats.coupon_used(session, int(used[1]), used[0], -1)
    return result.rowcount == 1


def expire_coupons(session: Session, now: datetime | None = None) -> int:
    """Nightly: issued coupons past their end date become expired."""
    result = session.exec(
        update(Coupon)
        .where(col(Coupon.status) == CouponStatus.ISSUED, col(Coupon.valid_to) <= (now or utcnow()))
        .values(status=CouponStatus.EXPIRED)
    )
    return int(result.rowcount or 0)
