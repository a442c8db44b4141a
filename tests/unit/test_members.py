"""Members: registering, editing, status changes, search, filters, masking and the timeline."""

from __future__ import annotations

import re
from typing import Any

import pytest

from backoffice.errors import NotFound, PermissionDenied, ValidationFailed
from backoffice.models import AuditEntry, DomainEvent, Member, MemberStatus, MemberTag
from backoffice.services.members import search
from backoffice.services.members.forms import FieldInput, add_field
from backoffice.services.members.profiles import (
    MemberInput,
    all_tags,
    create_member,
    get_member_for_edit,
    update_member,
)
from backoffice.services.members.search import (
    MAX_PAGE_SIZE,
    MemberQuery,
    count_members,
    get_member,
    search_members,
)
from backoffice.services.members.status import change_member_status
from backoffice.services.members.timeline import member_timeline
from tests.unit.foundation_fixtures import add_member, count, last_audit


def counts(session) -> tuple[int, ...]:
    return tuple(count(session, m) for m in (Member, MemberTag, AuditEntry, DomainEvent))


def field_errors(call, *args: Any, **kwargs: Any) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as err:
        call(*args, **kwargs)
    return err.value.errors


def edit_input(member: Member, **changes: Any) -> MemberInput:
    values: dict[str, Any] = {
        "name": member.name,
        "phone": member.phone,
        "home_store_id": member.home_store_id,
    }
    return MemberInput(**{**values, **changes})


# ---- registering ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["13800138000", "138 0013 8000", "138-0013-8000", "+86 138 0013 8000", "(+86)13800138000"],
)
def test_phone_is_stored_once_in_international_form(session, org, typed):
    member = add_member(session, org.actors["reception"], org.stores["SH01"], typed)
    assert (member.phone, member.phone_tail) == ("+8613800138000", "8000")


def test_new_member_gets_a_card_number_like_m00000001(session, org):
    reception, store = org.actors["reception"], org.stores["SH01"]
    first = add_member(session, reception, store, "13800000001")
    second = add_member(session, reception, store, "13800000002")
    for member in (first, second):
        assert re.fullmatch(r"M\d{8}", member.member_no)
        assert member.member_no == f"M{member.id:08d}"
    assert first.member_no != second.member_no


def test_member_brought_from_another_system_keeps_its_card_number(session, org):
    member = add_member(
        session, org.actors["admin"], org.stores["SH01"], "13800000001", member_no="OLD0042"
    )
    assert member.member_no == "OLD0042"


def test_card_number_is_kept_upper_case_so_it_can_be_found(session, org):
    admin = org.actors["admin"]
    member = add_member(session, admin, org.stores["SH01"], "13800000001", member_no="old0042")
    assert member.member_no == "OLD0042"
    rows = search_members(session, admin, MemberQuery(q="old0042")).rows
    assert [r.id for r in rows] == [member.id]


def test_a_kept_card_number_is_never_replaced_by_a_generated_one(session, org):
    number = "T1234567890123456789"  # 20 characters, like the placeholder used internally
    member = add_member(
        session, org.actors["admin"], org.stores["SH01"], "13800000001", member_no=number
    )
    assert member.member_no == number


def test_generated_card_number_steps_around_a_kept_one_that_looks_the_same(session, org):
    admin, store = org.actors["admin"], org.stores["SH01"]
    kept = add_member(session, admin, store, "13800000001", member_no="M00000002")
    new = add_member(session, admin, store, "13800000002")
    assert new.id == kept.id + 1 == 2
    assert new.member_no != "M00000002" and new.member_no.startswith("M00000002")
    assert re.fullmatch(r"[A-Z0-9]{1,20}", new.member_no)
    rows = search_members(session, admin, MemberQuery(q=new.member_no)).rows
    assert [r.id for r in rows] == [new.id]


@pytest.mark.parametrize("member_no", ["OLD-1", "卡号1", "１２３", "A" * 21])
def test_card_number_must_be_letters_and_digits(session, org, member_no):
    errors = field_errors(
        add_member, session, org.actors["admin"], org.stores["SH01"], "13800000001",
        member_no=member_no,
    )  # fmt: skip
    assert errors == {"member_no": "error.member_no"}


