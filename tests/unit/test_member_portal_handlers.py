"""Every member portal handler, called as an attacker would call it: signed out, with a
staff token (in the member cookie and in the staff cookie), and as another member aimed at
a secret member. Nothing of the secret member may change or show up in any state, and a
member token opens none of the staff handlers.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
import reflex as rx
from sqlalchemy import text
from sqlmodel import Session, SQLModel

from backoffice.pages.portal.sign_in import MemberSessionState
from backoffice.pages.session import SessionState
from backoffice.services.loyalty import points
from backoffice.services.loyalty.catalog import CatalogItemInput, create_item
from backoffice.services.portal.accounts import SignUpInput, sign_up
from tests.unit.test_handler_security import (  # noqa: F401  (world is a fixture)
    all_states,
    args_for,
    call,
    changed_tables,
    dump,
    fresh_root,
    hostile_form,
    world,
)

SECRET_MEMBER = "秘密会员甲"
SECRET_MEMBER_PHONE = "13766667777"


@pytest.fixture
def portal(world):  # noqa: ANN001, ANN201, F811
    from backoffice.demo import admin_actor

    with Session(world["engine"], expire_on_commit=False) as session:
        secret = sign_up(
            session,
            SignUpInput(
                phone=SECRET_MEMBER_PHONE, name=SECRET_MEMBER, password="Secret123", consent=True
            ),
        )
        attacker = sign_up(
            session,
            SignUpInput(phone="13755556666", name="攻击者", password="Secret123", consent=True),
        )
        points.credit(
            session, secret.member.member_id, 5000, points.PointsKind.ADJUST, cause_type="test"
        )
        points.credit(
            session, attacker.member.member_id, 5000, points.PointsKind.ADJUST, cause_type="test"
        )
        create_item(
            session,
            admin_actor(session),
            CatalogItemInput(name="礼品", points_price=100, stock=10, active=True),
        )
        session.commit()
    return {**world, "secret": secret, "attacker": attacker}


def member_root(token: str, staff_token: str = "") -> rx.State:
    root = fresh_root(0, staff_token)
    state = root.get_substate(MemberSessionState.get_full_name().split("."))
    state.m_session = token
    return root


def footprint(engine: Any, member_id: int) -> dict[str, list[str]]:
    """Every row that belongs to one member, in every table with a member_id column."""
    out: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if table.name == "member":
                where = "id"
            elif "member_id" in table.columns:
                where = "member_id"
            else:
                continue
            rows = conn.execute(
                text(f'SELECT * FROM "{table.name}" WHERE {where} = :m'), {"m": member_id}
            ).all()
            out[table.name] = sorted(json.dumps(list(r), default=str) for r in rows)
    return out


# The public forms (sign-in, reset code) may leave their own bookkeeping even for a
# stranger: a failed sign-in counts toward the lockouts (account, address), a reset request sends a code to the
# member's own phone (the caller learns nothing), a wrong code uses up one of its tries.
PUBLIC_BOOKKEEPING = {
    "submit": (
        {"membercredential", "signinattempt"},
        {"member_portal.sign_in_failed", "auth.sign_in_failed"},
    ),
    "send_code": ({"passwordresetcode", "outboxmessage"}, {"member_portal.reset_requested"}),
    "set_new_password": ({"passwordresetcode"}, set()),
}


def refused_only(diff: dict[str, list[str]], handler: str) -> bool:
    """A refused call may leave only the public forms' bookkeeping (and the chain head)."""
    tables, actions = PUBLIC_BOOKKEEPING.get(handler, (set(), set()))
    for table, rows in diff.items():
        if table == "audithead" or table in tables:
            continue
        if table != "auditentry":
            return False
        if not all(any(f'"{a}"' in r for a in actions) and not r.startswith("-") for r in rows):
            return False
    return True


def portal_cases() -> list[tuple[str, str]]:
    return [
        (cls.get_full_name(), name)
        for cls in all_states(MemberSessionState)
        for name in sorted(cls.event_handlers)
    ]


def run_handler(root: rx.State, state_name: str, handler: str, world: dict) -> None:  # noqa: F811
    state = root.get_substate(state_name.split("."))
    cls = type(state)
    fn = cls.event_handlers[handler].fn
    form = hostile_form(world["stores"]["GZ01"], world["admin_id"])
    form.update({"phone": SECRET_MEMBER_PHONE, "code": "123456", "channel": "sms"})
    # Reflex itself refuses some calls (e.g. setvar of an unknown var): nothing ran.
    with contextlib.suppress(AttributeError, TypeError, ValueError):
        call(fn, state, args_for(fn, form, world["secret"].member.member_id, 1))


def leaked(root: rx.State, secret_no: str, handler: str) -> bool:
    """The member's name, number or phone in any state; the reset form may echo back the
    phone number the caller typed, nothing more."""
    text_ = json.dumps(root.dict(), default=str, ensure_ascii=False)
    echoed = handler == "send_code"
    phone = SECRET_MEMBER_PHONE in text_ and not echoed
    return SECRET_MEMBER in text_ or phone or secret_no in text_


def test_the_portal_has_handlers_to_check():
    names = {n for _, n in portal_cases()}
    assert {
        "submit",
        "ask_redeem",
        "confirm_redeem",
        "save_profile",
        "set_consent",
        "request_deletion",
    } <= names


