"""Staff accounts: create, assign role and stores, reset passwords, unlock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, delete, or_, select

from backoffice.errors import NotFound, PermissionDenied, ValidationFailed
from backoffice.i18n import LOCALES
from backoffice.models import Role, Staff, StaffStore, Store
from backoffice.models.base import utcnow
from backoffice.services.org import audit
from backoffice.services.org.access import PERMISSIONS, SEED_ROLES, Actor, load_actor, require
from backoffice.services.org.auth import check_password_policy, hash_password, revoke_sessions
from backoffice.services.phones import normalize_phone


class StaffInput(BaseModel):
    username: str = ""
    display_name: str = ""
    phone: str = ""
    role_code: str = ""
    store_ids: list[int] = []
    locale: str = "zh-CN"
    active: bool = True
    password: str = ""  # only on create


@dataclass
class StaffRow:
    id: int
    username: str
    display_name: str
    phone: str
    role_code: str
    role_name: str
    store_ids: list[int]
    active: bool
    locked: bool
    locale: str


def roles(session: Session) -> list[Role]:
    return list(session.exec(select(Role).order_by(col(Role.id))).all())


def _stores_of(session: Session, staff_id: int) -> list[int]:
    return sorted(
        session.exec(select(StaffStore.store_id).where(StaffStore.staff_id == staff_id)).all()
    )


def _visible(actor: Actor, store_ids: list[int]) -> bool:
    return actor.store_ids is None or bool(set(store_ids) & actor.store_ids)


def list_staff(session: Session, actor: Actor, search: str = "") -> list[StaffRow]:
    """Staff whose stores overlap the actor's scope (HQ sees everyone)."""
    require(actor, "staff.read")
    stmt = select(Staff, Role).join(Role, col(Role.id) == Staff.role_id)
    if search:
        stmt = stmt.where(
            or_(col(Staff.username).contains(search), col(Staff.display_name).contains(search))
        )
    rows: list[StaffRow] = []
    now = utcnow()
    for staff, role in session.exec(stmt.order_by(Staff.username)).all():
        store_ids = _stores_of(session, staff.id or 0)
        if not role.all_stores and not _visible(actor, store_ids):
            continue
        if role.all_stores and actor.store_ids is not None:
            continue
        rows.append(
            StaffRow(
                id=staff.id or 0,
                username=staff.username,
                display_name=staff.display_name,
                phone=staff.phone or "",
                role_code=role.code,
                role_name=role.name,
                store_ids=store_ids,
                active=staff.active,
                locked=bool(staff.locked_until and staff.locked_until > now),
                locale=staff.locale,
            )
        )
    return rows


def _validate(session: Session, data: StaffInput, creating: bool) -> tuple[dict[str, Any], Role]:
    errors: dict[str, str] = {}
    username = data.username.strip()
    if not username:
        errors["username"] = "error.required"
    elif len(username) > 60 or not all(c.isalnum() or c in "._-" for c in username):
        errors["username"] = "error.username_format"
    if not data.display_name.strip():
        errors["display_name"] = "error.required"
    phone = None
    if data.phone.strip():
        try:
            phone = normalize_phone(data.phone)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    role = session.exec(select(Role).where(Role.code == data.role_code)).first()
    if role is None:
        errors["role_code"] = "error.role_unknown"
    elif not role.all_stores and not data.store_ids:
        errors["store_ids"] = "error.stores_required"
    known = set(
        session.exec(select(Store.id).where(col(Store.id).in_(data.store_ids or [-1]))).all()
    )
    if set(data.store_ids) - known:
        errors["store_ids"] = "error.store_unknown"
    if data.locale not in LOCALES:
        errors["locale"] = "error.locale"
    if creating:
        try:
            check_password_policy(data.password)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    assert role is not None
    return {
        "username": username,
        "display_name": data.display_name.strip(),
        "phone": phone,
        "role_id": role.id,
        "locale": data.locale,
        "active": data.active,
    }, role


def create_staff(session: Session, actor: Actor, data: StaffInput) -> Staff:
    require(actor, "staff.manage")
    values, role = _validate(session, data, creating=True)
    if session.exec(select(Staff).where(Staff.username == values["username"])).first():
        raise ValidationFailed({"username": "error.username_taken"})
    if (
        values["phone"]
        and session.exec(select(Staff).where(Staff.phone == values["phone"])).first()
    ):
        raise ValidationFailed({"phone": "error.phone_taken"})
    staff = Staff(**values, password_hash=hash_password(data.password), must_change_password=True)
    session.add(staff)
    session.flush()
    for store_id in sorted(set(data.store_ids)):
        session.add(StaffStore(staff_id=staff.id or 0, store_id=store_id))
    audit.record(
        session,
        actor,
        "staff.create",
        target_type="staff",
        target_id=staff.id,
        changes=audit.diff(
            {}, {**values, "role": role.code, "store_ids": sorted(set(data.store_ids))}
        ),
    )
    return staff


