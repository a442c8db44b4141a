"""Staff two-factor sign-in: enrolment, codes used once, recovery codes, lockout on wrong
codes, and roles that require it."""

from __future__ import annotations

import time

import pyotp
import pytest
from sqlmodel import select

from backoffice.errors import AuthFailed, PermissionDenied, ValidationFailed
from backoffice.models import Role, Staff, StaffRecoveryCode, StaffSession
from backoffice.services.org import two_factor
from backoffice.services.org.auth import actor_for_token, attempt_sign_in
from tests.unit.foundation_fixtures import audit_actions, last_audit


def code_for(secret: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + offset_steps * 30)


def enrol(session, actor) -> tuple[str, list[str]]:  # noqa: ANN001
    enrolment = two_factor.start_enrolment(session, actor)
    assert enrolment.uri.startswith("otpauth://totp/")
    codes = two_factor.confirm_enrolment(
        session, actor, enrolment.secret, code_for(enrolment.secret)
    )
    session.commit()
    return enrolment.secret, codes


def test_enrolment_needs_a_right_code_and_gives_ten_hashed_recovery_codes(session, org):
    actor = org.actors["owner"]
    enrolment = two_factor.start_enrolment(session, actor)
    with pytest.raises(ValidationFailed):
        two_factor.confirm_enrolment(
            session,
            actor,
            enrolment.secret,
            "000000" if code_for(enrolment.secret) != "000000" else "111111",
        )
    codes = two_factor.confirm_enrolment(
        session, actor, enrolment.secret, code_for(enrolment.secret)
    )
    session.commit()
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = session.exec(select(StaffRecoveryCode)).all()
    assert len(stored) == 10 and not {r.code_hash for r in stored} & set(codes)
    assert two_factor.status(session, actor).enabled
    assert last_audit(session, "auth.two_factor_enabled").actor_name == "owner"


def test_password_alone_no_longer_signs_in_then_the_code_does(session, org):
    secret, _codes = enrol(session, org.actors["owner"])
    first = attempt_sign_in(session, "owner", org.password)
    assert first.second_step == "verify"
    assert actor_for_token(session, first.token) is None  # a challenge is no session
    assert session.exec(select(StaffSession)).first() is None
    # the enrolment used the current step: a sign-in code from the next step is fresh
    result = two_factor.attempt_code(session, first.token, code_for(secret, 1))
    assert actor_for_token(session, result.token).username == "owner"
    assert last_audit(session, "auth.sign_in").changes["second_factor"] == "totp"
    with pytest.raises(AuthFailed):  # the challenge is single use
        two_factor.attempt_code(session, first.token, code_for(secret, 1))


def test_the_secret_is_stored_sealed_and_an_older_plain_one_is_sealed_on_use(session, org):
    from backoffice.models import StaffTotp
    from backoffice.sealed import is_sealed, unseal

    owner = org.actors["owner"]
    secret, _codes = enrol(session, owner)
    row = session.get(StaffTotp, owner.staff_id)
    assert is_sealed(row.secret) and secret not in row.secret
    assert unseal(row.secret) == secret
    # A row from before sealing (plain base32) still signs in, and is sealed by that use.
    row.secret = secret
    session.add(row)
    session.commit()
    challenge = attempt_sign_in(session, "owner", org.password)
    two_factor.attempt_code(session, challenge.token, code_for(secret, 1))
    session.commit()
    session.refresh(row)
    assert is_sealed(row.secret) and unseal(row.secret) == secret


def test_a_totp_code_is_accepted_only_once(session, org):
    secret, _codes = enrol(session, org.actors["owner"])
    challenge = attempt_sign_in(session, "owner", org.password)
    with pytest.raises(AuthFailed) as err:  # the enrolment's own code: already used
        two_factor.attempt_code(session, challenge.token, code_for(secret))
    assert err.value.message == "error.two_factor_code"


def test_recovery_code_works_once(session, org):
    _secret, codes = enrol(session, org.actors["owner"])
    challenge = attempt_sign_in(session, "owner", org.password)
    result = two_factor.attempt_code(session, challenge.token, codes[0].upper())
    assert actor_for_token(session, result.token) is not None
    again = attempt_sign_in(session, "owner", org.password)
    with pytest.raises(AuthFailed):
        two_factor.attempt_code(session, again.token, codes[0])
    assert two_factor.status(session, org.actors["owner"]).recovery_left == 9


