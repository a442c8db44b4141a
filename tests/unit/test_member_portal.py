"""Member self-service: sign-up with consent, sign-in and lockout, reset codes, and a member
who only ever reaches their own data."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlmodel import select

from backoffice.errors import AuthFailed, PermissionDenied, ValidationFailed
from backoffice.models import (
    DeletionRequest,
    Member,
    MemberStatus,
    OutboxMessage,
    PasswordResetCode,
    PointsEntry,
    PrivacyConsent,
    Redemption,
)
from backoffice.models.base import utcnow
from backoffice.services.loyalty import points
from backoffice.services.loyalty.catalog import CatalogItemInput, create_item
from backoffice.services.loyalty.earn_rules import EarnRuleInput, create_rule
from backoffice.services.members.forms import FieldInput, add_field
from backoffice.services.org import auth
from backoffice.services.portal import accounts as member_portal
from backoffice.services.portal import self_service as member_self
from backoffice.services.portal.accounts import (
    SignUpInput,
    attempt_reset,
    attempt_sign_in,
    member_for_token,
    request_reset,
    sign_up,
)
from backoffice.settings import get_settings
from tests.unit.foundation_fixtures import add_member, last_audit, snapshot

PASSWORD = "Secret123"


def signup(session, phone: str = "13800001111", **extra) -> member_portal.MemberSignIn:  # noqa: ANN001
    data = SignUpInput(
        phone=phone, name=extra.pop("name", "新会员"), password=PASSWORD, consent=True, **extra
    )
    result = sign_up(session, data, ip="10.0.0.9")
    session.commit()
    return result


def travel(monkeypatch, delta: timedelta) -> None:  # noqa: ANN001
    moved = utcnow() + delta
    monkeypatch.setattr(member_portal, "utcnow", lambda: moved)


# ---- sign-up ------------------------------------------------------------------------------


def test_sign_up_without_consent_is_refused_and_writes_nothing(session, org):
    before = snapshot(session)
    with pytest.raises(ValidationFailed) as err:
        sign_up(session, SignUpInput(phone="13800001111", name="甲", password=PASSWORD))
    assert err.value.errors == {"consent": "error.privacy_consent_required"}
    session.rollback()
    assert snapshot(session) == before


def test_sign_up_records_consent_with_version_and_time_and_opens_a_session(session, org):
    result = signup(session)
    member = session.get(Member, result.member.member_id)
    assert member.phone == "+8613800001111" and member.created_by is None
    consent = session.exec(select(PrivacyConsent)).one()
    assert consent.member_id == member.id
    assert consent.policy_version == get_settings().privacy_policy_version
    assert abs((utcnow() - consent.consented_at).total_seconds()) < 60
    assert member_for_token(session, result.token) == result.member
    assert last_audit(session, "members.create").changes["source"] == "member_portal"
    assert last_audit(session, "member_portal.sign_up").actor_name == f"member:{member.member_no}"


def test_sign_up_lists_every_bad_field_at_once(session, org):
    with pytest.raises(ValidationFailed) as err:
        sign_up(session, SignUpInput(phone="12", name=" ", password="short", referrer_ref="NOPE"))
    assert set(err.value.errors) == {"phone", "name", "password", "consent", "referrer_ref"}


def test_referral_code_rewards_the_referrer_and_sets_the_store(session, org):
    admin = org.actors["admin"]
    create_rule(session, admin, EarnRuleInput(name="推荐有礼", kind="referral", points=200))
    create_rule(session, admin, EarnRuleInput(name="注册礼", kind="signup", points=50))
    referrer = add_member(session, admin, org.stores["GZ01"], "13900002222", name="老会员")
    session.commit()
    result = signup(session, referrer_ref=referrer.member_no)
    member = session.get(Member, result.member.member_id)
    assert member.referrer_id == referrer.id
    assert member.home_store_id == org.stores["GZ01"]  # the referrer's store
    assert points.balance_of(session, referrer.id) == 250  # own sign-up 50 + referral 200
    assert points.balance_of(session, member.id) == 50


def test_without_referral_the_member_joins_the_first_shop_or_the_configured_one(
    session, org, monkeypatch
):
    first = signup(session, phone="13800001111")
    assert first.member.store_id == org.stores["SH01"]  # first active store that is not HQ
    monkeypatch.setenv("MEMBER_SIGNUP_STORE", "BJ01")
    get_settings.cache_clear()
    try:
        second = signup(session, phone="13800001112")
    finally:
        get_settings.cache_clear()
    assert second.member.store_id == org.stores["BJ01"]


def test_a_counter_member_cannot_be_claimed_by_sign_up_only_by_a_reset_code(session, org):
    add_member(session, org.actors["admin"], org.stores["SH01"], "13800003333")
    session.commit()
    with pytest.raises(ValidationFailed) as err:
        signup(session, phone="13800003333")
    assert err.value.errors == {"phone": "error.portal_claim"}
    signup(session, phone="13800004444")
    with pytest.raises(ValidationFailed) as err:
        signup(session, phone="13800004444")
    assert err.value.errors == {"phone": "error.portal_registered"}


# ---- sign-in and lockout --------------------------------------------------------------------


def test_sign_in_with_phone_and_remember_me(session, org):
    signup(session)
    result = attempt_sign_in(session, "138 0000 1111", PASSWORD, remember=True)
    assert result.remember and result.max_age_seconds == get_settings().remember_days * 86400
    assert member_for_token(session, result.token).name == "新会员"


def test_five_wrong_passwords_lock_the_member_for_fifteen_minutes(session, org, monkeypatch):
    signup(session)
    for _ in range(4):
        with pytest.raises(AuthFailed) as err:
            attempt_sign_in(session, "13800001111", "Wrong1234")
        assert err.value.message == "error.portal_bad_credentials"
    with pytest.raises(AuthFailed) as err:
        attempt_sign_in(session, "13800001111", "Wrong1234")
    assert err.value.message == "error.locked" and err.value.params["minutes"] == 15
    with pytest.raises(AuthFailed) as err:  # even the right password waits
        attempt_sign_in(session, "13800001111", PASSWORD)
    assert err.value.message == "error.locked"
    travel(monkeypatch, timedelta(minutes=16))
    assert attempt_sign_in(session, "13800001111", PASSWORD).member.name == "新会员"


def test_unknown_phone_and_cancelled_member_get_the_same_answer(session, org):
    result = signup(session)
    with pytest.raises(AuthFailed) as err:
        attempt_sign_in(session, "13899999999", PASSWORD)
    assert err.value.message == "error.portal_bad_credentials"
    member = session.get(Member, result.member.member_id)
    member.status = MemberStatus.CANCELLED
    session.add(member)
    session.commit()
    with pytest.raises(AuthFailed):
        attempt_sign_in(session, "13800001111", PASSWORD)
    assert member_for_token(session, result.token) is None


def test_member_and_staff_tokens_never_cross(session, org):
    member = signup(session)
    staff = auth.attempt_sign_in(session, "reception", org.password)
    assert auth.actor_for_token(session, member.token) is None
    assert member_for_token(session, staff.token) is None
    member_portal.sign_out(session, member.token)
    session.commit()
    assert member_for_token(session, member.token) is None
    assert auth.actor_for_token(session, staff.token) is not None


# ---- password reset ---------------------------------------------------------------------------


def _sent_code(session) -> str:  # noqa: ANN001
    message = session.exec(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert message is not None and not message.marketing
    return "".join(c for c in message.body if c.isdigit())[:6]


def test_reset_code_goes_through_the_outbox_and_sets_a_new_password(session, org):
    old = signup(session)
    request_reset(session, "13800001111")
    session.commit()
    code = _sent_code(session)
    row = session.exec(select(PasswordResetCode)).one()
    assert row.code_hash != code and (row.expires_at - row.created_at) == timedelta(minutes=10)
    attempt_reset(session, "13800001111", code, "NewPass456")
    assert attempt_sign_in(session, "13800001111", "NewPass456")
    assert member_for_token(session, old.token) is None  # other sessions end
    with pytest.raises(ValidationFailed) as err:  # one time only
        attempt_reset(session, "13800001111", code, "Another789")
    assert err.value.errors == {"code": "error.reset_code_expired"}


def test_reset_code_expires_after_ten_minutes(session, org, monkeypatch):
    signup(session)
    request_reset(session, "13800001111")
    session.commit()
    code = _sent_code(session)
    travel(monkeypatch, timedelta(minutes=11))
    with pytest.raises(ValidationFailed) as err:
        attempt_reset(session, "13800001111", code, "NewPass456")
    assert err.value.errors == {"code": "error.reset_code_expired"}


def test_reset_code_allows_five_tries(session, org):
    signup(session)
    request_reset(session, "13800001111")
    session.commit()
    code = _sent_code(session)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(4):
        with pytest.raises(ValidationFailed) as err:
            attempt_reset(session, "13800001111", wrong, "NewPass456")
        assert err.value.errors == {"code": "error.reset_code_wrong"}
    with pytest.raises(ValidationFailed) as err:
        attempt_reset(session, "13800001111", wrong, "NewPass456")
    assert err.value.errors == {"code": "error.reset_code_tries"}
    with pytest.raises(ValidationFailed):  # the right code is dead now too
        attempt_reset(session, "13800001111", code, "NewPass456")


def test_reset_for_an_unknown_phone_sends_nothing(session, org):
    request_reset(session, "13811112222")
    session.commit()
    assert session.exec(select(OutboxMessage)).first() is None


def test_counter_member_sets_a_first_password_with_a_reset_code(session, org):
    add_member(session, org.actors["admin"], org.stores["SH01"], "13800003333", name="柜台会员")
    session.commit()
    request_reset(session, "13800003333")
    session.commit()
    attempt_reset(session, "13800003333", _sent_code(session), "NewPass456")
    assert attempt_sign_in(session, "13800003333", "NewPass456").member.name == "柜台会员"


# ---- what a signed-in member sees and does ------------------------------------------------------


@pytest.fixture
def two_members(session, org):  # noqa: ANN001, ANN201
    admin = org.actors["admin"]
    me = signup(session, phone="13800001111", name="我").member
    other = add_member(session, admin, org.stores["GZ01"], "13900009999", name="别人")
    points.credit(session, other.id, 900, points.PointsKind.ADJUST, cause_type="test")
    points.credit(session, me.member_id, 300, points.PointsKind.ADJUST, cause_type="test")
    item = create_item(
        session, admin, CatalogItemInput(name="护手霜", points_price=200, stock=3, active=True)
    )
    session.commit()
    return me, other, item


def test_overview_shows_only_the_members_own_ledger(session, two_members):
    me, other, _item = two_members
    view = member_self.overview(session, me)
    assert view.points_balance == 300
    assert {r.member_id for r in view.points_rows} == {me.member_id}
    card = member_self.member_card(session, me)
    assert card.qr.startswith("data:image/svg+xml;base64,") and card.name == "我"


def test_member_redeems_for_themselves_and_it_is_audited(session, two_members):
    me, other, item = two_members
    member_self.redeem(session, me, item.id, request_id="r1")
    session.commit()
    assert points.balance_of(session, me.member_id) == 100
    assert points.balance_of(session, other.id) == 900
    redemption = session.exec(select(Redemption)).one()
    assert redemption.member_id == me.member_id and redemption.actor_id is None
    entry = last_audit(session, "member_portal.redeem")
    assert entry.actor_name == me.audit_name and entry.target_id == str(me.member_id)
    with pytest.raises(ValidationFailed):  # 100 points left, the item costs 200
        member_self.redeem(session, me, item.id, request_id="r2")


def test_member_functions_take_no_member_id_so_another_member_is_unreachable(session, two_members):
    """The only way to name a member is the PortalMember from a session token; a forged
    one for a cancelled or missing member is refused."""
    me, other, item = two_members
    forged = member_portal.PortalMember(member_id=10_000, member_no="X", name="x", store_id=1)
    for call in (
        lambda: member_self.overview(session, forged),
        lambda: member_self.redeem(session, forged, item.id),
        lambda: member_self.update_profile(session, forged, {}),
        lambda: member_self.request_deletion(session, forged),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert session.exec(select(PointsEntry).where(PointsEntry.member_id == other.id)).all()


def test_only_member_editable_fields_can_be_changed(session, org, two_members):
    me, _other, _item = two_members
    admin = org.actors["admin"]
    add_field(session, admin, FieldInput(key="nickname", label="昵称", member_editable=True))
    add_field(session, admin, FieldInput(key="vip_note", label="VIP备注"))
    session.commit()
    with pytest.raises(ValidationFailed) as err:
        member_self.update_profile(session, me, {"nickname": "小明", "vip_note": "hack"})
    assert err.value.errors == {"custom.vip_note": "error.field_not_editable"}
    changes = member_self.update_profile(session, me, {"nickname": "小明"})
    session.commit()
    assert changes == {"nickname": [None, "小明"]}
    assert member_self.profile_values(session, me)["nickname"] == "小明"
    assert "vip_note" not in member_self.profile_values(session, me)
    assert last_audit(session, "member_portal.profile_update").actor_name == me.audit_name


def test_marketing_consent_per_channel(session, two_members):
    me, _other, _item = two_members
    assert member_self.marketing_consents(session, me) == {"sms": True, "email": True}
    member_self.set_marketing_consent(session, me, "sms", False)
    session.commit()
    assert member_self.marketing_consents(session, me) == {"sms": False, "email": True}
    with pytest.raises(ValidationFailed):
        member_self.set_marketing_consent(session, me, "outbox", False)


def test_deletion_request_is_seen_by_hq_and_processed_by_the_cancel_flow(session, org, two_members):
    me, _other, _item = two_members
    member_self.request_deletion(session, me, "不再需要")
    session.commit()
    with pytest.raises(ValidationFailed):
        member_self.request_deletion(session, me)
    with pytest.raises(PermissionDenied):
        member_self.deletion_requests(session, org.actors["reception"])
    rows = member_self.deletion_requests(session, org.actors["admin"])
    assert [r.member_id for r in rows] == [me.member_id]
    owner = org.actors["owner"]  # SH01 + BJ01: the member joined SH01
    assert [r.id for r in member_self.deletion_requests(session, owner)] == [rows[0].id]
    elsewhere = dataclasses.replace(owner, store_ids=frozenset({org.stores["GZ01"]}))
    assert member_self.deletion_requests(session, elsewhere) == []
    member_self.process_deletion_request(session, org.actors["admin"], rows[0].id)
    session.commit()
    assert session.get(Member, me.member_id).status == MemberStatus.CANCELLED
    assert session.exec(select(DeletionRequest)).one().status.value == "done"
    assert member_self.deletion_requests(session, org.actors["admin"]) == []
