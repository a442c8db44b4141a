"""Every Reflex event handler, called as an attacker would call it.

Any connected browser can send any event, with any arguments, to any state, including the
built-in `setvar`. So the app's state tree is enumerated, and every handler is called
(1) with no signed-in session and (2) as a reception clerk of SH01 aimed at a GZ01
member. Each call must be refused: the database stays exactly as it was (a failed
sign-in may only add its own audit row) and no state var ever holds the other store's
member.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import reflex as rx
from sqlalchemy import text
from sqlmodel import Session, SQLModel, select

import backoffice.db
from backoffice.app import app  # noqa: F401  (registers every page state)
from backoffice.demo import DEMO_PASSWORD, seed_org
from backoffice.pages.session import SessionState
from backoffice.services.members.profiles import MemberInput, create_member
from backoffice.services.org.auth import sign_in
from backoffice.settings import get_settings

SECRET_NAME = "广州独有会员"
SECRET_PHONE = "13911112222"


def all_states(cls: type[rx.State] = SessionState) -> list[type[rx.State]]:
    out = [cls]
    for sub in sorted(cls.get_substates(), key=lambda c: c.get_full_name()):
        out.extend(all_states(sub))
    return out


class FakeUpload:
    name = "members.csv"
    filename = "members.csv"

    async def read(self) -> bytes:
        return "name,phone,store_code\n入侵导入,13922223333,GZ01\n".encode()


def hostile_form(gz_store: int, admin_id: int) -> dict[str, Any]:
    """One form dict that fills every form in the app with something harmful."""
    return {
        "login": "admin",
        "password": "Wrong-pass-1",
        "remember": "on",
        "q": SECRET_NAME[:2],
        "reason": "hostile",
        "name": "入侵者",
        "phone": "13933334444",
        "home_store_id": str(gz_store),
        "gender": "male",
        "username": "intruder",
        "display_name": "Intruder",
        "role_code": "hq_admin",
        "store_ids": str(gz_store),
        "locale": "en",
        "new_password": "Newpass123",
        "confirm_password": "Newpass123",
        "current_password": "Wrong-pass-1",  # a stolen session alone cannot change it
        "key": "evil_field",
        "label": "Evil",
        "type": "text",
        "options": "a\nb",
        "code": "EVIL1",
        "address": "x",
        "timezone": "Asia/Shanghai",
        "active": "on",
        "actor": "",
        "action": "",
        "staff_id": str(admin_id),
        "id": str(admin_id),
        # loyalty forms: top-up, points, coupon, tier, refund, checkout
        "amount": "100",
        "points": "500",
        "wallet": "1",
        "template": "1",
        "tier": "2",
        "coupon": "1",
        "member_ref": "13700000000",
        "name_0": "剪发",
        "price_0": "10",
        "threshold": "1",
        "rank": "9",
        "points_price": "1",
        "min_cents": "1",
    }


def args_for(fn: Any, form: dict[str, Any], gz_member: int, gz_store: int) -> list[Any]:
    args: list[Any] = []
    params = list(inspect.signature(fn).parameters.values())[1:]
    for p in params:
        name, ann = p.name, str(p.annotation)
        if name in ("form", "form_data", "data"):
            args.append(dict(form))
        elif name == "files":
            args.append([FakeUpload()])
        elif name == "var_name":
            args.append("member_id")
        elif name == "value":
            args.append(str(gz_store))
        elif name == "lang":
            args.append("zh-CN")
        elif name in ("action",):
            args.append("cancel")
        elif name in ("name",):
            args.append("store")
        elif name in ("key",):
            args.append("skin_type")
        elif "int" in ann or name.endswith("_id") or name in ("delta", "direction", "index"):
            args.append(gz_member if "member" in name else 1)
        elif "bool" in ann:
            args.append(True)
        elif "dict" in ann:
            args.append(dict(form))
        elif "list" in ann:
            args.append([])
        else:
            args.append(str(gz_member))
    return args


def _run(coro: Any) -> Any:
    """asyncio.run in its own thread, so it works even where a loop is already running."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def call(fn: Any, state: rx.State, args: list[Any]) -> list[Any]:
    """Run a handler like the event loop would: sync, coroutine, or (async) generator."""
    result = fn(state, *args)
    out: list[Any] = []
    if inspect.isasyncgen(result):

        async def drain() -> None:
            async for item in result:
                out.append(item)

        _run(drain())
    elif inspect.iscoroutine(result):
        out.append(_run(result))
    elif inspect.isgenerator(result):
        out.extend(result)
    else:
        out.append(result)
    return out