def update_staff(session: Session, actor: Actor, staff_id: int, data: StaffInput) -> Staff:
    require(actor, "staff.manage")
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise NotFound("error.not_found")
    values, role = _validate(session, data, creating=False)
    clash = session.exec(select(Staff).where(Staff.username == values["username"])).first()
    if clash is not None and clash.id != staff_id:
        raise ValidationFailed({"username": "error.username_taken"})
    if values["phone"]:
        clash = session.exec(select(Staff).where(Staff.phone == values["phone"])).first()
        if clash is not None and clash.id != staff_id:
            raise ValidationFailed({"phone": "error.phone_taken"})
    if staff_id == actor.staff_id and (not values["active"] or role.code != actor.role):
        raise PermissionDenied("error.self_lockout")
    old_role = session.get(Role, staff.role_id)
    before = {
        **staff.model_dump(),
        "role": old_role.code if old_role else "",
        "store_ids": _stores_of(session, staff_id),
    }
    for key, value in values.items():
        setattr(staff, key, value)
    session.add(staff)
    session.exec(delete(StaffStore).where(col(StaffStore.staff_id) == staff_id))
    for store_id in sorted(set(data.store_ids)):
        session.add(StaffStore(staff_id=staff_id, store_id=store_id))
    after = {**values, "role": role.code, "store_ids": sorted(set(data.store_ids))}
    changes = audit.diff({k: before.get(k) for k in after}, after)
    changes.pop("role_id", None)
    if not values["active"]:
        revoke_sessions(session, staff_id)
    if changes:
        audit.record(
            session, actor, "staff.update", target_type="staff", target_id=staff_id, changes=changes
        )
    session.flush()
    return staff


def reset_password(session: Session, actor: Actor, staff_id: int, new_password: str) -> None:
    """Admin sets a temporary password; the person must change it at next sign-in."""
    require(actor, "staff.manage")
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise NotFound("error.not_found")
    check_password_policy(new_password)
    staff.password_hash = hash_password(new_password)
    staff.must_change_password = True
    staff.failed_logins = 0
    staff.locked_until = None
    staff.password_changed_at = utcnow()
    session.add(staff)
    revoke_sessions(session, staff_id)
    audit.record(session, actor, "staff.password_reset", target_type="staff", target_id=staff_id)


def unlock_staff(session: Session, actor: Actor, staff_id: int) -> None:
    require(actor, "staff.manage")
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise NotFound("error.not_found")
    staff.failed_logins = 0
    staff.locked_until = None
    session.add(staff)
    audit.record(session, actor, "staff.unlock", target_type="staff", target_id=staff_id)


def set_own_locale(session: Session, actor: Actor, locale: str) -> None:
    if locale not in LOCALES:
        raise ValidationFailed({"locale": "error.locale"})
    staff = session.get(Staff, actor.staff_id)
    if staff is None:
        raise NotFound("error.not_found")
    if staff.locale != locale:
        audit.record(
            session,
            actor,
            "staff.locale",
            target_type="staff",
            target_id=staff.id,
            changes={"locale": [staff.locale, locale]},
        )
        staff.locale = locale
        session.add(staff)


def bootstrap(
    session: Session, username: str, password: str, hq_code: str = "HQ", hq_name: str = "总部"
) -> Actor:
    """First start: seeded roles, the HQ store and the first HQ admin (no actor exists yet)."""
    if session.exec(select(Staff).limit(1)).first() is not None:
        raise ValidationFailed({"username": "error.already_bootstrapped"})
    check_password_policy(password)
    for code, spec in SEED_ROLES.items():
        role = session.exec(select(Role).where(Role.code == code)).first() or Role(
            code=code, name=spec["name"]
        )
        role.name = spec["name"]
        role.permissions = list(spec["permissions"])
        role.all_stores = spec["all_stores"]
        session.add(role)
    session.flush()
    hq = session.exec(select(Store).where(Store.code == hq_code)).first()
    if hq is None:
        hq = Store(code=hq_code, name=hq_name, is_hq=True)
        session.add(hq)
        session.flush()
    admin_role = session.exec(select(Role).where(Role.code == "hq_admin")).one()
    staff = Staff(
        username=username,
        display_name=username,
        role_id=admin_role.id or 0,
        password_hash=hash_password(password),
    )
    session.add(staff)
    session.flush()
    session.add(StaffStore(staff_id=staff.id or 0, store_id=hq.id or 0))
    session.flush()
    actor = load_actor(session, staff)
    audit.record(
        session, actor, "system.bootstrap", target_type="staff", target_id=staff.id, store_id=hq.id
    )
    return actor


# Roles whose permissions must keep `staff.manage`, so nobody can lock HQ out of its own system.
PROTECTED_ROLES = ("hq_admin",)


def update_role_permissions(
    session: Session, actor: Actor, role_code: str, permissions: list[str]
) -> Role:
    """HQ changes what a role may do; the audit entry lists permissions added and removed."""
    require(actor, "staff.manage")
    if actor.store_ids is not None:
        raise PermissionDenied("error.store_scope")  # scopes are HQ's to grant
    role = session.exec(select(Role).where(Role.code == role_code)).first()
    if role is None:
        raise NotFound("error.not_found")
    wanted = sorted(set(permissions))
    unknown = [p for p in wanted if p not in PERMISSIONS]
    if unknown:
        raise ValidationFailed({"permissions": "error.choice"})
    if role.code in PROTECTED_ROLES and "staff.manage" not in wanted:
        raise ValidationFailed({"permissions": "error.self_lockout"})
    before = sorted(role.permissions)
    if before == wanted:
        return role
    role.permissions = wanted
    session.add(role)
    audit.record(
        session,
        actor,
        "roles.update",
        target_type="role",
        target_id=role.code,
        changes={
            "added": sorted(set(wanted) - set(before)),
            "removed": sorted(set(before) - set(wanted)),
        },
    )
    return role
