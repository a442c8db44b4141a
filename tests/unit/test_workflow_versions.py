"""An earlier published version can be looked at and restored as the new draft, audited;
the live version stays until the manager publishes again; scope and roles hold."""

from __future__ import annotations

import pytest
from sqlmodel import select

from backoffice.errors import NotFound, PermissionDenied
from backoffice.models import AuditEntry, Workflow
from backoffice.workflows.campaigns.lifecycle import (
    WorkflowInput,
    create_workflow,
    list_versions,
    publish_workflow,
    restore_version,
    save_graph,
    version_graph,
)
from tests.unit.workflow_fixtures import chain, node


def _two_versions(session, admin):  # noqa: ANN001, ANN202
    first = chain(node("t1", "trigger.manual"), node("a1", "action.add_tag", tag="v1"))
    workflow = create_workflow(session, admin, WorkflowInput(name="版本", graph=first))
    publish_workflow(session, admin, workflow.id)
    second = chain(node("t1", "trigger.manual"), node("a1", "action.add_tag", tag="v2"))
    save_graph(session, admin, workflow.id, second)
    publish_workflow(session, admin, workflow.id)
    return workflow


def test_restore_an_earlier_version_as_the_draft(session, org):
    admin = org.actors["admin"]
    workflow = _two_versions(session, admin)
    rows = list_versions(session, admin, workflow.id)
    assert [(r.version, r.live) for r in rows] == [(2, True), (1, False)]
    assert rows[0].created_by  # who published it
    old = version_graph(session, admin, workflow.id, 1)
    assert old["nodes"][1]["config"]["tag"] == "v1"
    restore_version(session, admin, workflow.id, 1)
    saved = session.get(Workflow, workflow.id)
    assert saved.draft["nodes"][1]["config"]["tag"] == "v1"
    assert saved.published_version == 2  # nothing changes for new runs until published
    entry = session.exec(
        select(AuditEntry).where(AuditEntry.action == "workflows.restore_version")
    ).one()
    assert entry.changes == {"version": 1} and entry.target_id == str(workflow.id)


def test_versions_keep_to_roles_and_scope(session, org):
    admin = org.actors["admin"]
    workflow = _two_versions(session, admin)  # an HQ campaign
    with pytest.raises(NotFound):
        version_graph(session, org.actors["owner"], workflow.id, 1)  # a store owner
    with pytest.raises(PermissionDenied):
        restore_version(session, org.actors["reception"], workflow.id, 1)
    with pytest.raises(NotFound):
        restore_version(session, admin, workflow.id, 9)
