"""Who may do what, where: the one place permissions and store scopes are enforced.

Every service calls `require()` before acting and `restrict()` on every query that
returns store-owned rows, so a page, the API, an import and a workflow action all get
the same answer. Scopes are data: a role either sees all stores or the stores assigned
to the person (StaffStore rows).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, Self, TypeVar

from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, select

from backoffice.errors import NotFound, PermissionDenied
from backoffice.models import Member, Role, Staff, StaffStore

# The permission catalog: named strings, one place.
PERMISSIONS: dict[str, str] = {
    "members.read": "See members of the stores in scope",
    "members.write": "Create and edit members",
    "members.status": "Freeze, unfreeze, cancel and restore members",
    "members.import": "Import members from CSV",
    "members.export": "Export members to CSV",
    "pii.view": "See full phone numbers and e-mail addresses",
    "forms.manage": "Design the member form (custom fields)",
    "stores.read": "See stores",
    "stores.manage": "Create and edit stores",
    "staff.read": "See staff accounts",
    "staff.manage": "Create staff, assign roles and stores, reset passwords",
    "audit.read": "Read the audit log",
    "sales.read": "See sales and ledgers of members in scope",
    "sales.create": "Check out sales at a store in scope",
    "sales.refund": "Refund sales",
    "points.redeem": "Redeem catalog items for a member",
    "points.adjust": "Add or deduct points by hand, with a reason",
    "wallet.topup": "Top up a member's stored value",
    "coupons.issue": "Issue coupons to members",
    "tiers.set": "Move a member to another tier by hand, with a reason",
    "loyalty.read": "See the loyalty settings (tiers, rules, catalog, coupon templates)",
    "loyalty.manage": "Change the loyalty settings",
    "workflows.read": "See campaigns, their runs and message templates",
    "workflows.design": "Create, edit, test, publish and pause campaigns for stores in scope",
    "workflows.operate": "Retry failed campaign steps",
    "reports.read": "See dashboards and analyses (RFM, churn, stores, staff) for stores in scope",
    "reports.export": "Download reports as CSV or Excel",
    "api_keys.manage": "Create and revoke REST API keys (no wider than one's own rights)",
    "webhooks.manage": "Subscribe URLs to domain events and redeliver webhooks",
    "operations.manage": "See the operations page and alerts; retry or discard failed jobs",
}

# Seeded roles. all_stores=True means the role's scope is every store (head office).
SEED_ROLES: dict[str, dict[str, Any]] = {
    "hq_admin": {"name": "HQ admin", "all_stores": True, "permissions": sorted(PERMISSIONS)},
    "hq_auditor": {
        "name": "HQ auditor",
        "all_stores": True,
        "permissions": [
            "members.read",
            "pii.view",
            "stores.read",
            "staff.read",
            "audit.read",
            "sales.read",
            "loyalty.read",
            "workflows.read",
            "reports.read",
            "reports.export",
        ],
    },
    "franchise_owner": {
        "name": "Franchise owner",
        "all_stores": False,
        "permissions": [
            "members.read",
            "members.write",
            "members.status",
            "members.import",
            "members.export",
            "pii.view",
            "stores.read",
            "staff.read",
            "sales.read",
            "sales.create",
            "sales.refund",
            "points.redeem",
            "points.adjust",
            "wallet.topup",
            "coupons.issue",
            "tiers.set",
            "loyalty.read",
            "workflows.read",
            "workflows.design",
            "workflows.operate",
            "reports.read",
            "reports.export",
            "api_keys.manage",
            "webhooks.manage",
        ],
    },
    "reception": {
        "name": "Reception",
        "all_stores": False,
        "permissions": [
            "members.read",
            "members.write",
            "stores.read",
            "sales.read",
            "sales.create",
            "points.redeem",
            "wallet.topup",
        ],
    },
}


@dataclass(frozen=True)
class Actor:
    """The signed-in person as the services see them, re-derived for every request."""

    staff_id: int
    username: str
    display_name: str
    role: str
    permissions: frozenset[str]
    # None: every store (HQ). Otherwise the ids of the stores in scope.
    store_ids: frozenset[int] | None
    locale: str = "zh-CN"
    home_store_id: int | None = None
    # Set when a REST API key acts: staff_id is then the key's creator (the accountable
    # person), username names the key ("api:<prefix>") and role is "api_key".
    api_key_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def in_scope(self, store_id: int | None) -> bool:
        return self.store_ids is None or (store_id is not None and store_id in self.store_ids)


def load_actor(session: Session, staff: Staff) -> Actor:
    """Build the Actor from the database: role permissions and assigned stores."""
    role = session.get(Role, staff.role_id)
    if role is None:
        raise PermissionDenied("error.no_role")
    stores = sorted(
        session.exec(select(StaffStore.store_id).where(StaffStore.staff_id == staff.id)).all()
    )
    return Actor(
        staff_id=staff.id or 0,
        username=staff.username,
        display_name=staff.display_name,
        role=role.code,
        permissions=frozenset(p for p in role.permissions if p in PERMISSIONS),
        store_ids=None if role.all_stores else frozenset(stores),
        locale=staff.locale,
        home_store_id=stores[0] if stores else None,
    )


def require(actor: Actor | None, permission: str, store_id: int | None = None) -> Actor:
    """Refuse unless the actor holds `permission` (and, when given, `store_id` is in scope)."""
    if actor is None:
        raise PermissionDenied("error.signed_out")
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")
    if not actor.can(permission):
        raise PermissionDenied("error.permission", permission=permission)
    if store_id is not None and not actor.in_scope(store_id):
        raise PermissionDenied("error.store_scope")
    return actor


def member_in_scope(session: Session, actor: Actor, member_id: int) -> Member:
    """The member, if the actor's scope covers their home store; otherwise "not found", so a
    member of another store is not revealed to exist."""
    member = session.get(Member, member_id)
    if member is None or not actor.in_scope(member.home_store_id):
        raise NotFound("error.member_not_found")
    return member


def require_row_in_scope(actor: Actor, row: Any, store_id: int | None) -> Any:
    """A row outside the scope is reported as missing, so its existence is not revealed."""
    if row is None or not actor.in_scope(store_id):
        raise NotFound("error.not_found")
    return row


class _Filterable(Protocol):
    """What restrict() needs of a statement: select() and its variants have it."""

    def where(self, *whereclause: Any) -> Self: ...


S = TypeVar("S", bound=_Filterable)


def restrict(statement: S, actor: Actor, store_column: ColumnElement[Any] | Any) -> S:
    """Narrow a select() to the actor's store scope (NetBox's `restrict`)."""
    if actor.store_ids is None:
        return statement
    if not actor.store_ids:
        return statement.where(store_column.in_([-1]))
    return statement.where(store_column.in_(sorted(actor.store_ids)))


def scoped_store_ids(actor: Actor, wanted: Iterable[int] | None) -> list[int] | None:
    """Intersect a requested store filter with the scope; None means all stores."""
    if wanted is None:
        return None if actor.store_ids is None else sorted(actor.store_ids)
    wanted_set = set(wanted)
    if actor.store_ids is not None:
        wanted_set &= actor.store_ids
    return sorted(wanted_set)
