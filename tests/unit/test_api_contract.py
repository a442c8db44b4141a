"""Contract of every /api/v1 endpoint: the happy path, and each error path as JSON
{"error": {"code", "field", "message"}} with the right status."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from backoffice.models import AuditEntry, CatalogItem, Coupon
from backoffice.services.loyalty.catalog import CatalogItemInput, create_item
from tests.unit.api_fixtures import ApiWorld


def err(response: Any, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert body["code"] == code
    assert body["message"]
    if field is not None:
        assert body["field"] == field
    return body


def sh_member(api: ApiWorld) -> int:
    return api.members["sh"]


def test_search_members_with_cursor_pages_and_filters(api: ApiWorld):
    c, h = api.client, api.headers()
    first = c.get("/api/v1/members", params={"limit": 1}, headers=h).json()
    assert len(first["items"]) == 1 and first["next_cursor"] == str(first["items"][0]["id"])
    second = c.get(
        "/api/v1/members", params={"limit": 1, "cursor": first["next_cursor"]}, headers=h
    ).json()
    assert second["items"][0]["id"] > first["items"][0]["id"]
    by_phone = c.get("/api/v1/members", params={"q": "13900000002"}, headers=h).json()
    assert [m["name"] for m in by_phone["items"]] == ["广州会员"]
    by_store = c.get("/api/v1/members", params={"store_id": api.stores["SH01"]}, headers=h).json()
    assert [m["name"] for m in by_store["items"]] == ["上海会员"]
    assert by_store["next_cursor"] is None
    frozen = c.get("/api/v1/members", params={"status": "frozen"}, headers=h).json()
    assert frozen["items"] == []


def test_search_member_errors(api: ApiWorld):
    c, h = api.client, api.headers()
    err(c.get("/api/v1/members", params={"status": "nope"}, headers=h), 422, "validation", "status")
    err(c.get("/api/v1/members", params={"cursor": "x"}, headers=h), 422, "validation", "cursor")
    err(c.get("/api/v1/members", params={"limit": 0}, headers=h), 422, "validation", "limit")
    err(
        c.get("/api/v1/members", params={"custom.nope": "1"}, headers=h),
        422,
        "validation",
        "custom.nope",
    )


def test_get_member_and_not_found(api: ApiWorld):
    c, h = api.client, api.headers()
    got = c.get(f"/api/v1/members/{sh_member(api)}", headers=h)
    assert got.status_code == 200 and got.json()["phone"] == "13800000001"
    err(c.get("/api/v1/members/999999", headers=h), 404, "not_found")
    err(c.get("/api/v1/members/0", headers=h), 422, "validation", "member_id")


def test_phone_is_masked_without_pii_permission(api: ApiWorld):
    got = api.client.get(f"/api/v1/members/{sh_member(api)}", headers=api.headers("reader"))
    assert got.status_code == 200
    assert got.json()["phone"] != "13800000001" and "*" in got.json()["phone"]


def test_create_member(api: ApiWorld):
    c, h = api.client, api.headers("sh")
    made = c.post("/api/v1/members", json={"name": "新会员", "phone": "13700000003"}, headers=h)
    assert made.status_code == 201, made.text
    assert made.json()["home_store_id"] == api.stores["SH01"]
    err(c.post("/api/v1/members", json={"name": "", "phone": "1"}, headers=h), 422, "validation")
    dup = err(
        c.post("/api/v1/members", json={"name": "重复", "phone": "13700000003"}, headers=h),
        422,
        "validation",
        "phone",
    )
    assert "phone" in dup["fields"]
    err(
        c.post(
            "/api/v1/members", json={"name": "x", "phone": "13700000004", "bogus": 1}, headers=h
        ),
        422,
        "validation",
        "bogus",
    )
    err(c.post("/api/v1/members", content=b"{not json", headers=h), 422, "validation")


def test_update_member_changes_only_sent_fields(api: ApiWorld):
    c, h = api.client, api.headers("sh")
    url = f"/api/v1/members/{sh_member(api)}"
    changed = c.patch(url, json={"notes": "VIP"}, headers=h)
    assert changed.status_code == 200, changed.text
    assert changed.json()["notes"] == "VIP" and changed.json()["name"] == "上海会员"
    err(c.patch(url, json={"email": "not-an-email"}, headers=h), 422, "validation", "email")
    err(c.patch("/api/v1/members/999999", json={"notes": "x"}, headers=h), 404, "not_found")


def test_freeze_and_unfreeze(api: ApiWorld):
    c, h = api.client, api.headers("sh")
    url = f"/api/v1/members/{sh_member(api)}"
    err(c.post(url + "/freeze", json={"reason": ""}, headers=h), 422, "validation", "reason")
    frozen = c.post(url + "/freeze", json={"reason": "lost card"}, headers=h)
    assert frozen.status_code == 200 and frozen.json()["status"] == "frozen"
    err(c.post(url + "/freeze", json={"reason": "again"}, headers=h), 422, "validation", "status")
    assert (
        c.post(url + "/unfreeze", json={"reason": "found"}, headers=h).json()["status"] == "active"
    )


def test_sale_and_refund(api: ApiWorld):
    c, h = api.client, api.headers("sh")
    body = {"member_id": sh_member(api), "store_id": api.stores["SH01"], "amount_cents": 10000}
    sale = c.post("/api/v1/sales", json=body, headers=h)
    assert sale.status_code == 201, sale.text
    assert sale.json()["points_earned"] == 100
    sale_id = sale.json()["id"]
    err(
        c.post("/api/v1/sales", json={**body, "amount_cents": 0}, headers=h),
        422,
        "validation",
        "amount_cents",
    )
    err(
        c.post("/api/v1/sales", json={**body, "pay_method": "gold"}, headers=h),
        422,
        "validation",
        "pay_method",
    )
    refunds = f"/api/v1/sales/{sale_id}/refunds"
    err(c.post(refunds, json={"amount_cents": 99999, "reason": "x"}, headers=h), 422, "validation")
    err(c.post(refunds, json={"amount_cents": 100, "reason": ""}, headers=h), 422, "validation")
    refund = c.post(refunds, json={"amount_cents": 10000, "reason": "faulty"}, headers=h)
    assert refund.status_code == 201 and refund.json()["points_reversed"] == 100
    err(
        c.post("/api/v1/sales/999999/refunds", json={"amount_cents": 1}, headers=h),
        404,
        "not_found",
    )


def test_points_balance_ledger_adjust_redeem(api: ApiWorld):
    c, h = api.client, api.headers("sh")
    base = f"/api/v1/members/{sh_member(api)}/points"
    assert c.get(base, headers=h).json() == {"member_id": sh_member(api), "balance": 0}
    added = c.post(base + "/adjustments", json={"delta": 500, "reason": "goodwill"}, headers=h)
    assert added.status_code == 201 and added.json()["balance_after"] == 500
    err(
        c.post(base + "/adjustments", json={"delta": 5, "reason": ""}, headers=h), 422, "validation"
    )
    err(
        c.post(base + "/adjustments", json={"delta": -9999, "reason": "too much"}, headers=h),
        422,
        "validation",
    )
    ledger = c.get(base + "/ledger", headers=h).json()
    assert [e["delta"] for e in ledger["items"]] == [500] and ledger["next_cursor"] is None
    with Session(api.engine) as session:
        item = create_item(
            session,
            api.actors["admin"],
            CatalogItemInput(name="杯子", points_price=300, stock=1),
        )
        session.commit()
        item_id = item.id
    redeem = {"item_id": item_id, "store_id": api.stores["SH01"]}
    got = c.post(base + "/redemptions", json=redeem, headers=h)
    assert got.status_code == 201 and got.json()["points"] == 300
    err(c.post(base + "/redemptions", json=redeem, headers=h), 422, "validation")  # no stock
    with Session(api.engine) as session:
        assert session.get(CatalogItem, item_id).stock == 0
    assert c.get(base, headers=h).json()["balance"] == 200


def test_wallet_balance_ledger_topup_pay(api: ApiWorld):
    c, h = api.client, api.headers("sh")
    base = f"/api/v1/members/{sh_member(api)}/wallet"
    shop = api.stores["SH01"]
    up = c.post(base + "/topups", json={"store_id": shop, "amount_cents": 100000}, headers=h)
    assert up.status_code == 201 and up.json()["bonus_delta"] == 20000
    err(
        c.post(base + "/topups", json={"store_id": shop, "amount_cents": 0}, headers=h),
        422,
        "validation",
        "amount_cents",
    )
    err(
        c.post(
            base + "/topups",
            json={"store_id": shop, "amount_cents": 1, "pay_method": "x"},
            headers=h,
        ),
        422,
        "validation",
        "pay_method",
    )
    paid = c.post(base + "/payments", json={"store_id": shop, "amount_cents": 30000}, headers=h)
    assert paid.status_code == 201, paid.text
    assert paid.json()["wallet_principal_cents"] + paid.json()["wallet_bonus_cents"] == 30000
    err(
        c.post(base + "/payments", json={"store_id": shop, "amount_cents": 10_000_000}, headers=h),
        422,
        "validation",
    )
    assert c.get(base, headers=h).json()["total_cents"] == 90000
    assert len(c.get(base + "/ledger", headers=h).json()["items"]) == 2


def test_coupons_issue_list_redeem(api: ApiWorld):
    c, h = api.client, api.headers("sh")
    base = f"/api/v1/members/{sh_member(api)}/coupons"
    issued = c.post(base, json={"template_id": api.programme["amount_off"]}, headers=h)
    assert issued.status_code == 201, issued.text
    coupon_id = issued.json()["id"]
    err(c.post(base, json={"template_id": 999999}, headers=h), 404, "not_found")
    listed = c.get(base, params={"usable": True}, headers=h).json()
    assert [x["id"] for x in listed] == [coupon_id]
    redeem = {"store_id": api.stores["SH01"], "amount_cents": 25000}
    err(
        c.post(f"{base}/{coupon_id}/redeem", json={**redeem, "amount_cents": 1000}, headers=h),
        422,
        "validation",
    )  # below the 满200 threshold
    used = c.post(f"{base}/{coupon_id}/redeem", json=redeem, headers=h)
    assert used.status_code == 201 and used.json()["coupon_discount_cents"] == 3000
    err(c.post(f"{base}/{coupon_id}/redeem", json=redeem, headers=h), 422, "validation")
    with Session(api.engine) as session:
        assert session.get(Coupon, coupon_id).status.value == "used"


def test_tiers_stores_events(api: ApiWorld):
    c = api.client
    tiers = c.get("/api/v1/tiers", headers=api.headers()).json()
    assert [t["code"] for t in tiers] == ["BASIC", "SILVER", "GOLD"]
    assert {s["code"] for s in c.get("/api/v1/stores", headers=api.headers("sh")).json()} == {
        "SH01"
    }
    sh = api.stores["SH01"]
    assert c.get(f"/api/v1/stores/{sh}", headers=api.headers("sh")).json()["code"] == "SH01"
    err(c.get(f"/api/v1/stores/{api.stores['GZ01']}", headers=api.headers("sh")), 404, "not_found")
    err(c.get("/api/v1/stores", headers=api.headers("reader")), 403, "forbidden")
    events = c.get("/api/v1/events", headers=api.headers("sh")).json()
    assert {e["member_id"] for e in events["items"]} == {sh_member(api)}
    later = c.get(
        "/api/v1/events", params={"cursor": events["next_cursor"]}, headers=api.headers("sh")
    )
    assert later.json()["items"] == []
    named = c.get("/api/v1/events", params={"name": "sale.recorded"}, headers=api.headers()).json()
    assert named["items"] == []


def test_workflow_manual_trigger_errors(api: ApiWorld):
    c = api.client
    err(c.post("/api/v1/workflows/999999/runs", headers=api.headers()), 404, "not_found")
    err(c.post("/api/v1/workflows/1/runs", headers=api.headers("reader")), 403, "forbidden")


def test_workflow_manual_trigger_starts_runs(api: ApiWorld):
    from backoffice.workflows.campaigns.lifecycle import (
        WorkflowInput,
        create_workflow,
        publish_workflow,
    )

    graph = {
        "nodes": [
            {"id": "t", "type": "trigger.manual", "config": {}},
            {"id": "a", "type": "action.add_tag", "config": {"tag": "api"}},
        ],
        "edges": [{"source": "t", "target": "a"}],
    }
    with Session(api.engine) as session:
        wf = create_workflow(session, api.actors["admin"], WorkflowInput(name="手动", graph=graph))
        publish_workflow(session, api.actors["admin"], wf.id)
        session.commit()
        wf_id = wf.id
    # an organisation-wide campaign is not the SH01 key's to start (nor to see)
    err(
        api.client.post(f"/api/v1/workflows/{wf_id}/runs", headers=api.headers("sh")),
        404,
        "not_found",
    )
    started = api.client.post(f"/api/v1/workflows/{wf_id}/runs", headers=api.headers())
    assert started.status_code == 201, started.text
    assert started.json() == {"workflow_id": wf_id, "runs_started": 2}


def test_errors_follow_accept_language(api: ApiWorld):
    zh = api.client.get(
        "/api/v1/members/999999", headers=api.headers(**{"Accept-Language": "zh-CN"})
    )
    en = api.client.get("/api/v1/members/999999", headers=api.headers())
    assert zh.json()["error"]["message"] != en.json()["error"]["message"]


def test_unknown_path_is_a_json_404(api: ApiWorld):
    err(api.client.get("/api/v1/nothing/here", headers=api.headers()), 404, "not_found")


def test_openapi_and_offline_docs(api: ApiWorld):
    doc = api.client.get("/api/v1/openapi.json").json()
    assert "/api/v1/members/{member_id}/wallet/topups" in doc["paths"]
    page = api.client.get("/api/v1/docs")
    assert page.status_code == 200 and "/api/v1/docs/assets/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower()
    js = api.client.get("/api/v1/docs/assets/swagger-ui-bundle.js")
    assert js.status_code == 200 and len(js.content) > 100_000


def test_writes_are_audited_as_the_key(api: ApiWorld):
    api.client.post(
        f"/api/v1/members/{sh_member(api)}/points/adjustments",
        json={"delta": 10, "reason": "audit me"},
        headers=api.headers("sh"),
    )
    with Session(api.engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "points.adjust")).one()
    assert entry.role == "api_key" and entry.actor_name.startswith("api:bo_")
    assert entry.actor_id == api.actors["admin"].staff_id  # the accountable creator


def test_reads_are_audited_as_the_key_in_batches(api: ApiWorld):
    from backoffice.api import read_audit

    phone = "13800000001"
    assert (
        api.client.get(f"/api/v1/members?phone={phone}", headers=api.headers("sh")).status_code
        == 200
    )
    assert api.client.get("/api/v1/stores", headers=api.headers("sh")).status_code == 200
    assert api.client.get("/api/v1/stores").status_code == 401  # no key: nothing to audit
    with Session(api.engine) as session:  # noted, not yet written: no write per request
        assert session.exec(select(AuditEntry).where(AuditEntry.action == "api.read")).all() == []
    assert read_audit.flush() == 2
    with Session(api.engine) as session:
        rows = session.exec(
            select(AuditEntry).where(AuditEntry.action == "api.read").order_by(AuditEntry.id)
        ).all()
    assert [r.target_id for r in rows] == [
        f"GET /api/v1/members?phone={phone}",
        "GET /api/v1/stores",
    ]
    assert all(r.role == "api_key" and r.actor_name.startswith("api:bo_") for r in rows)
    assert all(r.changes["at"] for r in rows)
    from backoffice.services.org.audit import verify_chain

    with Session(api.engine) as session:
        assert verify_chain(session).ok


def test_a_known_path_with_another_method_is_405_with_allow(api: ApiWorld):
    c, h = api.client, api.headers()
    got = c.delete("/api/v1/members", headers=h)
    err(got, 405, "method_not_allowed")
    assert got.headers["allow"] == "GET, POST"
    got = c.put(f"/api/v1/members/{sh_member(api)}", headers=h)
    err(got, 405, "method_not_allowed")
    assert got.headers["allow"] == "GET, PATCH"
    err(c.delete("/api/v1/nothing-here", headers=h), 404, "not_found")


def test_field_errors_name_the_real_field_and_reason(api: ApiWorld):
    c, h = api.client, api.headers("sh")
    body = {"member_id": sh_member(api), "store_id": api.stores["SH01"], "amount_cents": 10000}
    sale_id = c.post("/api/v1/sales", json=body, headers=h).json()["id"]
    refunds = f"/api/v1/sales/{sale_id}/refunds"
    for amount in (0, -100):
        got = err(
            c.post(refunds, json={"amount_cents": amount, "reason": "x"}, headers=h),
            422,
            "validation",
            "amount_cents",
        )
        assert got["message"] == "The refund must be more than 0"
    too_much = err(
        c.post(refunds, json={"amount_cents": 99999, "reason": "x"}, headers=h),
        422,
        "validation",
        "amount_cents",
    )
    assert too_much["message"] == "The refund is more than what is left to refund"
    topups = f"/api/v1/members/{sh_member(api)}/wallet/topups"
    err(
        c.post(topups, json={"store_id": api.stores["SH01"], "amount_cents": 0}, headers=h),
        422,
        "validation",
        "amount_cents",
    )
    broken = c.post(
        "/api/v1/sales",
        content=b'{"member_id": 1,',
        headers={**h, "content-type": "application/json"},
    )
    got = err(broken, 422, "validation", "body")
    assert got["message"] == "The request body is not valid JSON"


def test_money_in_a_body_must_be_a_json_integer(api: ApiWorld):
    c, h = api.client, api.headers("sh")
    body = {"member_id": sh_member(api), "store_id": api.stores["SH01"]}
    for lax in ("100", 1e2, 100.0, True):
        got = err(
            c.post("/api/v1/sales", json={**body, "amount_cents": lax}, headers=h),
            422,
            "validation",
            "amount_cents",
        )
        assert "whole number" in got["message"], lax
    topups = f"/api/v1/members/{sh_member(api)}/wallet/topups"
    err(
        c.post(topups, json={"store_id": api.stores["SH01"], "amount_cents": "100"}, headers=h),
        422,
        "validation",
        "amount_cents",
    )
    assert c.post("/api/v1/sales", json={**body, "amount_cents": 100}, headers=h).status_code == 201
