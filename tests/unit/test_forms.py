"""The member form designer: custom fields, their rules and how values are read."""

from __future__ import annotations

from typing import Any

import pytest

from backoffice.errors import NotFound, PermissionDenied, ValidationFailed
from backoffice.models import AuditEntry, FieldType, FormField, Member
from backoffice.services.members.forms import (
    FieldInput,
    add_field,
    clean_custom_values,
    coerce_value,
    design_fields,
    list_fields,
    move_field,
    set_field_hidden,
    update_field,
)
from backoffice.services.members.profiles import MemberInput, update_member
from backoffice.services.members.search import MemberQuery, search_members
from tests.unit.foundation_fixtures import add_member, count, last_audit

# The demo form the `org` fixture designs: wechat (text), skin_type (choice),
# interests (multi_choice), marketing_ok (boolean).
DEMO_KEYS = ["wechat", "skin_type", "interests", "marketing_ok"]


def field_named(session, key: str) -> FormField:
    return next(f for f in list_fields(session, include_hidden=True) if f.key == key)


def keys(session, include_hidden: bool = True) -> list[str]:
    return [f.key for f in list_fields(session, include_hidden=include_hidden)]


def errors_of(call, *args: Any) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as err:
        call(*args)
    return err.value.errors


# ---- adding fields ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    ["", "1st", "Vip", "vip-level", "vip level", "_vip", "会员等级", "a" * 41],
    ids=["empty", "digit_first", "upper_case", "dash", "space", "underscore_first", "cjk", "41"],
)
def test_field_key_must_be_lower_case_letters_digits_and_underscores(session, org, key):
    errors = errors_of(
        add_field, session, org.actors["admin"], FieldInput(key=key, label="等级", type="text")
    )
    assert errors == {"key": "error.field_key"}


@pytest.mark.parametrize("key", ["v", "vip_level", "level2", "a" * 40])
def test_field_key_may_be_one_to_forty_characters(session, org, key):
    field = add_field(session, org.actors["admin"], FieldInput(key=key, label="等级"))
    assert field.key == key


def test_new_field_goes_to_the_end_of_the_form_and_is_audited(session, org):
    field = add_field(
        session, org.actors["admin"], FieldInput(key=" vip_level ", label=" 等级 ", type="number")
    )
    assert (field.key, field.label, field.type) == ("vip_level", "等级", FieldType.NUMBER)
    assert keys(session) == [*DEMO_KEYS, "vip_level"]
    entry = last_audit(session, "forms.add_field")
    assert entry.target_id == "vip_level" and entry.changes["type"] == [None, "number"]


def test_field_key_cannot_be_used_twice(session, org):
    errors = errors_of(
        add_field, session, org.actors["admin"], FieldInput(key="wechat", label="微信2")
    )
    assert errors == {"key": "error.field_key_taken"}


@pytest.mark.parametrize("field_type", ["choice", "multi_choice"])
def test_choice_fields_need_options(session, org, field_type):
    data = FieldInput(key="level", label="等级", type=field_type, options=["", "  "])
    assert errors_of(add_field, session, org.actors["admin"], data) == {
        "options": "error.options_required"
    }


def test_choice_options_must_differ(session, org):
    data = FieldInput(key="level", label="等级", type="choice", options=["金", " 金 "])
    assert errors_of(add_field, session, org.actors["admin"], data) == {
        "options": "error.options_duplicate"
    }


def test_options_of_a_field_without_choices_are_dropped(session, org):
    field = add_field(
        session, org.actors["admin"], FieldInput(key="note", label="备注", options=["a"])
    )
    assert field.options == []


def test_every_problem_of_a_new_field_is_reported_at_once(session, org):
    fields_before = count(session, FormField)
    data = FieldInput(key="Bad Key", label=" ", type="colour")
    assert errors_of(add_field, session, org.actors["admin"], data) == {
        "key": "error.field_key",
        "label": "error.required",
        "type": "error.field_type",
    }
    assert count(session, FormField) == fields_before


def test_only_form_designers_see_and_change_the_design(session, org):
    fields_before = count(session, FormField)
    for username in ("auditor", "owner", "reception"):
        with pytest.raises(PermissionDenied):
            design_fields(session, org.actors[username])
        with pytest.raises(PermissionDenied):
            add_field(session, org.actors[username], FieldInput(key="x", label="x"))
    assert count(session, FormField) == fields_before


# ---- changing fields --------------------------------------------------------------------


def test_field_type_cannot_change(session, org):
    skin = field_named(session, "skin_type")
    data = FieldInput(label="肤质", type="text")
    assert errors_of(update_field, session, org.actors["admin"], skin.id, data) == {
        "type": "error.field_type_locked"
    }
    assert field_named(session, "skin_type").type == FieldType.CHOICE


