"""Sign-in, lockout, sessions and passwords."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from backoffice.errors import AuthFailed, PermissionDenied, ValidationFailed
from backoffice.models import AuditEntry, Staff, StaffSession
from backoffice.models.base import utcnow
from backoffice.services.org import auth
from backoffice.services.org.auth import (
    actor_for_token,
    attempt_sign_in,
    change_own_password,
    sign_in,
    sign_out,
)
from backoffice.services.org.staff import StaffInput, create_staff, reset_password, update_staff
from tests.unit.foundation_fixtures import audit_actions, count, last_audit

WRONG = "wrong-pass-1"


def staff_row(session, username: str) -> Staff:
    return session.exec(select(Staff).where(Staff.username == username)).one()


def fail(session, login: str, password: str = WRONG) -> AuthFailed:
    with pytest.raises(AuthFailed) as err:
        attempt_sign_in(session, login, password)
    return err.value


def travel(monkeypatch, delta: timedelta) -> None:
    """Move the sign-in clock; the audit clock stays real."""
    moved = utcnow() + delta
    monkeypatch.setattr(auth, "utcnow", lambda: moved)


def audit_of(session, action: str) -> list[AuditEntry]:
    return list(
        session.exec(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        ).all()
    )


# ---- signing in -------------------------------------------------------------------------


def test_right_password_opens_a_session_for_the_account(session, org):
    result = attempt_sign_in(session, "reception", org.password, ip="10.0.0.7")
    assert result.actor.username == "reception"
    assert result.actor.store_ids == frozenset({org.stores["SH01"]})
    assert result.remember is False and result.max_age_seconds == 12 * 3600
    row = session.exec(select(StaffSession)).one()
    assert row.token_hash != result.token and row.ip == "10.0.0.7"
    assert last_audit(session, "auth.sign_in").changes == {"remember": False}


def test_login_by_phone_number_works_like_the_username(session, org):
    create_staff(
        session,
        org.actors["admin"],
        StaffInput(
            username="lin",
            display_name="小林",
            phone="139 1234 5678",
            role_code="reception",
            store_ids=[org.stores["SH01"]],
            password="Lin-pass-12",
        ),
    )
    session.commit()
    assert attempt_sign_in(session, "13912345678", "Lin-pass-12").actor.username == "lin"
    assert attempt_sign_in(session, "+86 139-1234-5678", "Lin-pass-12").actor.username == "lin"


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(session, org):
    err = fail(session, "reception")
    assert (err.message, err.field) == ("error.bad_credentials", "password")
    assert fail(session, "nobody").message == err.message


def test_unknown_login_is_audited_under_the_name_typed(session, org):
    fail(session, "nobody")
    entry = last_audit(session, "auth.sign_in_failed")
    assert entry.actor_id is None and entry.actor_name == "nobody"
    assert entry.changes == {"reason": "unknown_login"}


def test_failed_sign_in_is_kept_even_though_the_caller_rolls_back(session, org):
    fail(session, "reception")
    session.rollback()
    assert staff_row(session, "reception").failed_logins == 1
    assert audit_actions(session)[-1] == "auth.sign_in_failed"


def test_deactivated_account_cannot_sign_in(session, org):
    staff = staff_row(session, "reception")
    update_staff(
        session,
        org.actors["admin"],
        staff.id,
        StaffInput(
            username="reception",
            display_name=staff.display_name,
            role_code="reception",
            store_ids=[org.stores["SH01"]],
            active=False,
        ),
    )
    session.commit()
    assert fail(session, "reception", org.password).message == "error.bad_credentials"
    assert last_audit(session, "auth.sign_in_failed").changes == {"reason": "inactive"}


# ---- lockout ----------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(session, org):
    for _ in range(4):
        assert fail(session, "reception").message == "error.bad_credentials"
    before = utcnow()
    err = fail(session, "reception")
    assert (err.message, err.field, err.params) == ("error.locked", "login", {"minutes": 15})
    locked_until = staff_row(session, "reception").locked_until
    assert timedelta(minutes=15) <= locked_until - before <= timedelta(minutes=15, seconds=5)


def test_right_password_is_refused_while_locked(session, org):
    for _ in range(5):
        fail(session, "reception")
    err = fail(session, "reception", org.password)
    assert (err.message, err.params) == ("error.locked", {"minutes": 15})
    assert count(session, StaffSession) == 0
    entry = last_audit(session)
    assert (entry.action, entry.actor_name) == ("auth.sign_in_locked", "reception")


def test_every_failed_attempt_is_audited_with_the_running_count(session, org):
    for _ in range(5):
        fail(session, "reception")
    fail(session, "reception", org.password)
    failed = audit_of(session, "auth.sign_in_failed")
    assert [e.changes["failed_logins"] for e in failed] == [1, 2, 3, 4, 5]
    assert all(e.changes["reason"] == "bad_password" for e in failed)
    assert "locked_until" in failed[-1].changes and "locked_until" not in failed[-2].changes
    assert len(audit_of(session, "auth.sign_in_locked")) == 1


def test_lock_expires_after_fifteen_minutes(session, org, monkeypatch):
    for _ in range(5):
        fail(session, "reception")
    travel(monkeypatch, timedelta(minutes=15, seconds=1))
    result = attempt_sign_in(session, "reception", org.password)
    assert result.actor.username == "reception"
    staff = staff_row(session, "reception")
    assert staff.locked_until is None and staff.failed_logins == 0


def test_lock_still_holds_a_minute_before_it_expires(session, org, monkeypatch):
    for _ in range(5):
        fail(session, "reception")
    locked_until = staff_row(session, "reception").locked_until
    monkeypatch.setattr(auth, "utcnow", lambda: locked_until - timedelta(seconds=60))
    err = fail(session, "reception", org.password)
    assert (err.message, err.params) == ("error.locked", {"minutes": 1})


def test_wrong_passwords_while_locked_do_not_extend_the_lock(session, org):
    for _ in range(5):
        fail(session, "reception")
    locked_until = staff_row(session, "reception").locked_until
    for _ in range(3):
        fail(session, "reception")
    assert staff_row(session, "reception").locked_until == locked_until


def test_after_the_lock_the_count_starts_again_from_zero(session, org, monkeypatch):
    for _ in range(5):
        fail(session, "reception")
    travel(monkeypatch, timedelta(minutes=16))
    for _ in range(4):
        assert fail(session, "reception").message == "error.bad_credentials"
    assert fail(session, "reception").message == "error.locked"


def test_a_successful_sign_in_resets_the_failure_count(session, org):
    for _ in range(4):
        fail(session, "reception")
    attempt_sign_in(session, "reception", org.password)
    for _ in range(4):
        assert fail(session, "reception").message == "error.bad_credentials"
    assert staff_row(session, "reception").locked_until is None


def test_lockout_of_one_account_leaves_the_others_alone(session, org):
    for _ in range(5):
        fail(session, "reception")
    assert attempt_sign_in(session, "owner", org.password).actor.username == "owner"


# ---- sessions ---------------------------------------------------------------------------


def test_session_token_gives_back_the_actor(session, org):
    token = attempt_sign_in(session, "owner", org.password).token
    actor = actor_for_token(session, token)
    assert actor is not None and actor.username == "owner" and actor.role == "franchise_owner"


@pytest.mark.parametrize("token", [None, "", "not-a-token", "x" * 201])
def test_missing_or_made_up_token_gives_no_actor(session, org, token):
    attempt_sign_in(session, "owner", org.password)
    assert actor_for_token(session, token) is None


def test_session_expires_after_twelve_hours(session, org, monkeypatch):
    token = attempt_sign_in(session, "owner", org.password).token
    travel(monkeypatch, timedelta(hours=11, minutes=59))
    assert actor_for_token(session, token) is not None
    travel(monkeypatch, timedelta(hours=12, seconds=1))
    assert actor_for_token(session, token) is None


def test_remember_me_keeps_the_session_for_thirty_days(session, org, monkeypatch):
    result = attempt_sign_in(session, "owner", org.password, remember=True)
    assert result.remember and result.max_age_seconds == 30 * 24 * 3600
    row = session.exec(select(StaffSession)).one()
    assert row.remember
    travel(monkeypatch, timedelta(days=29, hours=23))
    assert actor_for_token(session, result.token) is not None
    travel(monkeypatch, timedelta(days=30, seconds=1))
    assert actor_for_token(session, result.token) is None


def test_sign_out_revokes_the_session(session, org):
    token = attempt_sign_in(session, "owner", org.password).token
    sign_out(session, token)
    session.commit()
    assert actor_for_token(session, token) is None
    entry = last_audit(session)
    assert (entry.action, entry.actor_name) == ("auth.sign_out", "owner")


def test_signing_out_twice_or_without_a_token_changes_nothing(session, org):
    token = attempt_sign_in(session, "owner", org.password).token
    sign_out(session, token)
    entries = count(session, AuditEntry)
    sign_out(session, token)
    sign_out(session, None)
    sign_out(session, "never-issued")
    assert count(session, AuditEntry) == entries


def test_signing_out_one_browser_keeps_the_other(session, org):
    first = attempt_sign_in(session, "owner", org.password).token
    second = attempt_sign_in(session, "owner", org.password).token
    sign_out(session, first)
    assert actor_for_token(session, first) is None
    assert actor_for_token(session, second) is not None


def test_deactivated_account_loses_its_open_sessions(session, org):
    token = attempt_sign_in(session, "reception", org.password).token
    staff = staff_row(session, "reception")
    update_staff(
        session,
        org.actors["admin"],
        staff.id,
        StaffInput(
            username="reception",
            display_name=staff.display_name,
            role_code="reception",
            store_ids=[org.stores["SH01"]],
            active=False,
        ),
    )
    assert actor_for_token(session, token) is None


# ---- passwords --------------------------------------------------------------------------


def signed_in(session, org, username: str = "reception"):
    result = attempt_sign_in(session, username, org.password)
    return result.actor, result.token


@pytest.mark.parametrize(
    ("current", "new", "field", "message"),
    [
        ("not-my-password1", "Better-pass-2", "current_password", "error.current_password"),
        (None, "short1", "new_password", "error.password_short"),
        (None, "onlyletters", "new_password", "error.password_weak"),
        (None, "1234567890", "new_password", "error.password_weak"),
        (None, "demo1234", "new_password", "error.password_same"),
    ],
    ids=["wrong_current", "too_short", "no_digit", "no_letter", "same_as_current"],
)
def test_own_password_change_follows_the_policy(session, org, current, new, field, message):
    actor, token = signed_in(session, org)
    hash_before = staff_row(session, "reception").password_hash
    with pytest.raises(ValidationFailed) as err:
        change_own_password(session, actor, current or org.password, new, token)
    assert err.value.errors == {field: message}
    assert staff_row(session, "reception").password_hash == hash_before


def test_own_password_change_replaces_the_password(session, org):
    actor, token = signed_in(session, org)
    change_own_password(session, actor, org.password, "Better-pass-2", token)
    session.commit()
    assert fail(session, "reception", org.password).message == "error.bad_credentials"
    assert attempt_sign_in(session, "reception", "Better-pass-2").actor.username == "reception"
    assert last_audit(session, "staff.password_changed").actor_name == "reception"


def test_own_password_change_signs_out_the_other_sessions_only(session, org):
    actor, token = signed_in(session, org)
    _, other_browser = signed_in(session, org)
    change_own_password(session, actor, org.password, "Better-pass-2", token)
    assert actor_for_token(session, token) is not None
    assert actor_for_token(session, other_browser) is None


def test_own_password_change_clears_the_must_change_flag(session, org):
    staff = staff_row(session, "reception")
    staff.must_change_password = True
    session.add(staff)
    actor, token = signed_in(session, org)
    change_own_password(session, actor, org.password, "Better-pass-2", token)
    assert staff_row(session, "reception").must_change_password is False


def test_admin_reset_forces_a_password_change_and_unlocks(session, org):
    for _ in range(5):
        fail(session, "reception")
    _, token = signed_in(session, org, "owner")
    reception_id = staff_row(session, "reception").id
    reset_password(session, org.actors["admin"], reception_id, "Temp-pass-9")
    session.commit()
    staff = staff_row(session, "reception")
    assert staff.must_change_password is True
    assert staff.locked_until is None and staff.failed_logins == 0
    assert attempt_sign_in(session, "reception", "Temp-pass-9").actor.username == "reception"
    assert actor_for_token(session, token) is not None  # the owner's session is untouched
    assert last_audit(session, "staff.password_reset").target_id == str(reception_id)


def test_admin_reset_signs_the_person_out_everywhere(session, org):
    _, token = signed_in(session, org)
    reset_password(session, org.actors["admin"], staff_row(session, "reception").id, "Temp-pass-9")
    assert actor_for_token(session, token) is None


def test_admin_reset_follows_the_password_policy(session, org):
    with pytest.raises(ValidationFailed) as err:
        reset_password(session, org.actors["admin"], staff_row(session, "reception").id, "short")
    assert err.value.errors == {"password": "error.password_short"}


def test_only_staff_managers_can_reset_passwords(session, org):
    reception_id = staff_row(session, "reception").id
    entries = count(session, AuditEntry)
    with pytest.raises(PermissionDenied):
        reset_password(session, org.actors["owner"], reception_id, "Temp-pass-9")
    assert count(session, AuditEntry) == entries
    assert attempt_sign_in(session, "reception", org.password).actor.username == "reception"


def test_direct_sign_in_leaves_committing_to_the_caller(session, org):
    with pytest.raises(AuthFailed):
        sign_in(session, "reception", WRONG)
    session.rollback()
    assert staff_row(session, "reception").failed_logins == 0