def test_card_number_cannot_be_used_twice(session, org):
    admin, store = org.actors["admin"], org.stores["SH01"]
    add_member(session, admin, store, "13800000001", member_no="OLD0042")
    errors = field_errors(add_member, session, admin, store, "13800000002", member_no="OLD0042")
    assert errors == {"member_no": "error.member_no_taken"}


def test_registration_is_audited_and_announced(session, org):
    member = add_member(session, org.actors["reception"], org.stores["SH01"], "13800000001")
    entry = last_audit(session, "members.create")
    assert (entry.target_id, entry.store_id) == (str(member.id), org.stores["SH01"])
    event = session.exec(DomainEvent.__table__.select()).all()[-1]
    assert (event.name, event.member_id) == ("member.created", member.id)


def test_reception_registers_at_their_own_store_by_default(session, org):
    member = create_member(
        session, org.actors["reception"], MemberInput(name="王芳", phone="13800000001")
    )
    assert member.home_store_id == org.stores["SH01"]


def test_same_phone_cannot_register_twice(session, org):
    reception, store = org.actors["reception"], org.stores["SH01"]
    add_member(session, reception, store, "13800000001", "王芳")
    before = counts(session)
    errors = field_errors(add_member, session, reception, store, "+86 138 0000 0001", "王芳二号")
    assert errors == {"phone": "error.phone_duplicate_of"}
    assert counts(session) == before


def test_phone_of_a_member_elsewhere_is_refused_without_showing_them(session, org):
    add_member(session, org.actors["admin"], org.stores["GZ01"], "13800000001", "广州会员")
    errors = field_errors(
        add_member, session, org.actors["reception"], org.stores["SH01"], "13800000001"
    )
    assert errors == {"phone": "error.phone_duplicate"}


def test_bad_input_reports_every_field_and_saves_nothing(session, org):
    before = counts(session)
    data = MemberInput(
        name="  ",
        phone="12345",
        gender="robot",
        birthday="2999-01-01",
        email="not-an-email",
        home_store_id=org.stores["SH01"],
        joined_at="yesterday",
        notes="x" * 2001,
        tags=["新客"],
        custom={"skin_type": "中性", "marketing_ok": "maybe"},
    )
    errors = field_errors(create_member, session, org.actors["reception"], data)
    assert errors == {
        "name": "error.required",
        "phone": "error.phone_invalid",
        "gender": "error.choice",
        "birthday": "error.birthday_range",
        "email": "error.email",
        "joined_at": "error.date",
        "notes": "error.notes_too_long",
        "custom.skin_type": "error.choice",
        "custom.marketing_ok": "error.boolean",
    }
    assert counts(session) == before


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"phone": ""}, {"phone": "error.required"}),
        ({"name": "名" * 101}, {"name": "error.too_long"}),
        ({"birthday": "1899-12-31"}, {"birthday": "error.birthday_range"}),
        ({"birthday": "31.12.1990"}, {"birthday": "error.date"}),
        ({"email": "a b@example.com"}, {"email": "error.email"}),
        ({"email": "ab@example"}, {"email": "error.email"}),
        ({"home_store_id": 9999}, {"home_store_id": "error.store_unknown"}),
    ],
)
def test_each_field_rule_is_a_field_error(session, org, changes, errors):
    values = {"name": "王芳", "phone": "13800000001", "home_store_id": org.stores["SH01"]}
    data = MemberInput(**{**values, **changes})
    assert field_errors(create_member, session, org.actors["admin"], data) == errors
    assert count(session, Member) == 0


