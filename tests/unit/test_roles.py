"""HQ edits what a role may do: applied at the next request, audited, never a lock-out."""

from __future__ import annotations

import pytest
from sqlmodel import select

from backoffice.errors import PermissionDenied, ValidationFailed
from backoffice.models import AuditEntry, Staff
from backoffice.services.org.access import load_actor
from backoffice.services.org.staff import update_role_permissions


def test_granting_pii_view_to_reception_unmasks_phones_from_the_next_request(session, org):
    from backoffice.services.org.access import SEED_ROLES

    wanted = [*SEED_ROLES["reception"]["permissions"], "pii.view"]
    update_role_permissions(session, org.actors["admin"], "reception", wanted)
    session.commit()
    clerk = load_actor(
        session, session.exec(select(Staff).where(Staff.username == "reception")).one()
    )
    assert clerk.can("pii.view")
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "roles.update")).one()
    assert entry.changes == {"added": ["pii.view"], "removed": []}


def test_only_hq_admins_edit_roles_and_hq_admin_keeps_staff_manage(session, org):
    with pytest.raises(PermissionDenied):
        update_role_permissions(session, org.actors["owner"], "reception", [])
    with pytest.raises(PermissionDenied):
        update_role_permissions(session, org.actors["auditor"], "reception", [])
    with pytest.raises(ValidationFailed):
        update_role_permissions(session, org.actors["admin"], "hq_admin", ["members.read"])
    with pytest.raises(ValidationFailed):
        update_role_permissions(session, org.actors["admin"], "reception", ["no.such"])
