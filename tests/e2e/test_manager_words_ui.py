"""What a manager reads, clicked through in Chinese at 1440×900: permissions as sentences,
loyalty rules typed in yuan and percent with the rule said in words, the sign-out and the
language switch always in view, and a staff report with each store's own staff."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shot, sign_in, wait_ready

pytestmark = pytest.mark.e2e


@pytest.fixture
def desk(browser, app_url):  # noqa: ANN001, ANN201
    context = browser.new_context(viewport={"width": 1440, "height": 900}, base_url=app_url)
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    yield pg
    context.close()


def _in_view(pg, selector: str) -> bool:  # noqa: ANN001
    box = pg.locator(selector).bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 900


def test_roles_page_reads_each_permission_as_a_sentence(desk):
    sign_in(desk, "admin")
    desk.goto("/roles")
    desk.wait_for_selector("#roles-table")
    wait_ready(desk)
    expect(desk.locator(".role-row[data-perm='reports.export']")).to_contain_text(
        "可以把报表下载为 CSV 或 Excel 文件。"
    )
    labels = desk.locator(".role-row td:first-child").all_inner_texts()
    assert labels and all(t.startswith("可以") and t.endswith("。") for t in labels), labels
    assert "perm." not in desk.inner_text("#roles-table")
    shot(desk, "f-roles-sentences")


def test_sign_out_and_language_stay_in_view_on_every_page(desk):
    sign_in(desk, "admin")  # HQ admin: the longest sidebar
    for route in ("/reports", "/settings/loyalty", "/audit"):
        desk.goto(route)
        wait_ready(desk)
        assert _in_view(desk, "#sign-out") and _in_view(desk, "#language-switch"), route
    desk.mouse.wheel(0, 3000)
    assert _in_view(desk, "#sign-out")
    shot_viewport = desk.screenshot(path="tests/e2e/artifacts/f-sidebar-1440.png")
    assert shot_viewport
    desk.click("#language-switch")
    desk.get_by_role("option", name="English").click()
    expect(desk.locator("#sign-out")).to_contain_text("Sign out")
    desk.click("#language-switch")
    desk.get_by_role("option", name="中文").click()
    expect(desk.locator("#sign-out")).to_contain_text("退出")
    desk.click("#sign-out")
    desk.wait_for_url(re.compile(r".*/login$"))


def test_a_spend_rule_is_typed_in_yuan_and_said_in_words(desk):
    sign_in(desk, "admin")
    desk.goto("/settings/loyalty")
    desk.wait_for_selector("#settings-tiers")
    wait_ready(desk)
    desk.click("#tab-rules")
    row = desk.locator(".setting-row", has_text="消费 1 元得 1 分")
    expect(row).to_contain_text("每消费 ¥1 得 1 积分，积分在获得后第 12 个月末过期")
    row.get_by_role("button").click()
    expect(desk.locator("#setting-per_cents")).to_have_value("1.00")
    desk.fill("#setting-per_cents", "abc")
    desk.click("#setting-save")
    expect(desk.locator(".field-error").first).to_contain_text("请输入金额")
    desk.fill("#setting-per_cents", "2")
    desk.fill("#setting-points", "3")
    expect(desk.locator("#setting-sentence")).to_contain_text("每消费 ¥2 得 3 积分")
    shot(desk, "f-loyalty-rule-live-sentence")
    desk.click("#setting-save")
    expect(row).to_contain_text("¥2.00")
    expect(row).to_contain_text("每消费 ¥2 得 3 积分")
    shot(desk, "f-loyalty-rules-saved")
    # Back to the demo's rule, so the other tests' sums hold.
    row.get_by_role("button").click()
    desk.fill("#setting-per_cents", "1")
    desk.fill("#setting-points", "1")
    desk.click("#setting-save")
    expect(row).to_contain_text("每消费 ¥1 得 1 积分")


def test_policy_share_is_a_percent(desk):
    sign_in(desk, "admin")
    desk.goto("/settings/loyalty")
    desk.wait_for_selector("#settings-tiers")
    wait_ready(desk)
    desk.click("#tab-policy")
    row = desk.locator(".setting-row").first
    expect(row).to_contain_text("50%")
    expect(row).to_contain_text("最多抵扣订单金额的 50%")
    shot(desk, "f-loyalty-policy")


def test_the_staff_report_credits_each_stores_own_staff(desk):
    sign_in(desk, "admin")
    desk.goto("/reports/staff")
    desk.wait_for_selector(".staff-row")
    wait_ready(desk)
    names = " ".join(desk.locator(".staff-row").all_inner_texts())
    for clerk in ("前台 小林", "发型师 阿杰", "前台 小周", "加盟商 陈老板"):
        assert clerk in names, names
    shot(desk, "f-staff-report")


def test_a_spend_tier_threshold_reads_in_yuan(desk):
    sign_in(desk, "admin")
    desk.goto("/settings/loyalty")
    desk.wait_for_selector("#settings-tiers")
    wait_ready(desk)
    row = desk.locator(".setting-row", has_text="SILVER")
    expect(row).to_contain_text("¥2,000.00")
    expect(row).to_contain_text("近 365 天内消费满 ¥2,000 即升入此等级")
    row.get_by_role("button").click()
    expect(desk.locator("#setting-threshold")).to_have_value("2000.00")
    desk.fill("#setting-threshold", "2500")
    expect(desk.locator("#setting-sentence")).to_contain_text("消费满 ¥2,500 即升入此等级")
    shot(desk, "f-loyalty-tier-yuan")
    desk.get_by_role("button", name="取消").click()
    expect(row).to_contain_text("¥2,000.00")  # nothing saved