def test_registration_keeps_the_details(session, org):
    member = add_member(
        session,
        org.actors["reception"],
        org.stores["SH01"],
        "13800000001",
        " 王芳 ",
        gender="female",
        birthday="1990-05-17",
        email=" wf@example.com ",
        tags=[" VIP ", "VIP", "", "新客"],
        notes=" 喜欢安静 ",
        custom={"skin_type": "干性", "interests": "护肤|美发", "marketing_ok": "是"},
    )
    row = get_member(session, org.actors["owner"], member.id)
    assert (row.name, row.gender, row.birthday, row.email) == (
        "王芳",
        "female",
        "1990-05-17",
        "wf@example.com",
    )
    assert row.tags == ["VIP", "新客"] and row.notes == "喜欢安静"
    assert row.custom == {"skin_type": "干性", "interests": ["美发", "护肤"], "marketing_ok": True}
    assert row.store_name == "上海静安店"


# ---- editing ----------------------------------------------------------------------------


def test_edit_changes_the_member(session, org):
    reception = org.actors["reception"]
    member = add_member(session, reception, org.stores["SH01"], "13800000001", "王芳")
    update_member(
        session, reception, member.id, edit_input(member, name="王芳芳", phone="13900000009")
    )
    stored = session.get(Member, member.id)
    assert (stored.name, stored.phone, stored.phone_tail) == ("王芳芳", "+8613900000009", "0009")


def test_edit_cannot_take_another_members_phone(session, org):
    reception, store = org.actors["reception"], org.stores["SH01"]
    add_member(session, reception, store, "13800000001")
    member = add_member(session, reception, store, "13800000002")
    errors = field_errors(
        update_member, session, reception, member.id, edit_input(member, phone="13800000001")
    )
    assert errors == {"phone": "error.phone_duplicate_of"}


def test_card_number_cannot_be_changed(session, org):
    reception = org.actors["reception"]
    member = add_member(session, reception, org.stores["SH01"], "13800000001")
    errors = field_errors(
        update_member, session, reception, member.id, edit_input(member, member_no="NEW1")
    )
    assert errors == {"member_no": "error.member_no_fixed"}


def test_editing_a_cancelled_member_is_refused(session, org):
    admin = org.actors["admin"]
    member = add_member(session, admin, org.stores["SH01"], "13800000001", "王芳")
    change_member_status(session, admin, member.id, "cancel", "会员要求注销")
    before = counts(session)
    errors = field_errors(update_member, session, admin, member.id, edit_input(member, name="X"))
    assert errors == {"status": "error.member_cancelled"}
    assert counts(session) == before and session.get(Member, member.id).name == "王芳"


def test_reception_cannot_move_a_member_to_another_store(session, org):
    reception = org.actors["reception"]
    member = add_member(session, reception, org.stores["SH01"], "13800000001", "王芳")
    before = counts(session)
    with pytest.raises(PermissionDenied) as err:
        update_member(
            session,
            reception,
            member.id,
            edit_input(member, name="王芳芳", home_store_id=org.stores["GZ01"]),
        )
    assert err.value.message == "error.store_scope"
    assert counts(session) == before
    stored = session.get(Member, member.id)
    assert (stored.home_store_id, stored.name) == (org.stores["SH01"], "王芳")


def test_owner_can_move_a_member_between_their_own_stores(session, org):
    owner = org.actors["owner"]
    member = add_member(session, owner, org.stores["SH01"], "13800000001")
    update_member(session, owner, member.id, edit_input(member, home_store_id=org.stores["BJ01"]))
    assert session.get(Member, member.id).home_store_id == org.stores["BJ01"]
    assert last_audit(session).changes == {
        "home_store_id": [org.stores["SH01"], org.stores["BJ01"]]
    }


def test_edit_form_gets_the_unmasked_values_only_for_editors(session, org):
    reception = org.actors["reception"]
    member = add_member(session, reception, org.stores["SH01"], "13800000001", tags=["VIP"])
    data = get_member_for_edit(session, reception, member.id)
    assert (data.phone, data.tags, data.member_no) == ("13800000001", ["VIP"], member.member_no)
    with pytest.raises(PermissionDenied):
        get_member_for_edit(session, org.actors["auditor"], member.id)
    with pytest.raises(NotFound):
        get_member_for_edit(session, org.actors["reception_gz"], member.id)


