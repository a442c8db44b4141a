"""The builder's handlers called by the wrong people: a franchise owner aimed at head
office's campaign (through the URL, as a browser can), and the read-only HQ auditor.
Nothing may change and head office's campaign must not reach the owner's screen."""

from __future__ import annotations

import contextlib
import json

import pytest
from sqlmodel import Session

from backoffice.demo import DEMO_PASSWORD, admin_actor
from backoffice.pages.campaigns.builder import BuilderState
from backoffice.pages.campaigns.campaign_list import WorkflowListState
from backoffice.services.org.auth import sign_in
from backoffice.workflows.campaigns.lifecycle import WorkflowInput, create_workflow
from tests.unit.test_handler_security import (
    all_states,
    args_for,
    call,
    changed_tables,
    dump,
    fresh_root,
    hostile_form,
    world,  # noqa: F401  (fixture)
)
from tests.unit.workflow_fixtures import chain, node

SECRET = "总部机密活动"


@pytest.fixture
def hq_workflow(world):  # noqa: ANN001, ANN201, F811
    with Session(world["engine"], expire_on_commit=False) as session:
        admin = admin_actor(session)
        workflow = create_workflow(
            session,
            admin,
            WorkflowInput(
                name=SECRET,
                graph=chain(node("t1", "trigger.birthday"), node("a1", "action.grant_points")),
            ),
        )
        tokens = {who: sign_in(session, who, DEMO_PASSWORD).token for who in ("owner", "auditor")}
        session.commit()
    return {"id": workflow.id, "tokens": tokens, **world}


@pytest.mark.parametrize("who", ["owner", "auditor"])
def test_builder_handlers_refuse_the_wrong_designer(hq_workflow, who):
    w = hq_workflow
    form = hostile_form(w["stores"]["GZ01"], w["admin_id"])
    failures = []
    # BuilderState is composed of mixins (their handlers are its own); substates, if any
    # come later, are covered too.
    for cls in (*all_states(BuilderState), WorkflowListState):
        for name in sorted(cls.event_handlers):
            if name in ("sign_out", "setvar", "set_language"):
                continue
            before = dump(w["engine"])
            root = fresh_root(w["id"], w["tokens"][who])
            state = root.get_substate(cls.get_full_name().split("."))
            if issubclass(cls, BuilderState):
                call(BuilderState.event_handlers["open_builder"].fn, state, [])
                state._workflow_id = w["id"]  # as if the page had loaded it
                state._draft = {"nodes": [{"id": "t1", "type": "trigger.birthday"}]}
                state.selected = "t1"
                state.viewing = "1"  # a version open read-only: restore_viewed aims at it
            fn = cls.event_handlers[name].fn
            args = {
                "canvas_changed": [{"nodes": [{"id": "t1", "position": {"x": 1, "y": 2}}]}],
                "node_dropped": ["stop", 10, 10],
                "set_status": ["paused"],
                "test_member": ["1"],
                "duplicate": [str(w["id"])],
                "archive": [str(w["id"])],
                "save_settings": [{**form, "name": "改名", "goal_kind": "sale", "goal_days": "7"}],
            }.get(name)
            if args is None:
                args = args_for(fn, form, w["gz_member"], w["stores"]["GZ01"])
            with contextlib.suppress(AttributeError, TypeError, ValueError):
                call(fn, state, args)
            diff = changed_tables(before, dump(w["engine"]))
            if diff:
                failures.append(f"{name} changed {json.dumps(diff, ensure_ascii=False)[:300]}")
            if who == "owner" and SECRET in json.dumps(
                root.dict(), default=str, ensure_ascii=False
            ):
                failures.append(f"{name} showed head office's campaign to the owner")
    assert not failures, "\n".join(failures)


def test_every_builder_concern_module_hands_its_handlers_to_the_checked_state():
    mixins = [m for m in BuilderState.__mro__ if getattr(m, "_mixin", False) is True]
    assert len(mixins) >= 7, mixins
    for mixin in mixins:
        own = {
            n
            for n, v in vars(mixin).items()
            if callable(v) and not n.startswith("_") and hasattr(v, "__code__")
        }
        assert own, mixin
        assert own <= set(BuilderState.event_handlers), (
            mixin,
            own - set(BuilderState.event_handlers),
        )


def test_the_owner_is_sent_back_to_their_list(hq_workflow):
    root = fresh_root(hq_workflow["id"], hq_workflow["tokens"]["owner"])
    state = root.get_substate(BuilderState.get_full_name().split("."))
    out = call(BuilderState.event_handlers["open_builder"].fn, state, [])
    assert "/workflows" in json.dumps(out, default=str)
    assert state._workflow_id == 0 and state.canvas["nodes"] == []
