"""Every service query on members, sales or ledgers that runs for an actor is narrowed to the
actor's store scope through services/org/access.py (restrict, member_in_scope, …).

The check reads the source: a function taking `actor` that selects from a scoped table must
call a scoping function itself, or a helper that does. A new use case that forgets the scope
fails here, by name, before any test data could miss it.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "backoffice"
SCANNED = [ROOT / "services", ROOT / "workflows" / "campaigns"]
SCOPED_TABLES = {
    "Member",
    "MemberTag",
    "Sale",
    "SaleRefund",
    "PointsEntry",
    "PointsLot",
    "WalletEntry",
    "Coupon",
    "OutboxMessage",
    "DomainEvent",
}
# The scoping functions of services/org/access.py (and Actor.in_scope).
SCOPING = {"restrict", "member_in_scope", "require_row_in_scope", "scoped_store_ids", "in_scope"}
# Reviewed exceptions, each with its reason.
EXEMPT = {
    "present_member": "another store's member presented in person at the till: the full "
    "phone number plus the code of the member's card (services/members/counter.py), each "
    "attempt audited and rate limited per clerk",
}


def _calls(fn: ast.AST) -> tuple[set[str], bool]:
    """Names called in `fn`, and whether `require(...)` is given a store (3 args or store=)."""
    names: set[str] = set()
    require_with_store = False
    for node in ast.walk(fn):
        if isinstance(node, ast.Call):
            f = node.func
            name = (
                f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            )
            names.add(name)
            if name == "require" and (len(node.args) >= 3 or node.keywords):
                require_with_store = True
    return names, require_with_store


def _tables(fn: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Call):
            f = node.func
            name = (
                f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            )
            if name in ("select", "get", "update", "delete", "exists"):
                found |= {a.id for a in ast.walk(node) if isinstance(a, ast.Name)} & SCOPED_TABLES
    return found


def unscoped(sources: dict[str, str]) -> list[str]:
    """`module:function` of every actor-taking function that queries a scoped table unscoped."""
    functions: dict[str, list[tuple[str, ast.FunctionDef]]] = {}
    for module, text in sources.items():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef):
                functions.setdefault(node.name, []).append((module, node))
    scoping = set(SCOPING)
    changed = True
    while changed:  # a helper that scopes makes its callers scoped too
        changed = False
        for name, defs in functions.items():
            if name in scoping:
                continue
            for _module, fn in defs:
                called, with_store = _calls(fn)
                if with_store or called & scoping:
                    scoping.add(name)
                    changed = True
                    break
    found = []
    for name, defs in functions.items():
        for module, fn in defs:
            args = {a.arg for a in fn.args.args + fn.args.kwonlyargs}
            if "actor" in args and _tables(fn) and name not in scoping and name not in EXEMPT:
                found.append(f"{module}:{name}")
    return sorted(found)


def _sources() -> dict[str, str]:
    return {
        str(p.relative_to(ROOT.parent)): p.read_text()
        for base in SCANNED
        for p in sorted(base.rglob("*.py"))
    }


def test_every_actor_query_on_members_sales_and_ledgers_is_scoped():
    assert unscoped(_sources()) == []


def test_the_check_names_a_use_case_that_forgets_the_scope():
    forgot = """
def list_big_spenders(session, actor):
    require(actor, "members.read")
    return session.exec(select(Member).where(Member.id > 0)).all()
"""
    assert unscoped({"x.py": forgot}) == ["x.py:list_big_spenders"]


def test_a_helper_that_scopes_counts_for_its_callers():
    helper = """
def _statement(actor):
    return restrict(select(Sale), actor, Sale.store_id)

def list_sales(session, actor):
    stmt = _statement(actor)
    return session.exec(select(Sale.id).where(Sale.id.in_(stmt))).all()

def refund(session, actor, sale):
    require(actor, "sales.refund", sale.store_id)
    return session.get(Sale, sale.id)
"""
    assert unscoped({"y.py": helper}) == []


def test_every_exemption_still_exists():
    names = {
        n.name
        for t in _sources().values()
        for n in ast.walk(ast.parse(t))
        if isinstance(n, ast.FunctionDef)
    }
    assert set(EXEMPT) <= names