# ---- status -----------------------------------------------------------------------------


def test_freeze_unfreeze_cancel_restore(session, org):
    admin = org.actors["admin"]
    member = add_member(session, admin, org.stores["SH01"], "13800000001")
    for action, status in [
        ("freeze", MemberStatus.FROZEN),
        ("unfreeze", MemberStatus.ACTIVE),
        ("freeze", MemberStatus.FROZEN),
        ("cancel", MemberStatus.CANCELLED),
        ("restore", MemberStatus.ACTIVE),
        ("cancel", MemberStatus.CANCELLED),
    ]:
        changed = change_member_status(session, admin, member.id, action, f" {action} 原因 ")
        assert changed.status == status and changed.status_reason == f"{action} 原因"
        entry = last_audit(session)
        assert entry.action == f"members.{action}"
        assert entry.changes["reason"] == f"{action} 原因"
        assert entry.changes["status"][1] == status.value


def test_status_change_is_announced(session, org):
    admin = org.actors["admin"]
    member = add_member(session, admin, org.stores["SH01"], "13800000001")
    change_member_status(session, admin, member.id, "freeze", "挂失")
    session.flush()
    event = session.exec(DomainEvent.__table__.select()).all()[-1]
    assert event.name == "member.status_changed"
    assert event.payload == {"from": "active", "to": "frozen"}


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ([], "unfreeze"),
        ([], "restore"),
        (["freeze"], "freeze"),
        (["freeze"], "restore"),
        (["cancel"], "freeze"),
        (["cancel"], "unfreeze"),
        (["cancel"], "cancel"),
    ],
    ids=[
        "active-unfreeze",
        "active-restore",
        "frozen-freeze",
        "frozen-restore",
        "cancelled-freeze",
        "cancelled-unfreeze",
        "cancelled-cancel",
    ],
)
def test_impossible_status_change_is_refused(session, org, path, action):
    admin = org.actors["admin"]
    member = add_member(session, admin, org.stores["SH01"], "13800000001")
    for step in path:
        change_member_status(session, admin, member.id, step, "准备")
    status, before = session.get(Member, member.id).status, counts(session)
    errors = field_errors(change_member_status, session, admin, member.id, action, "原因")
    assert errors == {"status": "error.status_transition"}
    assert session.get(Member, member.id).status == status and counts(session) == before


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "error.reason_required"),
        ("   ", "error.reason_required"),
        ("x" * 301, "error.too_long"),
    ],
)
def test_status_change_needs_a_short_reason(session, org, reason, message):
    admin = org.actors["admin"]
    member = add_member(session, admin, org.stores["SH01"], "13800000001")
    before = counts(session)
    errors = field_errors(change_member_status, session, admin, member.id, "freeze", reason)
    assert errors == {"reason": message}
    assert session.get(Member, member.id).status == MemberStatus.ACTIVE
    assert counts(session) == before


def test_unknown_status_action_is_refused(session, org):
    admin = org.actors["admin"]
    member = add_member(session, admin, org.stores["SH01"], "13800000001")
    errors = field_errors(change_member_status, session, admin, member.id, "delete", "原因")
    assert errors == {"action": "error.choice"}


# ---- the timeline -----------------------------------------------------------------------


def test_timeline_shows_what_happened_newest_first(session, org):
    reception, admin = org.actors["reception"], org.actors["admin"]
    member = add_member(session, reception, org.stores["SH01"], "13800000001", "王芳")
    update_member(session, reception, member.id, edit_input(member, name="王芳芳"))
    change_member_status(session, admin, member.id, "freeze", "挂失")
    add_member(session, reception, org.stores["SH01"], "13800000002", "别人")
    items = member_timeline(session, org.actors["owner"], member.id)
    assert [(i.action, i.actor_name) for i in items] == [
        ("members.freeze", "admin"),
        ("members.update", "reception"),
        ("members.create", "reception"),
    ]
    assert items[1].changes == {"name": ["王芳", "王芳芳"]}
    assert items[0].at >= items[1].at >= items[2].at


