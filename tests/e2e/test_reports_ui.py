"""The dashboard is the home page of HQ and franchise owners and renders its charts for both,
each with its own scope; reception keeps landing on the members; the analysis pages open;
a chart's data downloads as CSV; plotly's own camera button saves a PNG."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, shot, sign_in, wait_ready

pytestmark = pytest.mark.e2e

CHARTS = ("sales", "members", "stores", "tiers", "points", "wallet", "coupons", "campaigns")


def _dashboard(page, who: str) -> dict[str, str]:  # noqa: ANN001
    sign_in(page, who)
    page.wait_for_url("**/reports")
    wait_ready(page)
    page.wait_for_selector("#kpi-sales_count")
    for chart in CHARTS:
        # plotly draws into an SVG inside the card once the figure arrived
        expect(page.locator(f"#chart-{chart} .main-svg").first).to_be_visible(timeout=30_000)
    shot(page, f"dashboard-{who}")
    kpis = {}
    for key in ("sales_count", "new_members", "net_sales"):
        kpis[key] = page.inner_text(f"#kpi-{key} .kpi-value")
    return kpis


def _count(text: str) -> int:
    return int(re.sub(r"[^\d]", "", text) or 0)


def test_dashboard_renders_for_hq_and_owner_with_their_scope(browser, app_url):
    hq_page = browser.new_context(
        base_url=app_url, viewport={"width": 1400, "height": 900}, accept_downloads=True
    ).new_page()
    owner_page = browser.new_context(
        base_url=app_url, viewport={"width": 1400, "height": 900}, accept_downloads=True
    ).new_page()
    hq = _dashboard(hq_page, "admin")
    owner = _dashboard(owner_page, "owner")
    # Demo data has sales at GZ01 too, which the owner (SH01 + BJ01) does not see.
    assert _count(hq["sales_count"]) > _count(owner["sales_count"]) > 0
    assert _count(hq["new_members"]) >= _count(owner["new_members"])
    # The owner's store filter offers only their own stores.
    owner_page.click("#report-store")
    options = owner_page.get_by_role("option").all_inner_texts()
    assert any("SH01" in o for o in options) and not any("GZ01" in o for o in options)
    owner_page.keyboard.press("Escape")

    # A chart's data as CSV (an audited export).
    with hq_page.expect_download() as download:
        hq_page.locator("#chart-sales button", has_text="CSV").click()
    path = ARTIFACTS / "dashboard-series.csv"
    download.value.save_as(path)
    assert path.read_text(encoding="utf-8-sig").splitlines()[0].startswith("周期")

    # PNG through plotly's own modebar (rendered in the browser, no network needed).
    chart = hq_page.locator("#chart-sales")
    chart.locator(".main-svg").first.hover()
    with hq_page.expect_download() as png:
        # the camera, plotly's first modebar button ("Download plot as a png")
        chart.locator(".modebar-btn").first.click()
    png_path = ARTIFACTS / "dashboard-sales.png"
    png.value.save_as(png_path)
    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    hq_page.context.close()
    owner_page.context.close()


def test_reception_lands_on_members_and_may_not_open_reports(page):
    sign_in(page, "reception")
    page.wait_for_url("**/members")
    page.goto("/reports")
    page.wait_for_url("**/members")


def test_analysis_pages_open_for_the_owner(page):
    sign_in(page, "owner")
    for route, marker in (
        ("/reports/rfm", "#rfm-table"),
        ("/reports/churn", "#churn-table"),
        ("/reports/stores", "#stores-table"),
        ("/reports/staff", "#staff-table"),
    ):
        page.goto(route)
        page.wait_for_selector(marker)
        wait_ready(page)
        shot(page, "report-" + route.rsplit("/", 1)[-1])
    # One click tags today's churn list (the demo has members overdue against their rhythm).
    page.goto("/reports/churn")
    page.wait_for_selector(".churn-row")
    wait_ready(page)
    page.click("#winback")
    expect(page.get_by_text(re.compile(r"已为 \d+ 位会员打上标签「churn-\d{8}」"))).to_be_visible()
    # Save an RFM group as a campaign segment.
    page.goto("/reports/rfm")
    page.wait_for_selector(".rfm-row")
    wait_ready(page)
    page.locator(".save-segment").first.click()
    page.fill("#segment-name", "重要价值客户（看板）")
    page.click("#segment-confirm")
    expect(page.get_by_text("重要价值客户（看板）", exact=False).first).to_be_visible()
    page.goto("/reports/stores")
    page.wait_for_selector(".store-row")
    rows = page.locator(".store-row").all_inner_texts()
    assert rows and not any("GZ01" in r for r in rows)
