"""Sign-in limits per address and per account (#18 item 4): a stranger failing someone's
account cannot keep them out of the addresses they sign in from, and one address cannot
guess (or lock) many accounts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from backoffice.errors import AuthFailed
from backoffice.models import SignInAttempt
from backoffice.models.base import utcnow
from backoffice.services.org.auth import attempt_sign_in as staff_sign_in
from backoffice.services.org.sign_in_guard import purge_attempts
from backoffice.services.portal import accounts as member_portal
from backoffice.services.portal.accounts import SignUpInput, sign_up
from backoffice.settings import get_settings

HOME, STRANGER, OTHER = "10.0.0.1", "203.0.113.9", "198.51.100.7"
WRONG = "wrong-password-1"


def staff_fails(session, login: str, ip: str, password: str = WRONG) -> AuthFailed:
    with pytest.raises(AuthFailed) as err:
        staff_sign_in(session, login, password, ip=ip)
    return err.value


def member_fails(session, login: str, ip: str, password: str = WRONG) -> AuthFailed:
    with pytest.raises(AuthFailed) as err:
        member_portal.attempt_sign_in(session, login, password, ip=ip)
    return err.value


@pytest.fixture
def member(session, org):
    sign_up(
        session,
        SignUpInput(phone="13800001111", name="王芳", password="Member-pass-1", consent=True),
        ip=HOME,
    )
    session.commit()
    # The member's own phone has signed in there before: a familiar address.
    member_portal.attempt_sign_in(session, "13800001111", "Member-pass-1", ip=HOME)
    return "13800001111"


def test_a_stranger_locks_the_account_for_strangers_not_for_the_member(session, member):
    for _ in range(5):
        err = member_fails(session, member, STRANGER)
    assert err.message == "error.locked"  # the fifth: locked, for addresses never used
    assert member_fails(session, member, OTHER, "Member-pass-1").message == "error.locked"
    # ... but the member at home signs in with the right password
    assert member_portal.attempt_sign_in(session, member, "Member-pass-1", ip=HOME).token


def test_a_familiar_address_has_its_own_count(session, member):
    for _ in range(4):
        assert member_fails(session, member, HOME).message == "error.portal_bad_credentials"
    assert member_fails(session, member, HOME).message == "error.locked"
    assert member_fails(session, member, HOME, "Member-pass-1").message == "error.locked"


def test_staff_the_same_rules(session, org):
    password = org.password
    staff_sign_in(session, "reception", password, ip=HOME)  # the till's machine
    for _ in range(5):
        staff_fails(session, "reception", STRANGER)
    assert staff_fails(session, "reception", OTHER, password).message == "error.locked"
    assert staff_sign_in(session, "reception", password, ip=HOME).actor.username == "reception"


def test_one_address_failing_many_accounts_is_throttled(session, org, member, monkeypatch):
    monkeypatch.setattr(get_settings(), "signin_address_failures", 6)
    logins = ["reception", "owner", "admin", "nobody-here", "13900009999", "M99999999"]
    for login in logins[:3]:
        staff_fails(session, login, STRANGER)
    for login in logins[3:]:
        member_fails(session, login, STRANGER)
    err = member_fails(session, member, STRANGER, "Member-pass-1")  # even the right password
    assert (err.message, err.field) == ("error.address_throttled", "login")
    assert err.params == {"minutes": get_settings().lockout_minutes}
    assert staff_fails(session, "reception", STRANGER, org.password).message == (
        "error.address_throttled"
    )
    # Other addresses are not affected, and no account was locked by these six.
    assert member_portal.attempt_sign_in(session, member, "Member-pass-1", ip=OTHER).token


def test_an_unknown_address_is_neither_familiar_nor_throttled(session, org, member):
    for _ in range(5):
        member_fails(session, member, "")
    assert member_fails(session, member, "", "Member-pass-1").message == "error.locked"
    assert member_portal.attempt_sign_in(session, member, "Member-pass-1", ip=HOME).token


def test_attempts_older_than_the_familiar_window_are_purged(session, member):
    member_fails(session, member, STRANGER)
    old = session.exec(select(SignInAttempt)).first()
    old.at = utcnow() - timedelta(days=get_settings().signin_familiar_days + 1)
    session.add(old)
    session.commit()
    before = len(session.exec(select(SignInAttempt)).all())
    assert purge_attempts(session) == 1
    assert len(session.exec(select(SignInAttempt)).all()) == before - 1