def test_timeline_masks_phone_changes_without_pii_view(session, org):
    reception = org.actors["reception"]
    member = add_member(session, reception, org.stores["SH01"], "13800000001")
    update_member(session, reception, member.id, edit_input(member, phone="13900000009"))
    masked = member_timeline(session, reception, member.id)[0].changes["phone"]
    full = member_timeline(session, org.actors["owner"], member.id)[0].changes["phone"]
    assert masked == ["138****0001", "139****0009"]
    assert full == ["+8613800000001", "+8613900000009"]


def test_timeline_of_another_stores_member_is_not_found(session, org):
    member = add_member(session, org.actors["admin"], org.stores["GZ01"], "13800000001")
    with pytest.raises(NotFound):
        member_timeline(session, org.actors["reception"], member.id)


# ---- search, filters, sort, pages -------------------------------------------------------


@pytest.fixture
def crowd(session, org) -> dict[str, Member]:
    """Five members across three stores, with tags and custom values to filter on."""
    admin, s = org.actors["admin"], org.stores
    people = {
        "wang_fang": add_member(
            session, admin, s["SH01"], "13800138000", "王芳",
            email="wangfang@example.com", tags=["VIP"],
            custom={"skin_type": "干性", "interests": ["护肤", "美发"], "marketing_ok": True},
        ),
        "wang_lei": add_member(
            session, admin, s["SH01"], "13912345678", "王磊", tags=["新客"],
            custom={"skin_type": "油性", "interests": ["美甲"], "marketing_ok": False},
        ),
        "li_na": add_member(
            session, admin, s["BJ01"], "15000008000", "李娜", tags=["VIP"],
            custom={"skin_type": "干性", "marketing_ok": True},
        ),
        "zhang_wei": add_member(
            session, admin, s["GZ01"], "18600001234", "张伟", tags=["VIP", "新客"],
            custom={"skin_type": "干性", "interests": ["护肤"], "marketing_ok": True},
        ),
        "wang_gz": add_member(
            session, admin, s["GZ01"], "17700005555", "王强",
            custom={"skin_type": "混合", "marketing_ok": False},
        ),
    }  # fmt: skip
    session.commit()
    return people


def found(session, actor, crowd, **query: Any) -> list[str]:
    """Names of the people a query finds, in the order found."""
    by_id = {m.id: key for key, m in crowd.items()}
    page = search_members(session, actor, MemberQuery(sort="oldest", **query))
    return [by_id[row.id] for row in page.rows]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("王", ["wang_fang", "wang_lei", "wang_gz"]),
        ("王芳", ["wang_fang"]),
        ("芳", []),
        ("8000", ["wang_fang", "li_na"]),
        ("1234", ["zhang_wei"]),
        ("139", ["wang_lei"]),
        ("1380013", ["wang_fang"]),
        ("138 0013", ["wang_fang"]),
        ("+8618600001234", ["zhang_wei"]),
        ("13912345678", ["wang_lei"]),
        ("M00000003", ["li_na"]),
        ("m00000003", ["li_na"]),
        ("5678", ["wang_lei"]),
        ("12", []),
    ],
    ids=[
        "surname",
        "full_name",
        "not_a_prefix",
        "tail_two_members",
        "tail_not_substring",
        "phone_prefix",
        "longer_prefix",
        "prefix_with_space",
        "international",
        "whole_number",
        "member_no",
        "member_no_lower_case",
        "tail",
        "too_short",
    ],
)
def test_search_by_name_prefix_phone_or_card_number(session, org, crowd, q, expected):
    assert found(session, org.actors["admin"], crowd, q=q) == expected


def test_search_stays_within_the_scope(session, org, crowd):
    assert found(session, org.actors["reception"], crowd, q="王") == ["wang_fang", "wang_lei"]
    assert found(session, org.actors["owner"], crowd, q="8000") == ["wang_fang", "li_na"]
    assert found(session, org.actors["reception_gz"], crowd, q="王") == ["wang_gz"]