def test_field_label_and_options_can_change_and_the_change_is_audited(session, org):
    skin = field_named(session, "skin_type")
    update_field(
        session,
        org.actors["admin"],
        skin.id,
        FieldInput(label="肤质类型", type="choice", options=["干性", "油性"], required=True),
    )
    changed = field_named(session, "skin_type")
    assert (changed.label, changed.options, changed.required) == (
        "肤质类型",
        ["干性", "油性"],
        True,
    )
    entry = last_audit(session, "forms.update_field")
    assert entry.target_id == "skin_type"
    assert entry.changes["label"] == ["肤质 Skin type", "肤质类型"]
    assert entry.changes["required"] == [False, True]


def test_saving_a_field_unchanged_writes_no_audit_entry(session, org):
    wechat = field_named(session, "wechat")
    entries = count(session, AuditEntry)
    update_field(
        session,
        org.actors["admin"],
        wechat.id,
        FieldInput(
            label=wechat.label,
            type="text",
            help_text=wechat.help_text,
            member_editable=wechat.member_editable,
        ),
    )
    assert count(session, AuditEntry) == entries


def test_changing_a_missing_field_is_not_found(session, org):
    with pytest.raises(NotFound):
        update_field(session, org.actors["admin"], 9999, FieldInput(label="x"))
    with pytest.raises(NotFound):
        set_field_hidden(session, org.actors["admin"], 9999, True)
    with pytest.raises(NotFound):
        move_field(session, org.actors["admin"], 9999, 1)


# ---- hidden fields ----------------------------------------------------------------------


def test_hidden_field_leaves_the_form_but_stays_in_the_design(session, org):
    admin = org.actors["admin"]
    set_field_hidden(session, admin, field_named(session, "skin_type").id, True)
    assert "skin_type" not in keys(session, include_hidden=False)
    assert "skin_type" in [f.key for f in design_fields(session, admin)]
    assert last_audit(session, "forms.update_field").changes == {"hidden": [False, True]}


def test_hidden_field_keeps_the_stored_value_when_the_member_is_edited(session, org):
    admin, reception, store = org.actors["admin"], org.actors["reception"], org.stores["SH01"]
    member = add_member(session, reception, store, "13800000001", custom={"skin_type": "干性"})
    set_field_hidden(session, admin, field_named(session, "skin_type").id, True)

    for sent in ({"skin_type": "油性"}, {}):
        update_member(
            session,
            reception,
            member.id,
            MemberInput(name="改名", phone="13800000001", home_store_id=store, custom=sent),
        )
        assert session.get(Member, member.id).custom["skin_type"] == "干性"


def test_hidden_value_shows_again_when_the_field_is_shown(session, org):
    admin, reception, store = org.actors["admin"], org.actors["reception"], org.stores["SH01"]
    member = add_member(session, reception, store, "13800000001", custom={"skin_type": "干性"})
    skin = field_named(session, "skin_type")
    set_field_hidden(session, admin, skin.id, True)
    update_member(
        session,
        reception,
        member.id,
        MemberInput(name="改名", phone="13800000001", home_store_id=store),
    )
    set_field_hidden(session, admin, skin.id, False)
    page = search_members(session, reception, MemberQuery(custom={"skin_type": "干性"}))
    assert [r.id for r in page.rows] == [member.id]


def test_hidden_required_field_is_not_asked_for(session, org):
    admin = org.actors["admin"]
    field = add_field(session, admin, FieldInput(key="vip_level", label="等级", required=True))
    set_field_hidden(session, admin, field.id, True)
    member = add_member(session, org.actors["reception"], org.stores["SH01"], "13800000001")
    assert "vip_level" not in member.custom


def test_filtering_by_a_hidden_field_is_refused(session, org):
    set_field_hidden(session, org.actors["admin"], field_named(session, "skin_type").id, True)
    with pytest.raises(ValidationFailed) as err:
        search_members(session, org.actors["admin"], MemberQuery(custom={"skin_type": "干性"}))
    assert err.value.errors == {"custom.skin_type": "error.field_unknown"}


# ---- required custom fields -------------------------------------------------------------


def test_required_custom_field_is_a_field_error_on_member_create(session, org):
    add_field(
        session, org.actors["admin"], FieldInput(key="vip_level", label="等级", required=True)
    )
    members, entries = count(session, Member), count(session, AuditEntry)
    with pytest.raises(ValidationFailed) as err:
        add_member(session, org.actors["reception"], org.stores["SH01"], "13800000001")
    assert err.value.errors == {"custom.vip_level": "error.required"}
    assert (count(session, Member), count(session, AuditEntry)) == (members, entries)
    member = add_member(
        session,
        org.actors["reception"],
        org.stores["SH01"],
        "13800000001",
        custom={"vip_level": "金"},
    )
    assert member.custom["vip_level"] == "金"


# ---- order ------------------------------------------------------------------------------


def test_move_field_swaps_it_with_its_neighbour(session, org):
    admin = org.actors["admin"]
    move_field(session, admin, field_named(session, "interests").id, -1)
    assert keys(session) == ["wechat", "interests", "skin_type", "marketing_ok"]
    assert last_audit(session, "forms.reorder").changes == {
        "order": [["wechat", "interests", "skin_type", "marketing_ok"]]
    }
    move_field(session, admin, field_named(session, "wechat").id, +1)
    assert keys(session) == ["interests", "wechat", "skin_type", "marketing_ok"]


