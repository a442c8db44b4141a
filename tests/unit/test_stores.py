"""Stores: the head office and the franchise shops, and who sees which."""

from __future__ import annotations

from typing import Any

import pytest

from backoffice.errors import NotFound, PermissionDenied, ValidationFailed
from backoffice.models import AuditEntry, Store
from backoffice.services.org.stores import (
    StoreInput,
    create_store,
    get_store,
    update_store,
    visible_stores,
)
from tests.unit.foundation_fixtures import add_member, count, last_audit


def shop(**changes: Any) -> StoreInput:
    values: dict[str, Any] = {"code": "sz01", "name": " 深圳南山店 ", "phone": "0755-86013388"}
    return StoreInput(**{**values, **changes})


def codes(stores: list[Store]) -> list[str]:
    return [s.code for s in stores]


def test_new_store_is_normalised_and_audited(session, org):
    store = create_store(session, org.actors["admin"], shop(address=" 南山区 1 号 "))
    assert (store.code, store.name, store.phone, store.address) == (
        "SZ01",
        "深圳南山店",
        "+8675586013388",
        "南山区 1 号",
    )
    entry = last_audit(session, "stores.create")
    assert (entry.target_id, entry.store_id) == (str(store.id), store.id)
    assert entry.changes["code"] == [None, "SZ01"]


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"code": ""}, {"code": "error.required"}),
        ({"code": "SZ 01"}, {"code": "error.store_code"}),
        ({"code": "深圳"}, {"code": "error.store_code"}),
        ({"code": "ＳＨ０２"}, {"code": "error.store_code"}),
        ({"code": "X" * 33}, {"code": "error.store_code"}),
        ({"name": "  "}, {"name": "error.required"}),
        ({"timezone": "Mars/Olympus"}, {"timezone": "error.timezone"}),
        ({"phone": "123"}, {"phone": "error.phone_invalid"}),
    ],
)
def test_store_rules_are_field_errors(session, org, changes, errors):
    stores = count(session, Store)
    with pytest.raises(ValidationFailed) as err:
        create_store(session, org.actors["admin"], shop(**changes))
    assert err.value.errors == errors
    assert count(session, Store) == stores


def test_store_code_is_unique_whatever_its_case(session, org):
    with pytest.raises(ValidationFailed) as err:
        create_store(session, org.actors["admin"], shop(code="sh01"))
    assert err.value.errors == {"code": "error.store_code_taken"}


def test_only_store_managers_create_and_change_stores(session, org):
    stores, entries = count(session, Store), count(session, AuditEntry)
    for username in ("auditor", "owner", "reception"):
        with pytest.raises(PermissionDenied):
            create_store(session, org.actors[username], shop())
        with pytest.raises(PermissionDenied):
            update_store(session, org.actors[username], org.stores["SH01"], shop(code="SH01"))
    assert (count(session, Store), count(session, AuditEntry)) == (stores, entries)
    assert session.get(Store, org.stores["SH01"]).name == "上海静安店"


def test_each_role_sees_its_stores_head_office_first(session, org):
    assert codes(visible_stores(session, org.actors["admin"])) == ["HQ", "BJ01", "GZ01", "SH01"]
    assert codes(visible_stores(session, org.actors["auditor"])) == ["HQ", "BJ01", "GZ01", "SH01"]
    assert codes(visible_stores(session, org.actors["owner"])) == ["BJ01", "SH01"]
    assert codes(visible_stores(session, org.actors["reception"])) == ["SH01"]


def test_store_outside_the_scope_is_not_found(session, org):
    assert get_store(session, org.actors["owner"], org.stores["BJ01"]).code == "BJ01"
    with pytest.raises(NotFound):
        get_store(session, org.actors["owner"], org.stores["GZ01"])
    with pytest.raises(NotFound):
        get_store(session, org.actors["admin"], 9999)


def test_store_change_is_audited_field_by_field(session, org):
    store = session.get(Store, org.stores["GZ01"])
    update_store(
        session,
        org.actors["admin"],
        store.id,
        StoreInput(code="GZ01", name="广州天河旗舰店", phone=store.phone, address=store.address),
    )
    assert session.get(Store, store.id).name == "广州天河旗舰店"
    assert last_audit(session, "stores.update").changes == {
        "name": ["广州天河店", "广州天河旗舰店"]
    }


def test_store_cannot_take_another_stores_code(session, org):
    with pytest.raises(ValidationFailed) as err:
        update_store(session, org.actors["admin"], org.stores["GZ01"], shop(code="BJ01"))
    assert err.value.errors == {"code": "error.store_code_taken"}
    with pytest.raises(NotFound):
        update_store(session, org.actors["admin"], 9999, shop())


def test_closed_store_leaves_the_lists_and_takes_no_new_members(session, org):
    admin = org.actors["admin"]
    store = session.get(Store, org.stores["BJ01"])
    update_store(session, admin, store.id, StoreInput(code="BJ01", name=store.name, active=False))
    assert codes(visible_stores(session, org.actors["owner"])) == ["SH01"]
    assert codes(visible_stores(session, org.actors["owner"], include_inactive=True)) == [
        "BJ01",
        "SH01",
    ]
    with pytest.raises(ValidationFailed) as err:
        add_member(session, admin, store.id, "13800000001")
    assert err.value.errors == {"home_store_id": "error.store_unknown"}