def test_filter_by_store(session, org, crowd):
    assert found(session, org.actors["admin"], crowd, store_id=org.stores["SH01"]) == [
        "wang_fang",
        "wang_lei",
    ]
    assert found(session, org.actors["owner"], crowd, store_id=org.stores["BJ01"]) == ["li_na"]


def test_store_filter_cannot_widen_the_scope(session, org, crowd):
    assert found(session, org.actors["owner"], crowd, store_id=org.stores["GZ01"]) == []
    assert found(session, org.actors["reception"], crowd, store_id=org.stores["BJ01"]) == []


def test_filter_by_status(session, org, crowd):
    admin = org.actors["admin"]
    change_member_status(session, admin, crowd["wang_lei"].id, "freeze", "挂失")
    change_member_status(session, admin, crowd["li_na"].id, "cancel", "注销")
    assert found(session, admin, crowd, status="frozen") == ["wang_lei"]
    assert found(session, admin, crowd, status="cancelled") == ["li_na"]
    assert found(session, admin, crowd, status="active") == ["wang_fang", "zhang_wei", "wang_gz"]
    with pytest.raises(ValidationFailed) as err:
        search_members(session, admin, MemberQuery(status="deleted"))
    assert err.value.errors == {"status": "error.choice"}


def test_filter_by_tag(session, org, crowd):
    assert found(session, org.actors["admin"], crowd, tag="VIP") == [
        "wang_fang",
        "li_na",
        "zhang_wei",
    ]
    assert found(session, org.actors["reception"], crowd, tag="VIP") == ["wang_fang"]
    assert found(session, org.actors["admin"], crowd, tag=" 新客 ") == ["wang_lei", "zhang_wei"]


@pytest.mark.parametrize(
    ("custom", "expected"),
    [
        ({"skin_type": "干性"}, ["wang_fang", "li_na", "zhang_wei"]),
        ({"skin_type": "混合"}, ["wang_gz"]),
        ({"marketing_ok": True}, ["wang_fang", "li_na", "zhang_wei"]),
        ({"marketing_ok": "是"}, ["wang_fang", "li_na", "zhang_wei"]),
        ({"marketing_ok": False}, ["wang_lei", "wang_gz"]),
        ({"marketing_ok": "no"}, ["wang_lei", "wang_gz"]),
        ({"interests": "护肤"}, ["wang_fang", "zhang_wei"]),
        ({"interests": ["美甲"]}, ["wang_lei"]),
        ({"interests": "美发"}, ["wang_fang"]),
        ({"skin_type": "干性", "interests": "护肤"}, ["wang_fang", "zhang_wei"]),
        ({"skin_type": "干性", "marketing_ok": True, "interests": "美发"}, ["wang_fang"]),
        ({"skin_type": ""}, ["wang_fang", "wang_lei", "li_na", "zhang_wei", "wang_gz"]),
    ],
    ids=[
        "choice",
        "choice_other",
        "boolean_true",
        "boolean_yes_text",
        "boolean_false",
        "boolean_no_text",
        "multi_choice",
        "multi_choice_as_list",
        "multi_choice_other",
        "choice_and_multi",
        "three_fields",
        "empty_value_ignored",
    ],
)
def test_filter_by_custom_field(session, org, crowd, custom, expected):
    assert found(session, org.actors["admin"], crowd, custom=custom) == expected


def test_custom_filter_combines_with_store_tag_and_scope(session, org, crowd):
    reception = org.actors["reception"]
    assert found(session, reception, crowd, custom={"skin_type": "干性"}) == ["wang_fang"]
    assert found(
        session,
        org.actors["admin"],
        crowd,
        tag="VIP",
        store_id=org.stores["GZ01"],
        custom={"interests": "护肤", "marketing_ok": True},
    ) == ["zhang_wei"]


