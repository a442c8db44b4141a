"""Who may do what, where: the permission and store-scope policy, written as one table.

The accounts come from the demo organisation: admin (hq_admin) and auditor (hq_auditor)
see every store; owner (franchise_owner) has SH01 + BJ01; reception has SH01 only.
"own" means SH01, a store in every one of these accounts' scope; "other" means GZ01,
outside the franchise owner's and the SH01 receptionist's scope (HQ roles see it too).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import Session, select

from backoffice.errors import NotFound, PermissionDenied
from backoffice.models import Member, MemberStatus, Staff, Store
from backoffice.services.members.csv_io import export_members_csv, import_members
from backoffice.services.members.forms import FieldInput, add_field
from backoffice.services.members.profiles import MemberInput, create_member, update_member
from backoffice.services.members.search import MemberQuery, get_member, search_members
from backoffice.services.members.status import change_member_status
from backoffice.services.org.access import (
    PERMISSIONS,
    SEED_ROLES,
    Actor,
    load_actor,
    require,
    require_row_in_scope,
    restrict,
    scoped_store_ids,
)
from backoffice.services.org.audit import AuditFilter, list_audit
from backoffice.services.org.staff import StaffInput, create_staff
from backoffice.services.org.stores import StoreInput, update_store
from tests.unit.foundation_fixtures import add_member, changed_tables, snapshot

# ---- the policy --------------------------------------------------------------------------

OK = "allowed"
DENIED = "PermissionDenied"
NOT_FOUND = "NotFound (the row is outside the scope, so it is reported as missing)"
EMPTY = "allowed, but the other store's rows are filtered out (nothing returned)"
REFUSED = "the import report refuses the row (error.store_scope) and imports nothing"

ROLES = ("hq_admin", "hq_auditor", "franchise_owner", "reception")
ACCOUNT = {
    "hq_admin": "admin",
    "hq_auditor": "auditor",
    "franchise_owner": "owner",
    "reception": "reception",
}
STORE = {"own": "SH01", "other": "GZ01"}

# fmt: off
POLICY: dict[str, tuple[str, ...]] = {
    #                       hq_admin     hq_auditor        franchise_owner        reception
    #                       own   other  own     other     own     other          own     other
    "read member":         (OK,   OK,    OK,     OK,       OK,     NOT_FOUND,     OK,     NOT_FOUND),
    "create member":       (OK,   OK,    DENIED, DENIED,   OK,     DENIED,        OK,     DENIED),
    "edit member":         (OK,   OK,    DENIED, DENIED,   OK,     NOT_FOUND,     OK,     NOT_FOUND),
    "freeze member":       (OK,   OK,    DENIED, DENIED,   OK,     NOT_FOUND,     DENIED, DENIED),
    "export members":      (OK,   OK,    DENIED, DENIED,   OK,     EMPTY,         DENIED, DENIED),
    "import members":      (OK,   OK,    DENIED, DENIED,   OK,     REFUSED,       DENIED, DENIED),
    "manage form fields":  (OK,   OK,    DENIED, DENIED,   DENIED, DENIED,        DENIED, DENIED),
    "read audit":          (OK,   OK,    OK,     OK,       DENIED, DENIED,        DENIED, DENIED),
    "manage staff":        (OK,   OK,    DENIED, DENIED,   DENIED, DENIED,        DENIED, DENIED),
    "manage stores":       (OK,   OK,    DENIED, DENIED,   DENIED, DENIED,        DENIED, DENIED),
}
# fmt: on


def policy_cases() -> list[Any]:
    cases = []
    for action, row in POLICY.items():
        assert len(row) == 2 * len(ROLES), action
        for role_index, role in enumerate(ROLES):
            for where_index, where in enumerate(("own", "other")):
                expected = row[2 * role_index + where_index]
                cases.append(
                    pytest.param(
                        action,
                        role,
                        where,
                        expected,
                        id=f"{role}-{action.replace(' ', '_')}-{where}_store",
                    )
                )
    return cases


# ---- the actions, each observed as one of the outcomes above ------------------------------


@dataclass
class World:
    session: Session
    stores: dict[str, int]
    members: dict[str, Member]  # by store code


def _member_input(member: Member, **changes: Any) -> MemberInput:
    values = {"name": member.name, "phone": member.phone, "home_store_id": member.home_store_id}
    return MemberInput(**{**values, **changes})


def read_member(w: World, actor: Actor, code: str) -> str:
    row = get_member(w.session, actor, w.members[code].id or 0)
    assert row.id == w.members[code].id and row.name == w.members[code].name
    return OK


def create_member_at(w: World, actor: Actor, code: str) -> str:
    member = create_member(
        w.session,
        actor,
        MemberInput(name="新会员", phone="13700009999", home_store_id=w.stores[code]),
    )
    stored = w.session.exec(select(Member).where(Member.phone == "+8613700009999")).one()
    assert stored.id == member.id and stored.home_store_id == w.stores[code]
    return OK


def edit_member(w: World, actor: Actor, code: str) -> str:
    member = w.members[code]
    update_member(w.session, actor, member.id or 0, _member_input(member, name="改过的名字"))
    assert w.session.get(Member, member.id).name == "改过的名字"
    return OK


def freeze_member(w: World, actor: Actor, code: str) -> str:
    member = w.members[code]
    change_member_status(w.session, actor, member.id or 0, "freeze", "会员要求")
    assert w.session.get(Member, member.id).status == MemberStatus.FROZEN
    return OK


def export_members(w: World, actor: Actor, code: str) -> str:
    csv_text, total = export_members_csv(w.session, actor, MemberQuery(store_id=w.stores[code]))
    exported_numbers = {m.member_no for m in w.members.values() if m.member_no in csv_text}
    if total == 0 and not exported_numbers:
        return EMPTY
    assert total == 1 and exported_numbers == {w.members[code].member_no}
    return OK


def import_members_at(w: World, actor: Actor, code: str) -> str:
    content = f"name,phone,store_code\n导入会员,13700008888,{code}\n".encode()
    report = import_members(w.session, actor, content)
    if [p.message for p in report.problems] == ["error.store_scope"] and report.imported == 0:
        return REFUSED
    assert report.imported == 1 and not report.problems
    stored = w.session.exec(select(Member).where(Member.phone == "+8613700008888")).one()
    assert stored.home_store_id == w.stores[code]
    return OK


def manage_form_fields(w: World, actor: Actor, code: str) -> str:
    field = add_field(
        w.session, actor, FieldInput(key=f"note_{code.lower()}", label="备注", type="text")
    )
    assert field.id is not None
    return OK


def read_audit(w: World, actor: Actor, code: str) -> str:
    rows, total = list_audit(w.session, actor, AuditFilter(store_id=w.stores[code]))
    assert total >= 1 and {r.store_id for r in rows} == {w.stores[code]}
    return OK


def manage_staff(w: World, actor: Actor, code: str) -> str:
    staff = create_staff(
        w.session,
        actor,
        StaffInput(
            username=f"clerk_{code.lower()}",
            display_name="新前台",
            role_code="reception",
            store_ids=[w.stores[code]],
            password="Clerk-pass-1",
        ),
    )
    assert staff.id is not None
    return OK


def manage_stores(w: World, actor: Actor, code: str) -> str:
    store = w.session.get(Store, w.stores[code])
    update_store(
        w.session,
        actor,
        store.id or 0,
        StoreInput(code=store.code, name=store.name + "（新）", timezone=store.timezone),
    )
    assert w.session.get(Store, w.stores[code]).name.endswith("（新）")
    return OK


ACTIONS: dict[str, Callable[[World, Actor, str], str]] = {
    "read member": read_member,
    "create member": create_member_at,
    "edit member": edit_member,
    "freeze member": freeze_member,
    "export members": export_members,
    "import members": import_members_at,
    "manage form fields": manage_form_fields,
    "read audit": read_audit,
    "manage staff": manage_staff,
    "manage stores": manage_stores,
}


def observe(w: World, actor: Actor, action: str, code: str) -> str:
    try:
        return ACTIONS[action](w, actor, code)
    except PermissionDenied:
        return DENIED
    except NotFound:
        return NOT_FOUND


@pytest.fixture
def world(session, org) -> World:
    admin = org.actors["admin"]
    members = {
        "SH01": add_member(session, admin, org.stores["SH01"], "13800000001", "上海会员"),
        "GZ01": add_member(session, admin, org.stores["GZ01"], "13800000002", "广州会员"),
    }
    session.commit()
    return World(session=session, stores=org.stores, members=members)


def test_the_policy_table_covers_every_action():
    assert set(POLICY) == set(ACTIONS)


@pytest.mark.parametrize(("action", "role", "where", "expected"), policy_cases())
def test_each_role_gets_exactly_what_the_policy_table_says(
    world, org, action, role, where, expected
):
    actor = org.actors[ACCOUNT[role]]
    assert actor.role == role
    before = snapshot(world.session)

    outcome = observe(world, actor, action, STORE[where])

    assert outcome == expected
    if expected in (DENIED, NOT_FOUND, REFUSED):
        after = snapshot(world.session)
        assert changed_tables(before, after) == [], "a refused call must change nothing"


# ---- the same policy, told as stories ---------------------------------------------------


def test_reception_cannot_see_other_store_member(world, org):
    reception = org.actors["reception"]
    gz_member = world.members["GZ01"]

    page = search_members(world.session, reception, MemberQuery(q="广州"))
    assert page.total == 0 and page.rows == []
    with pytest.raises(NotFound):
        get_member(world.session, reception, gz_member.id or 0)


def test_out_of_scope_member_is_reported_exactly_like_a_missing_one(world, org):
    reception = org.actors["reception"]
    with pytest.raises(NotFound) as hidden:
        get_member(world.session, reception, world.members["GZ01"].id or 0)
    with pytest.raises(NotFound) as missing:
        get_member(world.session, reception, 999_999)
    assert (hidden.value.message, hidden.value.field) == (
        missing.value.message,
        missing.value.field,
    )


def test_receptionist_of_gz01_sees_only_gz01(world, org):
    page = search_members(world.session, org.actors["reception_gz"], MemberQuery())
    assert [r.name for r in page.rows] == ["广州会员"]


def test_franchise_owner_sees_every_store_granted_and_no_other(world, org):
    owner = org.actors["owner"]
    bj = add_member(world.session, org.actors["admin"], org.stores["BJ01"], "13800000003", "北京")
    page = search_members(world.session, owner, MemberQuery(sort="oldest"))
    assert [r.id for r in page.rows] == [world.members["SH01"].id, bj.id]


# ---- the mechanism: require, restrict and the actor ---------------------------------------


def test_actor_of_hq_role_has_no_store_limit(org):
    assert org.actors["admin"].store_ids is None
    assert org.actors["auditor"].store_ids is None
    assert org.actors["admin"].home_store_id == org.stores["HQ"]


def test_actor_of_store_role_is_limited_to_the_stores_assigned(org):
    owner, reception = org.actors["owner"], org.actors["reception"]
    assert owner.store_ids == frozenset({org.stores["SH01"], org.stores["BJ01"]})
    assert reception.store_ids == frozenset({org.stores["SH01"]})
    assert reception.home_store_id == org.stores["SH01"]


def test_seeded_roles_hold_exactly_their_listed_permissions(org):
    for username, actor in org.actors.items():
        assert actor.permissions == frozenset(SEED_ROLES[actor.role]["permissions"]), username
    assert org.actors["admin"].permissions == frozenset(PERMISSIONS)


def test_actor_ignores_permissions_the_catalog_does_not_know(session, org):
    from backoffice.models import Role

    role = session.exec(select(Role).where(Role.code == "reception")).one()
    role.permissions = [*role.permissions, "root.everything"]
    session.add(role)
    session.flush()
    staff = session.exec(select(Staff).where(Staff.username == "reception")).one()
    assert "root.everything" not in load_actor(session, staff).permissions


def test_require_refuses_a_signed_out_caller():
    with pytest.raises(PermissionDenied) as err:
        require(None, "members.read")
    assert err.value.message == "error.signed_out"


def test_require_names_the_missing_permission(org):
    with pytest.raises(PermissionDenied) as err:
        require(org.actors["reception"], "members.export")
    assert err.value.message == "error.permission"
    assert err.value.params == {"permission": "members.export"}


def test_require_refuses_a_store_outside_the_scope(org):
    with pytest.raises(PermissionDenied) as err:
        require(org.actors["reception"], "members.write", org.stores["GZ01"])
    assert err.value.message == "error.store_scope"
    assert require(org.actors["reception"], "members.write", org.stores["SH01"])


def test_require_rejects_a_permission_name_that_does_not_exist(org):
    with pytest.raises(ValueError, match="unknown permission"):
        require(org.actors["admin"], "members.delete")


def test_row_outside_the_scope_is_not_found(org):
    reception = org.actors["reception"]
    with pytest.raises(NotFound):
        require_row_in_scope(reception, object(), org.stores["GZ01"])
    with pytest.raises(NotFound):
        require_row_in_scope(reception, None, org.stores["SH01"])
    row = object()
    assert require_row_in_scope(reception, row, org.stores["SH01"]) is row


def test_restrict_narrows_a_query_to_the_scope(world, org):
    def visible(actor: Actor) -> set[str]:
        stmt = restrict(select(Member.name), actor, Member.home_store_id)
        return set(world.session.exec(stmt).all())

    assert visible(org.actors["admin"]) == {"上海会员", "广州会员"}
    assert visible(org.actors["reception"]) == {"上海会员"}
    assert visible(org.actors["reception_gz"]) == {"广州会员"}


def test_actor_without_any_store_sees_nothing(world, org):
    storeless = Actor(
        staff_id=0,
        username="ghost",
        display_name="ghost",
        role="reception",
        permissions=frozenset({"members.read"}),
        store_ids=frozenset(),
    )
    assert world.session.exec(restrict(select(Member), storeless, Member.home_store_id)).all() == []
    assert search_members(world.session, storeless, MemberQuery()).total == 0


def test_requested_store_filter_is_intersected_with_the_scope(org):
    owner, admin = org.actors["owner"], org.actors["admin"]
    sh, bj, gz = org.stores["SH01"], org.stores["BJ01"], org.stores["GZ01"]
    assert scoped_store_ids(owner, None) == sorted([sh, bj])
    assert scoped_store_ids(owner, [sh, gz]) == [sh]
    assert scoped_store_ids(owner, [gz]) == []
    assert scoped_store_ids(admin, None) is None
    assert scoped_store_ids(admin, [gz]) == [gz]
