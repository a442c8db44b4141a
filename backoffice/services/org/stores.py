"""Stores: HQ and franchise shops."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from backoffice.errors import Conflict, NotFound, ValidationFailed
from backoffice.models import Store
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, require, restrict
from backoffice.services.phones import normalize_phone


class StoreInput(BaseModel):
    code: str = Field(default="")
    name: str = Field(default="")
    address: str = ""
    phone: str = ""
    timezone: str = "Asia/Shanghai"
    is_hq: bool = False
    active: bool = True


def _validate(data: StoreInput) -> dict[str, Any]:
    errors: dict[str, str] = {}
    code = data.code.strip().upper()
    if not code:
        errors["code"] = "error.required"
    elif len(code) > 32 or not code.isascii() or not all(c.isalnum() or c in "-_" for c in code):
        errors["code"] = "error.store_code"
    if not data.name.strip():
        errors["name"] = "error.required"
    if data.timezone not in available_timezones():
        errors["timezone"] = "error.timezone"
    phone = ""
    if data.phone.strip():
        try:
            phone = normalize_phone(data.phone)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    return {
        "code": code,
        "name": data.name.strip(),
        "address": data.address.strip(),
        "phone": phone,
        "timezone": data.timezone,
        "is_hq": data.is_hq,
        "active": data.active,
    }


def visible_stores(session: Session, actor: Actor, include_inactive: bool = False) -> list[Store]:
    """Stores in the actor's scope, HQ first, then by code."""
    require(actor, "stores.read")
    stmt = restrict(select(Store), actor, Store.id)
    if not include_inactive:
        stmt = stmt.where(Store.active == True)  # noqa: E712
    return list(session.exec(stmt.order_by(col(Store.is_hq).desc(), Store.code)).all())


def get_store(session: Session, actor: Actor, store_id: int) -> Store:
    require(actor, "stores.read")
    store = session.get(Store, store_id)
    if store is None or not actor.in_scope(store_id):
        raise NotFound("error.not_found")
    return store


def create_store(session: Session, actor: Actor, data: StoreInput) -> Store:
    require(actor, "stores.manage")
    values = _validate(data)
    if session.exec(select(Store).where(Store.code == values["code"])).first():
        raise ValidationFailed({"code": "error.store_code_taken"})
    store = Store(**values)
    session.add(store)
    session.flush()
    audit.record(
        session,
        actor,
        "stores.create",
        target_type="store",
        target_id=store.id,
        store_id=store.id,
        changes=audit.diff({}, values),
    )
    return store


def update_store(session: Session, actor: Actor, store_id: int, data: StoreInput) -> Store:
    require(actor, "stores.manage")
    store = session.get(Store, store_id)
    if store is None:
        raise NotFound("error.not_found")
    values = _validate(data)
    clash = session.exec(select(Store).where(Store.code == values["code"])).first()
    if clash is not None and clash.id != store_id:
        raise ValidationFailed({"code": "error.store_code_taken"})
    before = store.model_dump()
    for key, value in values.items():
        setattr(store, key, value)
    session.add(store)
    session.flush()
    changes = audit.diff({k: before[k] for k in values}, values)
    if changes:
        audit.record(
            session,
            actor,
            "stores.update",
            target_type="store",
            target_id=store.id,
            store_id=store.id,
            changes=changes,
        )
    return store


def ensure_store_exists(session: Session, store_id: int) -> Store:
    store = session.get(Store, store_id)
    if store is None or not store.active:
        raise ValidationFailed({"home_store_id": "error.store_unknown"})
    return store


__all__ = [
    "Conflict",
    "StoreInput",
    "create_store",
    "ensure_store_exists",
    "get_store",
    "update_store",
    "visible_stores",
]