def test_filter_by_number_and_date_fields(session, org, crowd):
    admin = org.actors["admin"]
    add_field(session, admin, FieldInput(key="visits", label="到店次数", type="number"))
    add_field(session, admin, FieldInput(key="first_visit", label="首次到店", type="date"))
    for key, visits, first in [("wang_fang", "3", "2024-03-01"), ("li_na", "12.5", "2024-03-02")]:
        member = crowd[key]
        update_member(
            session,
            admin,
            member.id,
            edit_input(
                member,
                custom={**member.custom, "visits": visits, "first_visit": first},
            ),
        )
    session.commit()
    assert found(session, admin, crowd, custom={"visits": 3}) == ["wang_fang"]
    assert found(session, admin, crowd, custom={"visits": "12.5"}) == ["li_na"]
    assert found(session, admin, crowd, custom={"visits": "4"}) == []
    assert found(session, admin, crowd, custom={"first_visit": "2024-03-02"}) == ["li_na"]


def test_filter_by_a_bad_custom_value_is_a_field_error(session, org, crowd):
    with pytest.raises(ValidationFailed) as err:
        search_members(session, org.actors["admin"], MemberQuery(custom={"skin_type": "中性"}))
    assert err.value.errors == {"custom.skin_type": "error.choice"}
    with pytest.raises(ValidationFailed) as err:
        search_members(session, org.actors["admin"], MemberQuery(custom={"shoe_size": "42"}))
    assert err.value.errors == {"custom.shoe_size": "error.field_unknown"}


def test_sort_orders(session, org):
    admin = org.actors["admin"]
    for phone, name, joined in [
        ("13800000001", "Chen", "2024-05-01"),
        ("13800000002", "Alice", "2024-07-01"),
        ("13800000003", "Bob", "2024-06-01"),
    ]:
        add_member(session, admin, org.stores["SH01"], phone, name, joined_at=joined)

    def names(sort: str) -> list[str]:
        return [r.name for r in search_members(session, admin, MemberQuery(sort=sort)).rows]

    assert names("newest") == ["Bob", "Alice", "Chen"]
    assert names("oldest") == ["Chen", "Alice", "Bob"]
    assert names("name") == ["Alice", "Bob", "Chen"]
    assert names("joined") == ["Alice", "Bob", "Chen"]
    assert names("no-such-sort") == names("newest")


def test_results_come_one_page_at_a_time(session, org, crowd):
    admin = org.actors["admin"]
    pages = [
        search_members(session, admin, MemberQuery(sort="oldest", page=n, page_size=2))
        for n in (1, 2, 3)
    ]
    assert [p.total for p in pages] == [5, 5, 5] and pages[0].pages == 3
    ids = [[r.id for r in p.rows] for p in pages]
    assert ids == [
        [crowd["wang_fang"].id, crowd["wang_lei"].id],
        [crowd["li_na"].id, crowd["zhang_wei"].id],
        [crowd["wang_gz"].id],
    ]
    beyond = search_members(session, admin, MemberQuery(page=9, page_size=2))
    assert beyond.rows == [] and beyond.total == 5


def test_list_counts_exactly_up_to_its_limit_then_says_more(session, org, crowd, monkeypatch):
    admin = org.actors["admin"]
    monkeypatch.setattr(search, "COUNT_PAGES_AHEAD", 0)
    monkeypatch.setattr(search, "COUNT_LIMIT", 5)
    exact = search_members(session, admin, MemberQuery(page_size=2))
    assert (exact.total, exact.more, exact.pages) == (5, False, 3)
    monkeypatch.setattr(search, "COUNT_LIMIT", 4)
    capped = search_members(session, admin, MemberQuery(page_size=2))
    assert (capped.total, capped.more, capped.pages) == (4, True, 2)
    clerk = search_members(session, org.actors["reception"], MemberQuery(page_size=2))
    assert clerk.more is False and clerk.total < 4  # counted within the clerk's scope
    monkeypatch.setattr(search, "COUNT_LIMIT", 1)
    monkeypatch.setattr(search, "COUNT_PAGES_AHEAD", 1)
    further = search_members(session, admin, MemberQuery(page=2, page_size=1))
    assert (further.total, further.more) == (3, True)  # a page further than the one shown