def test_a_double_tap_on_confirm_redeems_once(portal):
    from sqlmodel import select

    from backoffice.models import Redemption
    from backoffice.pages.portal.rewards import MemberRewardsState

    member_id = portal["attacker"].member.member_id
    root = member_root(portal["attacker"].token)
    state = root.get_substate(MemberRewardsState.get_full_name().split("."))
    handlers = MemberRewardsState.event_handlers
    call(handlers["confirm_redeem"].fn, state, [])  # nothing asked: nothing redeemed
    call(handlers["open_rewards"].fn, state, [])
    item = next(i for i in state.items if i["name"] == "礼品")
    call(handlers["ask_redeem"].fn, state, [int(item["id"])])
    assert state.confirm_open and "礼品" in state.confirm_text and "100" in state.confirm_text
    call(handlers["confirm_redeem"].fn, state, [])
    call(handlers["confirm_redeem"].fn, state, [])  # the second tap of a double tap
    with Session(portal["engine"]) as session:
        taken = session.exec(select(Redemption).where(Redemption.member_id == member_id)).all()
        assert len(taken) == 1
        assert points.balance_of(session, member_id) == 4900
    assert not state.confirm_open and state.points_balance == "4,900"
    # Asked and cancelled: nothing redeemed.
    call(handlers["ask_redeem"].fn, state, [int(item["id"])])
    call(handlers["redeem_dialog_changed"].fn, state, [False])
    call(handlers["confirm_redeem"].fn, state, [])
    with Session(portal["engine"]) as session:
        assert points.balance_of(session, member_id) == 4900


@pytest.mark.parametrize("who", ["signed_out", "staff_token"])
def test_every_portal_handler_refuses_a_caller_without_a_member_session(portal, who):
    staff_token = portal["token"] if who == "staff_token" else ""
    failures = []
    for state_name, handler in portal_cases():
        if handler == "sign_out":
            continue
        before = dump(portal["engine"])
        root = member_root(staff_token, staff_token)
        run_handler(root, state_name, handler, portal)
        diff = changed_tables(before, dump(portal["engine"]))
        if not refused_only(diff, handler):
            failures.append(f"{state_name}.{handler} changed {json.dumps(diff)[:300]}")
        if leaked(root, portal["secret"].member.member_no, handler):
            failures.append(f"{state_name}.{handler} exposed the secret member")
    assert not failures, "\n".join(failures)


def test_another_members_session_never_reaches_the_secret_member(portal):
    secret_id = portal["secret"].member.member_id
    failures = []
    for state_name, handler in portal_cases():
        if handler in ("sign_out", *PUBLIC_BOOKKEEPING):
            continue  # sign-in / sign-up / reset forms: covered by the signed-out case
        before = footprint(portal["engine"], secret_id)
        root = member_root(portal["attacker"].token)
        state = root.get_substate(state_name.split("."))
        for var in ("member_id", "member_no", "me_name"):
            if var in type(state).vars:
                setattr(state, var, secret_id if var == "member_id" else SECRET_MEMBER)
        run_handler(root, state_name, handler, portal)
        if footprint(portal["engine"], secret_id) != before:
            failures.append(f"{state_name}.{handler} changed the secret member's rows")
        state_text = json.dumps(root.dict(), default=str, ensure_ascii=False)
        if SECRET_MEMBER_PHONE in state_text or portal["secret"].member.member_no in state_text:
            failures.append(f"{state_name}.{handler} exposed the secret member")
    assert not failures, "\n".join(failures)


def test_a_member_token_opens_no_staff_handler(portal):
    failures = []
    form = hostile_form(portal["stores"]["GZ01"], portal["admin_id"])
    for cls in all_states(SessionState):
        for handler in sorted(cls.event_handlers):
            if handler == "sign_out":
                continue
            before = dump(portal["engine"])
            root = fresh_root(portal["gz_member"], portal["attacker"].token)
            state = root.get_substate(cls.get_full_name().split("."))
            fn = cls.event_handlers[handler].fn
            with contextlib.suppress(AttributeError, TypeError, ValueError):
                call(fn, state, args_for(fn, form, portal["gz_member"], portal["stores"]["GZ01"]))
            diff = changed_tables(before, dump(portal["engine"]))
            if not all(
                t in ("auditentry", "audithead", "staff", "signinattempt") for t in diff
            ) or not all('"auth.sign_in_failed"' in r for r in diff.get("auditentry", [])):
                failures.append(f"{cls.get_full_name()}.{handler} changed {json.dumps(diff)[:200]}")
    assert not failures, "\n".join(failures)


def test_member_sign_out_ends_only_the_callers_member_session(portal):
    from backoffice.services.portal.accounts import member_for_token

    root = member_root(portal["attacker"].token, portal["token"])
    state = root.get_substate(MemberSessionState.get_full_name().split("."))
    call(MemberSessionState.event_handlers["sign_out"].fn, state, [])
    with Session(portal["engine"]) as session:
        assert member_for_token(session, portal["attacker"].token) is None
        assert member_for_token(session, portal["secret"].token) is not None
        from backoffice.services.org.auth import actor_for_token

        assert actor_for_token(session, portal["token"]) is not None  # the staff session stays