def test_move_past_either_end_changes_nothing(session, org):
    admin = org.actors["admin"]
    entries = count(session, AuditEntry)
    move_field(session, admin, field_named(session, "wechat").id, -1)
    move_field(session, admin, field_named(session, "marketing_ok").id, +1)
    assert keys(session) == DEMO_KEYS
    assert count(session, AuditEntry) == entries


def test_move_counts_hidden_fields_too(session, org):
    admin = org.actors["admin"]
    set_field_hidden(session, admin, field_named(session, "skin_type").id, True)
    move_field(session, admin, field_named(session, "interests").id, -1)
    assert keys(session) == ["wechat", "interests", "skin_type", "marketing_ok"]


# ---- reading values ---------------------------------------------------------------------


def make_field(field_type: str, required: bool = False, options: list[str] | None = None):
    return FormField(
        key="f",
        label="f",
        type=FieldType(field_type),
        options=options or [],
        required=required,
    )


SKIN = ["干性", "油性", "混合"]
HOBBIES = ["美发", "美甲", "护肤"]


@pytest.mark.parametrize(
    ("field_type", "options", "raw", "stored"),
    [
        ("text", None, "  小林的微信 ", "小林的微信"),
        ("text", None, 12345, "12345"),
        ("text", None, "x" * 500, "x" * 500),
        ("number", None, "42", 42),
        ("number", None, " 12.5 ", 12.5),
        ("number", None, "3.0", 3),
        ("number", None, -7, -7),
        ("date", None, "2024-02-29", "2024-02-29"),
        ("date", None, " 1990-01-31 ", "1990-01-31"),
        ("choice", SKIN, " 油性 ", "油性"),
        ("multi_choice", HOBBIES, "护肤|美发", ["美发", "护肤"]),
        ("multi_choice", HOBBIES, "美甲;护肤", ["美甲", "护肤"]),
        ("multi_choice", HOBBIES, "护肤，美发", ["美发", "护肤"]),
        ("multi_choice", HOBBIES, ["护肤", "护肤"], ["护肤"]),
        ("boolean", None, True, True),
        ("boolean", None, False, False),
        ("boolean", None, "yes", True),
        ("boolean", None, "是", True),
        ("boolean", None, "1", True),
        ("boolean", None, "NO", False),
        ("boolean", None, "否", False),
        ("boolean", None, "0", False),
    ],
)
def test_values_are_stored_in_the_shape_of_their_type(field_type, options, raw, stored):
    assert coerce_value(make_field(field_type, options=options), raw) == stored


@pytest.mark.parametrize(
    ("field_type", "options", "raw", "message"),
    [
        ("text", None, "x" * 501, "error.too_long"),
        ("number", None, "twelve", "error.number"),
        ("number", None, "12,5", "error.number"),
        ("number", None, "nan", "error.number"),
        ("number", None, "inf", "error.number"),
        ("date", None, "2023-02-29", "error.date"),
        ("date", None, "31/01/1990", "error.date"),
        ("choice", SKIN, "中性", "error.choice"),
        ("multi_choice", HOBBIES, "美发|游泳", "error.choice"),
        ("boolean", None, "maybe", "error.boolean"),
    ],
)
def test_values_of_the_wrong_shape_are_field_errors(field_type, options, raw, message):
    with pytest.raises(ValidationFailed) as err:
        coerce_value(make_field(field_type, options=options), raw)
    assert err.value.errors == {"custom.f": message}


@pytest.mark.parametrize("field_type", ["text", "number", "date", "choice", "multi_choice"])
def test_empty_optional_value_is_not_stored_and_empty_required_value_is_an_error(field_type):
    optional = make_field(field_type, options=SKIN)
    required = make_field(field_type, required=True, options=SKIN)
    for empty in (None, "", "   ", []):
        assert coerce_value(optional, empty) is None
        with pytest.raises(ValidationFailed) as err:
            coerce_value(required, empty)
        assert err.value.errors == {"custom.f": "error.required"}


def test_empty_boolean_means_no_even_when_required():
    assert coerce_value(make_field("boolean"), "") is False
    assert coerce_value(make_field("boolean", required=True), None) is False


def test_clean_custom_values_reports_every_bad_field_at_once(session, org):
    fields = list_fields(session)
    with pytest.raises(ValidationFailed) as err:
        clean_custom_values(fields, {"skin_type": "中性", "interests": "游泳", "marketing_ok": "?"})
    assert err.value.errors == {
        "custom.skin_type": "error.choice",
        "custom.interests": "error.choice",
        "custom.marketing_ok": "error.boolean",
    }


def test_clean_custom_values_drops_emptied_values_and_ignores_unknown_keys(session, org):
    fields = list_fields(session)
    cleaned = clean_custom_values(
        fields,
        {"wechat": "", "skin_type": "干性", "unknown": "x"},
        existing={"wechat": "old_id", "skin_type": "油性"},
    )
    assert cleaned == {"skin_type": "干性", "marketing_ok": False}