def test_page_number_and_size_are_kept_sensible(session, org, crowd):
    admin = org.actors["admin"]
    page = search_members(session, admin, MemberQuery(page=0, page_size=10_000))
    assert (page.page, page.page_size) == (1, MAX_PAGE_SIZE)
    page = search_members(session, admin, MemberQuery(page=-3, page_size=0))
    assert (page.page, page.page_size, len(page.rows)) == (1, 1, 1)


def test_count_matches_the_search(session, org, crowd):
    query = MemberQuery(tag="VIP")
    assert count_members(session, org.actors["owner"], query) == 2
    assert count_members(session, org.actors["admin"], query) == 3


def test_tags_in_use_are_listed_within_the_scope_most_used_first(session, org, crowd):
    assert all_tags(session, org.actors["admin"]) == ["VIP", "新客"]
    assert all_tags(session, org.actors["reception_gz"]) in (["VIP", "新客"], ["新客", "VIP"])
    assert all_tags(session, org.actors["owner"]) == ["VIP", "新客"]
    add_member(session, org.actors["admin"], org.stores["BJ01"], "13800000009", tags=["学生"])
    assert set(all_tags(session, org.actors["owner"])) == {"VIP", "新客", "学生"}
    assert "学生" not in all_tags(session, org.actors["reception"])


# ---- masking ----------------------------------------------------------------------------


def test_phone_and_email_are_masked_without_pii_view(session, org, crowd):
    row = search_members(session, org.actors["reception"], MemberQuery(q="王芳")).rows[0]
    assert (row.phone, row.email) == ("138****8000", "w***@example.com")
    detail = get_member(session, org.actors["reception"], crowd["wang_fang"].id)
    assert (detail.phone, detail.email) == ("138****8000", "w***@example.com")


def test_phone_and_email_are_shown_in_full_with_pii_view(session, org, crowd):
    for username in ("admin", "auditor", "owner"):
        row = get_member(session, org.actors[username], crowd["wang_fang"].id)
        assert (row.phone, row.email) == ("13800138000", "wangfang@example.com"), username


def test_masked_search_still_finds_by_the_full_number(session, org, crowd):
    rows = search_members(session, org.actors["reception"], MemberQuery(q="13800138000")).rows
    assert [r.phone for r in rows] == ["138****8000"]


def test_keyset_pages_and_exports_search_within_scope_in_id_order(session, org):
    """members_after / iter_members take a search's matches through its own indexes; the
    result is the same scope, the same matches, in id order, page after page."""
    from backoffice.services.members.search import MemberQuery, iter_members, members_after

    admin, clerk = org.actors["admin"], org.actors["reception"]
    sh, gz = org.stores["SH01"], org.stores["GZ01"]
    made = [
        add_member(session, admin, store, f"1390000{i:04d}", name)
        for i, (store, name) in enumerate(
            [(sh, "王芳"), (gz, "王磊"), (sh, "李娜"), (sh, "王强"), (gz, "王敏"), (sh, "王伟")]
        )
    ]
    session.commit()
    ids = {m.name: m.id for m in made}
    query = MemberQuery(q="王")
    first = members_after(session, clerk, query, 0, 2)
    assert [r.name for r in first] == ["王芳", "王强"]
    rest = members_after(session, clerk, query, first[-1].id, 2)
    assert [r.name for r in rest] == ["王伟"]
    assert members_after(session, clerk, query, rest[-1].id, 2) == []
    everyone = members_after(session, admin, query, 0, 50)
    assert [r.id for r in everyone] == sorted(
        ids[n] for n in ("王芳", "王磊", "王强", "王敏", "王伟")
    )
    exported = [m.name for batch in iter_members(session, clerk, query, batch=1) for m, _ in batch]
    assert exported == ["王芳", "王强", "王伟"]
    assert members_after(session, clerk, MemberQuery(q="0004"), 0, 5) == []  # GZ01's
    assert [r.name for r in members_after(session, clerk, MemberQuery(q="0003"), 0, 5)] == ["王强"]
