"""Audit changes read as sentences in the reader's language, with names, not ids, on the
member timeline and the audit page alike."""

from __future__ import annotations

from backoffice.models import Member
from backoffice.services.members.profiles import MemberInput, update_member
from backoffice.services.members.timeline import member_timeline
from backoffice.services.org.audit_wording import Names, describe, describe_all, load_names
from tests.unit.foundation_fixtures import add_member


def _edit(member: Member, **changes: object) -> MemberInput:
    values = {"name": member.name, "phone": member.phone, "home_store_id": member.home_store_id}
    return MemberInput(**{**values, **changes})  # type: ignore[arg-type]


def test_a_store_move_reads_with_store_names_in_both_languages(session, org):
    owner = org.actors["owner"]
    member = add_member(session, owner, org.stores["SH01"], "13800000001", "王芳")
    update_member(
        session, owner, member.id, _edit(member, home_store_id=org.stores["BJ01"], name="王方")
    )
    latest = member_timeline(session, owner, member.id)[0]
    zh = describe_all(session, [latest.changes], "zh-CN", "member")[0]
    en = describe_all(session, [latest.changes], "en", "member")[0]
    assert "所属门店：上海静安店 → 北京朝阳店" in zh and "姓名：王芳 → 王方" in zh
    assert "Home store: 上海静安店 → 北京朝阳店" in en
    assert "home_store_id" not in zh + en and str(org.stores["BJ01"]) not in zh


def test_empty_values_money_flags_and_codes_read_as_words():
    names = Names(stores={4: "上海一店"})
    changes = {
        "home_store_id": [None, 4],
        "store_id": [0, 4],
        "email": ["", "a@b.cn"],
        "amount": 12_050,
        "stackable": [False, True],
        "status": ["active", "frozen"],
        "discount_bp": [500, 600],
    }
    text = describe(changes, "zh-CN", names, "member")
    assert "所属门店：上海一店" in text  # set on creation: just the value
    assert "门店：#0 → 上海一店" in text
    assert "邮箱：无 → a@b.cn" in text
    assert "金额：¥120.50" in text
    assert "可与等级折扣叠加：否 → 是" in text
    assert "状态：正常 → 已冻结" in text
    assert "折扣（%）：5% → 6%" in text
    assert text.count("；") == len(changes) - 1


def test_names_are_looked_up_once_per_page(session, org):
    changes = [{"home_store_id": [org.stores["SH01"], org.stores["GZ01"]]}] * 50
    names = load_names(session, changes, "zh-CN")
    assert names.stores == {org.stores["SH01"]: "上海静安店", org.stores["GZ01"]: "广州天河店"}