def dump(engine: Any) -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            found = conn.execute(text(f'SELECT * FROM "{table.name}"')).all()
            rows[table.name] = sorted(
                json.dumps(list(r), default=str, ensure_ascii=False) for r in found
            )
    return rows


def changed_tables(
    before: dict[str, list[str]], after: dict[str, list[str]]
) -> dict[str, list[str]]:
    diff: dict[str, list[str]] = {}
    for name in before:
        added = sorted(set(after[name]) - set(before[name]))
        removed = sorted(set(before[name]) - set(after[name]))
        if added or removed:
            diff[name] = added + ["-" + r for r in removed]
    return diff


def allowed(diff: dict[str, list[str]], handler: str) -> bool:
    """Only a failed sign-in's bookkeeping may appear: its audit row, the chain head it
    moves, the account's failed-attempt counter and the attempt by address (the lockout
    rules)."""
    for table, rows in diff.items():
        if table == "audithead" or (table in ("staff", "signinattempt") and handler == "submit"):
            continue
        if table != "auditentry":
            return False
        if not all('"auth.sign_in_failed"' in r and not r.startswith("-") for r in rows):
            return False
    return True


@pytest.fixture
def world(engine, monkeypatch, tmp_path):
    """The app wired to this test's database, with a GZ01 member SH01 must never reach."""
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    monkeypatch.setattr(backoffice.db, "get_engine", lambda: engine)
    with Session(engine, expire_on_commit=False) as session:
        stores = seed_org(session)
        from backoffice.demo import admin_actor

        admin = admin_actor(session)
        gz_member = create_member(
            session,
            admin,
            MemberInput(name=SECRET_NAME, phone=SECRET_PHONE, home_store_id=stores["GZ01"]),
        )
        create_member(
            session,
            admin,
            MemberInput(name="上海会员", phone="13955556666", home_store_id=stores["SH01"]),
        )
        session.commit()
        token = sign_in(session, "reception", DEMO_PASSWORD).token
        session.commit()
        pending = _pending_tokens(session)
    yield {
        **pending,
        "engine": engine,
        "stores": stores,
        "gz_member": gz_member.id,
        "token": token,
        "admin_id": admin.staff_id,
    }
    get_settings.cache_clear()


def _pending_tokens(session: Session) -> dict[str, str]:
    """Tokens an HQ admin (every permission, every store) holds in a state that must grant
    nothing: password to change, second factor not given yet, signed out."""
    from backoffice.models import Staff
    from backoffice.services.org import two_factor
    from backoffice.services.org.auth import sign_out

    admin = session.exec(select(Staff).where(Staff.username == "admin")).one()
    challenge = two_factor.open_challenge(session, admin, "verify", False, "127.0.0.1").token
    signed_out = sign_in(session, "admin", DEMO_PASSWORD).token
    sign_out(session, signed_out)
    must_change = sign_in(session, "admin", DEMO_PASSWORD).token
    admin.must_change_password = True
    session.add(admin)
    session.commit()
    return {
        "must_change_password": must_change,
        "pending_two_factor": challenge,
        "signed_out_session": signed_out,
    }


