"""RFM groups, saved segments, the churn list and win-back, store and staff tables, exports.

On top of the shared chain (tests/unit/report_fixtures.py), E (GZ01) buys ¥400 twice; then
the sales are moved into the past and the report tables rebuilt from the source rows:
  A (SH01): 100 and 90 days ago   → gap 10 days, 90 days since: churn; R low, F 2, ¥250
  C (BJ01): today, once           → R high, F 1, ¥270 (no usual gap: never on the churn list)
  D (GZ01): 20 and 10 days ago    → gap 10, 10 days since: fine; R high, F 2, ¥1,100
  E (GZ01): 60 and 50 days ago    → gap 10, 50 days since: churn; R low, F 2, ¥800
RFM thresholds R ≤ 30 days, F ≥ 2, M ≥ ¥500.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import update
from sqlmodel import select

from backoffice.errors import PermissionDenied, ValidationFailed
from backoffice.models import AuditEntry, MemberTag, Sale
from backoffice.models.base import utcnow
from backoffice.services.loyalty.sales import SaleInput, record_sale
from backoffice.services.reports import rebuild as report_rebuild
from backoffice.services.reports.churn import ChurnRule, churn_list
from backoffice.services.reports.dashboard import ReportFilter
from backoffice.services.reports.exports import export_report
from backoffice.services.reports.rfm import (
    RfmThresholds,
    rfm_groups,
    rfm_members,
)
from backoffice.services.reports.store_staff import staff_performance, store_comparison
from backoffice.workflows.campaigns.from_reports import save_group_segment, start_winback
from backoffice.workflows.campaigns.lifecycle import segment_count
from tests.unit.loyalty_fixtures import new_member
from tests.unit.report_fixtures import chain_fixture  # noqa: F401  (the `chain` fixture)

THRESHOLDS = RfmThresholds(recency_days=30, frequency=2, monetary_cents=50_000)


@pytest.fixture
def history(session, chain):
    admin = chain["org"].actors["admin"]
    gz = chain["org"].stores["GZ01"]
    e = new_member(session, admin, gz, "13800000005", "E")
    session.commit()
    for _ in range(2):
        record_sale(session, admin, SaleInput(member_id=e.id, store_id=gz, amount_cents=40_000))
        session.commit()
    members = {**chain["members"], "E": e}
    now = utcnow()
    ages = {"A": (100, 90), "D": (20, 10), "E": (60, 50)}
    for key, days in ages.items():
        sales = session.exec(
            select(Sale).where(Sale.member_id == members[key].id).order_by(Sale.id)
        ).all()
        for sale, age in zip(sales, days, strict=True):
            session.exec(
                update(Sale).where(Sale.id == sale.id).values(created_at=now - timedelta(days=age))
            )
    session.commit()
    report_rebuild.rebuild_daily_stats(session)
    session.commit()
    return {**chain, "members": members}


def _counts(groups):  # noqa: ANN001, ANN202
    return {g.key: g.members for g in groups if g.members}


def test_rfm_groups_hq_and_owner(session, history):
    org = history["org"]
    hq = rfm_groups(session, org.actors["admin"], None, THRESHOLDS)
    assert _counts(hq) == {
        "important_value": 1,  # D
        "important_retention": 1,  # E
        "general_retention": 1,  # A
        "general_development": 1,  # C
    }
    assert next(g for g in hq if g.key == "important_value").spend_cents == 110_000
    owner = rfm_groups(session, org.actors["owner"], None, THRESHOLDS)
    assert _counts(owner) == {"general_retention": 1, "general_development": 1}
    members = rfm_members(session, org.actors["admin"], None, THRESHOLDS, "important_retention")
    assert [(m.name, m.frequency, m.spend_cents) for m in members] == [("E", 2, 80_000)]
    with pytest.raises(PermissionDenied):
        rfm_groups(session, org.actors["reception"], None, THRESHOLDS)


def test_rfm_group_saved_as_a_live_segment(session, history):
    org = history["org"]
    owner = org.actors["owner"]
    segment = save_group_segment(session, owner, None, THRESHOLDS, "general_retention", "沉默老客")
    session.commit()
    assert sorted(segment.store_ids) == sorted([org.stores["SH01"], org.stores["BJ01"]])
    assert segment_count(session, owner, segment.condition, segment.store_ids) == 1  # A
    hq = save_group_segment(
        session, org.actors["admin"], None, THRESHOLDS, "important_value", "VIP"
    )
    session.commit()
    assert hq.store_ids == []
    assert segment_count(session, org.actors["admin"], hq.condition) == 1  # D
    # Live: once A buys again today, A is recent and leaves the "retention" group.
    record_sale(
        session,
        org.actors["admin"],
        SaleInput(
            member_id=history["members"]["A"].id, store_id=org.stores["SH01"], amount_cents=100
        ),
    )
    session.commit()
    assert segment_count(session, owner, segment.condition, segment.store_ids) == 0
    with pytest.raises(ValidationFailed):
        save_group_segment(session, owner, None, THRESHOLDS, "no_such_group", "x")


def test_churn_list_by_value_and_scope(session, history):
    org = history["org"]
    page = churn_list(session, org.actors["admin"], None, ChurnRule(factor=2.0))
    assert [(r.name, r.days_since, r.usual_gap_days, r.spend_cents) for r in page.rows] == [
        ("E", 50, 10.0, 80_000),
        ("A", 90, 10.0, 25_000),
    ]
    assert (page.total, page.value_cents) == (2, 105_000)
    owner_page = churn_list(session, org.actors["owner"], None, ChurnRule(factor=2.0))
    assert [r.name for r in owner_page.rows] == ["A"]
    # A factor of 6 spares E (50 < 6 × 10) but not A (90 > 60).
    assert [r.name for r in churn_list(session, org.actors["admin"], None, ChurnRule(6)).rows] == [
        "A"
    ]
    with pytest.raises(ValidationFailed) as bad:
        churn_list(session, org.actors["admin"], None, ChurnRule(factor=0.5))
    assert bad.value.errors == {"factor": "error.churn_factor"}


def test_winback_tags_the_list_and_is_audited(session, history):
    org = history["org"]
    result = start_winback(session, org.actors["owner"], None, ChurnRule(2.0))
    session.commit()
    assert result.members == 1 and result.tag.startswith("churn-")
    tagged = session.exec(select(MemberTag.member_id).where(MemberTag.tag == result.tag)).all()
    assert tagged == [history["members"]["A"].id]
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "reports.winback")).one()
    assert entry.changes["members"] == 1
    with pytest.raises(PermissionDenied):
        start_winback(session, org.actors["auditor"], None, ChurnRule(2.0))


def test_winback_starts_a_manual_workflow_for_the_list(session, history):
    from backoffice.models import WorkflowRun
    from backoffice.workflows.campaigns.lifecycle import (
        WorkflowInput,
        create_workflow,
        publish_workflow,
    )
    from tests.unit.workflow_fixtures import chain as graph
    from tests.unit.workflow_fixtures import node

    admin = history["org"].actors["admin"]
    workflow = create_workflow(
        session,
        admin,
        WorkflowInput(name="挽回", graph=graph(node("t1", "trigger.manual"), node("a1", "stop"))),
    )
    publish_workflow(session, admin, workflow.id)
    session.commit()
    result = start_winback(session, admin, None, ChurnRule(2.0), workflow_id=workflow.id)
    session.commit()
    runs = session.exec(select(WorkflowRun.member_id).where(WorkflowRun.workflow_id == workflow.id))
    assert sorted(runs.all()) == sorted([history["members"]["A"].id, history["members"]["E"].id])
    assert len(result.run_ids) == 2


def test_store_comparison_and_staff(session, history):
    org = history["org"]
    f = history["range"]
    wide = ReportFilter(f.end - timedelta(days=120), f.end)
    rows = {r.code: r for r in store_comparison(session, org.actors["admin"], wide)}
    assert (rows["GZ01"].sales_count, rows["GZ01"].net_cents) == (4, 190_000)
    assert (rows["SH01"].sales_count, rows["SH01"].net_cents) == (2, 25_000)
    assert rows["GZ01"].active_90 == 2 and rows["SH01"].active_90 == 0
    owner_rows = store_comparison(session, org.actors["owner"], wide)
    assert {r.code for r in owner_rows} == {"SH01", "BJ01"}
    staff = staff_performance(session, org.actors["admin"], wide)
    assert [(s.username, s.sales_count, s.sales_cents, s.members_created) for s in staff] == [
        ("admin", 7, 30_000 + 27_000 + 110_000 + 80_000, 5)
    ]
    owner_staff = staff_performance(session, org.actors["owner"], wide)
    assert [(s.sales_count, s.members_created) for s in owner_staff] == [(3, 3)]


def test_exports_are_permission_checked_and_audited(session, history):
    org = history["org"]
    wide = ReportFilter(history["range"].end - timedelta(days=120), history["range"].end)
    owner = org.actors["owner"]
    file = export_report(session, owner, "churn", wide, "csv")
    session.commit()
    rows = list(csv.reader(io.StringIO(file.data.decode("utf-8-sig"))))
    assert rows[0][0] == "会员号" and [r[1] for r in rows[1:]] == ["A"]
    book = export_report(session, org.actors["auditor"], "stores", wide, "xlsx")
    session.commit()
    sheet = load_workbook(io.BytesIO(book.data)).active
    values = list(sheet.values)
    assert len(values) == 1 + 3 and values[1][2] == 1900.0  # GZ01 first: ¥1,900 net
    audits = session.exec(
        select(AuditEntry).where(AuditEntry.action == "reports.export").order_by(AuditEntry.id)
    ).all()
    assert [(a.target_id, a.changes["format"], a.changes["rows"]) for a in audits] == [
        ("churn", "csv", 1),
        ("stores", "xlsx", 3),
    ]
    with pytest.raises(PermissionDenied):
        export_report(session, org.actors["reception"], "series", wide, "csv")
    with pytest.raises(ValidationFailed):
        export_report(session, owner, "everything", wide, "csv")


def test_rfm_condition_rules_are_validated(session, history):
    from backoffice.workflows.conditions import Group, matching_ids, problems

    bad = Group.model_validate(
        {"rules": [{"kind": "rfm", "field": "loyalty", "op": "gt", "value": 1}]}
    )
    assert problems(bad, session) == ["error.condition_metric"]
    members = history["members"]
    recent = Group.model_validate(
        {"rules": [{"kind": "rfm", "field": "recency_days", "op": "lte", "value": 15}]}
    )
    everyone = [m.id for m in members.values()]
    # C bought today, D ten days ago; B never bought, so no recency at all.
    assert matching_ids(session, recent, everyone) == {members["C"].id, members["D"].id}