def test_five_wrong_codes_lock_the_account_like_wrong_passwords(session, org):
    enrol(session, org.actors["owner"])
    challenge = attempt_sign_in(session, "owner", org.password)
    for _ in range(4):
        with pytest.raises(AuthFailed) as err:
            two_factor.attempt_code(session, challenge.token, "abc")
        assert err.value.message == "error.two_factor_code"
    with pytest.raises(AuthFailed) as err:
        two_factor.attempt_code(session, challenge.token, "abc")
    assert err.value.message == "error.locked"
    staff = session.exec(select(Staff).where(Staff.username == "owner")).one()
    assert staff.locked_until is not None
    with pytest.raises(AuthFailed) as err:
        attempt_sign_in(session, "owner", org.password)
    assert err.value.message == "error.locked"
    assert audit_actions(session).count("auth.sign_in_failed") >= 5


def test_right_password_does_not_reset_the_wrong_code_count(session, org):
    enrol(session, org.actors["owner"])
    for _ in range(2):
        challenge = attempt_sign_in(session, "owner", org.password)
        for _ in range(2):
            with pytest.raises(AuthFailed):
                two_factor.attempt_code(session, challenge.token, "abc")
    challenge = attempt_sign_in(session, "owner", org.password)
    with pytest.raises(AuthFailed) as err:
        two_factor.attempt_code(session, challenge.token, "abc")
    assert err.value.message == "error.locked"


def test_role_requirement_forces_enrolment_before_any_session(session, org):
    admin = org.actors["admin"]
    two_factor.set_role_requirement(session, admin, "reception", True)
    session.commit()
    assert session.exec(select(Role).where(Role.code == "reception")).one().require_two_factor
    challenge = attempt_sign_in(session, "reception", org.password)
    assert challenge.second_step == "enrol"
    with pytest.raises(AuthFailed):  # a verify step does not exist for this challenge
        two_factor.attempt_code(session, challenge.token, "123456")
    enrolment = two_factor.enrolment_for_challenge(session, challenge.token)
    session.commit()
    result, codes = two_factor.attempt_enrolment(
        session, challenge.token, code_for(enrolment.secret)
    )
    assert len(codes) == 10 and actor_for_token(session, result.token).username == "reception"
    # the role requires it: it cannot be switched off
    with pytest.raises(ValidationFailed) as err:
        two_factor.disable(session, result.actor, code_for(enrolment.secret, 1))
    assert err.value.errors == {"code": "error.two_factor_required"}


def test_requiring_it_signs_out_the_roles_staff_who_lack_it_now(session, org):
    from backoffice.services.org.auth import open_session

    reception = session.exec(select(Staff).where(Staff.username == "reception")).one()
    owner = session.exec(select(Staff).where(Staff.username == "owner")).one()
    clerk = open_session(session, reception, True, "")
    boss = open_session(session, owner, False, "")
    session.commit()
    two_factor.set_role_requirement(session, org.actors["admin"], "reception", True)
    session.commit()
    assert actor_for_token(session, clerk.token) is None  # signs in again and enrols
    assert actor_for_token(session, boss.token) is not None  # another role: untouched
    ended = last_audit(session, "roles.two_factor_sign_out")
    role_staff = session.exec(select(Staff.id).where(Staff.role_id == reception.role_id)).all()
    assert reception.id in role_staff and ended.changes == {"staff_ids": sorted(role_staff)}


def test_staff_with_an_authenticator_stay_signed_in_when_it_becomes_required(session, org):
    from backoffice.services.org.auth import open_session

    _secret, _codes = enrol(session, org.actors["owner"])
    owner = session.exec(select(Staff).where(Staff.username == "owner")).one()
    kept = open_session(session, owner, False, "")
    session.commit()
    two_factor.set_role_requirement(session, org.actors["admin"], "franchise_owner", True)
    session.commit()
    assert actor_for_token(session, kept.token) is not None
    assert "roles.two_factor_sign_out" not in audit_actions(session)


def test_only_hq_with_staff_manage_sets_the_requirement(session, org):
    for who in ("owner", "reception", "auditor"):
        with pytest.raises(PermissionDenied):
            two_factor.set_role_requirement(session, org.actors[who], "reception", True)


def test_disable_needs_a_code(session, org):
    actor = org.actors["owner"]
    _secret, codes = enrol(session, actor)
    with pytest.raises(ValidationFailed):
        two_factor.disable(session, actor, "000000")
    two_factor.disable(session, actor, codes[3])
    session.commit()
    assert not two_factor.status(session, actor).enabled
    assert attempt_sign_in(session, "owner", org.password).second_step == ""
    assert last_audit(session, "auth.two_factor_disabled").changes == {"with": "recovery_code"}
