"""Staff accounts: creating them, their role and stores, who sees whom, unlocking."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from backoffice.errors import AuthFailed, NotFound, PermissionDenied, ValidationFailed
from backoffice.models import AuditEntry, Staff
from backoffice.services.members.search import MemberQuery, search_members
from backoffice.services.org.auth import actor_for_token, attempt_sign_in
from backoffice.services.org.staff import (
    StaffInput,
    bootstrap,
    create_staff,
    list_staff,
    set_own_locale,
    unlock_staff,
    update_staff,
)
from tests.unit.foundation_fixtures import add_member, count, last_audit

PASSWORD = "Clerk-pass-1"


def clerk(org, **changes: Any) -> StaffInput:
    values: dict[str, Any] = {
        "username": "lin",
        "display_name": "前台 小林",
        "role_code": "reception",
        "store_ids": [org.stores["SH01"]],
        "password": PASSWORD,
    }
    return StaffInput(**{**values, **changes})


def staff_row(session, username: str) -> Staff:
    return session.exec(select(Staff).where(Staff.username == username)).one()


def as_input(session, org, account: str, **changes: Any) -> StaffInput:
    """The edit form of an existing account, with some fields changed."""
    row = next(r for r in list_staff(session, org.actors["admin"]) if r.username == account)
    values: dict[str, Any] = {
        "username": row.username,
        "display_name": row.display_name,
        "phone": row.phone,
        "role_code": row.role_code,
        "store_ids": row.store_ids,
        "locale": row.locale,
        "active": row.active,
    }
    return StaffInput(**{**values, **changes})


# ---- creating accounts ------------------------------------------------------------------


def test_new_account_must_change_its_password_at_first_sign_in(session, org):
    staff = create_staff(session, org.actors["admin"], clerk(org, phone="139 1234 5678"))
    assert staff.must_change_password is True and staff.phone == "+8613912345678"
    session.commit()
    actor = attempt_sign_in(session, "lin", PASSWORD).actor
    assert actor.role == "reception" and actor.store_ids == frozenset({org.stores["SH01"]})


def test_new_account_is_audited_without_its_password(session, org):
    staff = create_staff(session, org.actors["admin"], clerk(org))
    entry = last_audit(session, "staff.create")
    assert entry.target_id == str(staff.id)
    assert entry.changes["role"] == [None, "reception"]
    assert entry.changes["store_ids"] == [None, [org.stores["SH01"]]]
    assert PASSWORD not in str(entry.changes) and "password_hash" not in entry.changes


def test_hq_account_needs_no_store(session, org):
    staff = create_staff(
        session, org.actors["admin"], clerk(org, role_code="hq_auditor", store_ids=[])
    )
    assert staff.id is not None


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"username": " "}, {"username": "error.required"}),
        ({"username": "xiao lin"}, {"username": "error.username_format"}),
        ({"username": "lin/admin"}, {"username": "error.username_format"}),
        ({"display_name": ""}, {"display_name": "error.required"}),
        ({"phone": "12345"}, {"phone": "error.phone_invalid"}),
        ({"role_code": "superuser"}, {"role_code": "error.role_unknown"}),
        ({"store_ids": []}, {"store_ids": "error.stores_required"}),
        ({"store_ids": [9999]}, {"store_ids": "error.store_unknown"}),
        ({"locale": "fr"}, {"locale": "error.locale"}),
        ({"password": "Short1"}, {"password": "error.password_short"}),
        ({"password": "lettersonly"}, {"password": "error.password_weak"}),
    ],
)
def test_account_rules_are_field_errors(session, org, changes, errors):
    accounts = count(session, Staff)
    with pytest.raises(ValidationFailed) as err:
        create_staff(session, org.actors["admin"], clerk(org, **changes))
    assert err.value.errors == errors
    assert count(session, Staff) == accounts


def test_username_and_phone_belong_to_one_account_each(session, org):
    admin = org.actors["admin"]
    create_staff(session, admin, clerk(org, phone="13912345678"))
    with pytest.raises(ValidationFailed) as err:
        create_staff(session, admin, clerk(org, phone=""))
    assert err.value.errors == {"username": "error.username_taken"}
    with pytest.raises(ValidationFailed) as err:
        create_staff(session, admin, clerk(org, username="zhou", phone="+86 139 1234 5678"))
    assert err.value.errors == {"phone": "error.phone_taken"}


def test_only_staff_managers_create_accounts(session, org):
    accounts, entries = count(session, Staff), count(session, AuditEntry)
    for username in ("auditor", "owner", "reception"):
        with pytest.raises(PermissionDenied):
            create_staff(session, org.actors[username], clerk(org))
    assert (count(session, Staff), count(session, AuditEntry)) == (accounts, entries)


def test_the_system_is_set_up_only_once(session, org):
    with pytest.raises(ValidationFailed) as err:
        bootstrap(session, "second_admin", "Admin-pass-1")
    assert err.value.errors == {"username": "error.already_bootstrapped"}


# ---- who sees whom ----------------------------------------------------------------------


def usernames(session, actor, search: str = "") -> list[str]:
    return [r.username for r in list_staff(session, actor, search)]


def test_hq_sees_every_account(session, org):
    expected = ["admin", "auditor", "owner", "reception", "reception_gz"]
    assert usernames(session, org.actors["admin"]) == expected
    assert usernames(session, org.actors["auditor"]) == expected


def test_franchise_owner_sees_only_staff_of_their_stores(session, org):
    assert usernames(session, org.actors["owner"]) == ["owner", "reception"]


def test_reception_cannot_list_staff(session, org):
    with pytest.raises(PermissionDenied):
        list_staff(session, org.actors["reception"])


def test_staff_list_searches_username_and_display_name(session, org):
    assert usernames(session, org.actors["admin"], "reception") == ["reception", "reception_gz"]
    assert usernames(session, org.actors["admin"], "小周") == ["reception_gz"]


def test_staff_list_shows_a_locked_account(session, org):
    for _ in range(5):
        with pytest.raises(AuthFailed):
            attempt_sign_in(session, "reception", "wrong-pass-1")
    rows = {r.username: r for r in list_staff(session, org.actors["admin"])}
    assert rows["reception"].locked and not rows["owner"].locked


# ---- changing accounts ------------------------------------------------------------------


def test_moving_a_clerk_changes_what_their_open_session_sees(session, org):
    admin = org.actors["admin"]
    add_member(session, admin, org.stores["SH01"], "13800000001", "上海会员")
    add_member(session, admin, org.stores["GZ01"], "13800000002", "广州会员")
    token = attempt_sign_in(session, "reception", org.password).token
    reception_id = staff_row(session, "reception").id

    update_staff(
        session,
        admin,
        reception_id,
        as_input(session, org, "reception", store_ids=[org.stores["GZ01"]]),
    )

    actor = actor_for_token(session, token)
    assert [r.name for r in search_members(session, actor, MemberQuery()).rows] == ["广州会员"]
    assert last_audit(session, "staff.update").changes == {
        "store_ids": [[org.stores["SH01"]], [org.stores["GZ01"]]]
    }


def test_promoting_a_clerk_changes_their_permissions(session, org):
    reception_id = staff_row(session, "reception").id
    update_staff(
        session,
        org.actors["admin"],
        reception_id,
        as_input(session, org, "reception", role_code="franchise_owner"),
    )
    actor = attempt_sign_in(session, "reception", org.password).actor
    assert actor.role == "franchise_owner" and actor.can("members.export")
    assert last_audit(session, "staff.update").changes == {"role": ["reception", "franchise_owner"]}


def test_saving_an_account_unchanged_writes_no_audit_entry(session, org):
    entries = count(session, AuditEntry)
    update_staff(
        session,
        org.actors["admin"],
        staff_row(session, "owner").id,
        as_input(session, org, "owner"),
    )
    assert count(session, AuditEntry) == entries


def test_admins_cannot_lock_themselves_out(session, org):
    admin = org.actors["admin"]
    for changes in ({"active": False}, {"role_code": "hq_auditor"}):
        with pytest.raises(PermissionDenied) as err:
            update_staff(session, admin, admin.staff_id, as_input(session, org, "admin", **changes))
        assert err.value.message == "error.self_lockout"
    assert staff_row(session, "admin").active


def test_renaming_to_a_taken_username_is_refused(session, org):
    with pytest.raises(ValidationFailed) as err:
        update_staff(
            session,
            org.actors["admin"],
            staff_row(session, "reception").id,
            as_input(session, org, "reception", username="owner"),
        )
    assert err.value.errors == {"username": "error.username_taken"}


def test_changing_a_missing_account_is_not_found(session, org):
    with pytest.raises(NotFound):
        update_staff(session, org.actors["admin"], 9999, clerk(org))
    with pytest.raises(NotFound):
        unlock_staff(session, org.actors["admin"], 9999)


def test_admin_unlocks_a_locked_account(session, org):
    for _ in range(5):
        with pytest.raises(AuthFailed):
            attempt_sign_in(session, "reception", "wrong-pass-1")
    reception_id = staff_row(session, "reception").id
    unlock_staff(session, org.actors["admin"], reception_id)
    assert staff_row(session, "reception").locked_until is None
    assert attempt_sign_in(session, "reception", org.password).actor.username == "reception"
    assert last_audit(session, "staff.unlock").target_id == str(reception_id)


def test_only_staff_managers_unlock(session, org):
    with pytest.raises(PermissionDenied):
        unlock_staff(session, org.actors["owner"], staff_row(session, "reception").id)


def test_staff_choose_their_own_language(session, org):
    reception = org.actors["reception"]
    set_own_locale(session, reception, "en")
    assert staff_row(session, "reception").locale == "en"
    assert last_audit(session, "staff.locale").changes == {"locale": ["zh-CN", "en"]}
    entries = count(session, AuditEntry)
    set_own_locale(session, reception, "en")
    assert count(session, AuditEntry) == entries
    with pytest.raises(ValidationFailed) as err:
        set_own_locale(session, reception, "klingon")
    assert err.value.errors == {"locale": "error.locale"}