def fresh_root(query_id: int, token: str) -> rx.State:
    root = rx.State(_reflex_internal_init=True)
    root.router_data = root._update_router_vars(
        {
            "pathname": "/member",
            "asPath": f"/member?id={query_id}",
            "query": {"id": str(query_id)},
            "headers": {"origin": "http://127.0.0.1"},
            "ip": "127.0.0.1",
            "token": "t",
            "sid": "s",
        },
        {},
    )
    session_state = root.get_substate(SessionState.get_full_name().split("."))
    session_state.session_token = token
    return root


def handler_cases() -> list[tuple[str, str]]:
    cases = []
    for cls in all_states():
        for name in sorted(cls.event_handlers):
            cases.append((cls.get_full_name(), name))
    return cases


def test_the_app_has_handlers_to_check():
    names = {n for _, n in handler_cases()}
    assert {"submit", "save", "confirm_status", "export_csv", "run_import", "setvar"} <= names


WRONG_CALLERS = [
    "signed_out",
    "reception_other_store",
    "must_change_password",
    "pending_two_factor",
    "signed_out_session",
]


@pytest.mark.parametrize("who", WRONG_CALLERS)
def test_every_handler_refuses_the_wrong_caller(world, who):
    token = {"signed_out": "", "reception_other_store": world["token"]}.get(who) or world.get(
        who, ""
    )
    form = hostile_form(world["stores"]["GZ01"], world["admin_id"])
    failures: list[str] = []
    for state_name, handler_name in handler_cases():
        if handler_name == "sign_out":
            continue  # signing yourself out is always allowed; checked separately below
        before = dump(world["engine"])
        root = fresh_root(world["gz_member"], token)
        state = root.get_substate(state_name.split("."))
        cls = type(state)
        # An attacker first points every id var at the other store's member...
        for var in ("member_id", "staff_id", "field_id", "store_id", "editing_id"):
            if var in cls.vars:
                setattr(state, var, world["gz_member"])
        if "pending_action" in cls.vars:
            state.pending_action = "cancel"
        fn = cls.event_handlers[handler_name].fn
        try:
            call(fn, state, args_for(fn, form, world["gz_member"], world["stores"]["GZ01"]))
            # ...and runs whatever the handler chains to (dry run, import).
            for follow in ("check_file", "run_import"):
                if follow in cls.event_handlers and handler_name == "receive_file":
                    call(cls.event_handlers[follow].fn, state, [])
        except (AttributeError, TypeError, ValueError):
            pass  # refused by Reflex itself (e.g. setvar without a setter): nothing ran
        after = dump(world["engine"])
        diff = changed_tables(before, after)
        if not allowed(diff, handler_name):
            failures.append(
                f"{state_name}.{handler_name} changed {json.dumps(diff, ensure_ascii=False)[:300]}"
            )
        leaked = json.dumps(root.dict(), default=str, ensure_ascii=False)
        if SECRET_NAME in leaked or SECRET_PHONE in leaked or SECRET_PHONE[-4:] + '"' in leaked:
            failures.append(f"{state_name}.{handler_name} exposed the GZ01 member")
    assert not failures, "\n".join(failures)


def test_sign_out_only_ends_the_callers_own_session(world):
    root = fresh_root(world["gz_member"], world["token"])
    state = root.get_substate(SessionState.get_full_name().split("."))
    before = dump(world["engine"])
    call(SessionState.event_handlers["sign_out"].fn, state, [])
    diff = changed_tables(before, dump(world["engine"]))
    assert set(diff) <= {"staffsession", "auditentry", "audithead"}
    assert all('"auth.sign_out"' in r for r in diff.get("auditentry", []) if not r.startswith("-"))
    assert state.session_token == ""


def test_backend_only_vars_cannot_be_set_from_the_browser(world):
    from backoffice.pages.members.import_csv import ImportState

    root = fresh_root(world["gz_member"], world["token"])
    state = root.get_substate(ImportState.get_full_name().split("."))
    with pytest.raises(AttributeError):
        ImportState.event_handlers["setvar"].fn(state, "_upload_path", "/etc/passwd")
    assert state._upload_path == ""
