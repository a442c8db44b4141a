"""A person signs in, works with members on the designed form, and HQ audits it."""

from __future__ import annotations

import random
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shot, sign_in, wait_ready

pytestmark = pytest.mark.e2e


def _phone() -> str:
    return "139" + "".join(str(random.randint(0, 9)) for _ in range(8))


@pytest.mark.parametrize(
    ("username", "role_label"),
    [("admin", "总部管理员"), ("auditor", "总部审计"), ("owner", "加盟商"), ("reception", "前台")],
)
def test_each_seeded_role_signs_in_and_sees_members(page, username, role_label):
    sign_in(page, username)
    assert page.inner_text("#me-role") == role_label
    page.goto("/members")  # report readers land on the dashboard
    page.wait_for_selector(".member-row")
    shot(page, f"members-{username}")


def test_wrong_password_is_refused_with_a_message(page):
    page.goto("/login")
    wait_ready(page)
    page.fill("#login", "owner")
    page.fill("#password", "not-the-password1")
    page.click("#sign-in")
    page.wait_for_selector("#login-error")
    assert "密码错误" in page.inner_text("#login-error")
    assert "/login" in page.url


def test_reception_sees_masked_phones_and_only_own_store(page):
    sign_in(page, "reception")
    page.wait_for_selector(".member-phone")
    phones = page.locator(".member-phone").all_inner_texts()
    assert phones and all(re.fullmatch(r"\d{3}\*{4}\d{4}", p) for p in phones)
    stores = set(page.locator(".member-row td:nth-child(4)").all_inner_texts())
    assert stores == {"上海静安店"}


def test_reception_creates_and_edits_member_with_custom_field(page):
    phone = _phone()
    sign_in(page, "reception")
    page.click("#new-member")
    page.wait_for_url("**/member/new")
    page.wait_for_selector("#member-name")
    wait_ready(page)
    page.fill("#member-name", "测试会员")
    page.fill("#member-phone", "12345")  # wrong on purpose: field-level error, nothing saved
    page.fill("#custom-wechat", "wx_test_01")
    page.click("#member-save")
    page.wait_for_selector(".field-error")
    assert "手机号码无效" in page.inner_text("#member-form")
    page.fill("#member-phone", phone)
    page.click("#custom-skin_type")
    page.get_by_role("option", name="敏感").click()
    page.click("#member-save")
    page.wait_for_url("**/member?id=*")
    page.wait_for_selector("#member-name")
    assert page.inner_text("#member-name") == "测试会员"
    values = page.locator(".custom-value").all_inner_texts()
    assert "wx_test_01" in values and "敏感" in values
    shot(page, "member-detail")

    page.click("#edit-member")
    page.wait_for_url("**/member/edit?id=*")
    page.wait_for_selector("#custom-wechat")
    wait_ready(page)
    page.fill("#custom-wechat", "wx_test_02")
    page.click("#member-save")
    page.wait_for_url("**/member?id=*")
    expect(page.locator(".custom-value").first).to_have_text("wx_test_02")
    first_event = page.locator(".timeline-item").first
    expect(first_event).to_contain_text("微信号 WeChat：wx_test_01 → wx_test_02")  # as a sentence
    # Reception sees the phone masked even on the member's own page.
    assert re.fullmatch(r"\d{3}\*{4}\d{4}", page.inner_text("#member-phone"))
    shot(page, "member-timeline")


def test_auditor_sees_the_staff_action_in_the_audit_log(page, browser, app_url):
    # A clerk changes something...
    clerk = browser.new_context(base_url=app_url).new_page()
    phone = _phone()
    sign_in(clerk, "reception_gz")
    clerk.goto("/member/new")
    clerk.wait_for_selector("#member-name")
    wait_ready(clerk)
    clerk.fill("#member-name", "审计测试")
    clerk.fill("#member-phone", phone)
    clerk.click("#member-save")
    clerk.wait_for_url("**/member?id=*")
    clerk.context.close()
    # ...and HQ's auditor finds it.
    sign_in(page, "auditor")
    page.goto("/audit")
    page.wait_for_selector(".audit-row")
    wait_ready(page)
    page.fill("#audit-actor", "reception_gz")
    page.fill("#audit-action", "members.create")
    page.click("#audit-search")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.audit-row')].every("
        "r => r.innerText.includes('reception_gz'))"
    )
    row = page.locator(".audit-row").first.inner_text()
    assert "members.create" in row and "审计测试" in row
    shot(page, "audit-auditor")


def test_owner_imports_members_from_csv_after_a_dry_run(page, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "name,phone,store_code\n好会员,13700001111,SH01\n坏号码,12345,SH01\n"
        "越权,13700002222,GZ01\n",
        encoding="utf-8",
    )
    good = tmp_path / "good.csv"
    good.write_text(
        "name,phone,store_code,skin_type\n导入一,13700003333,SH01,干性\n"
        "导入二,13700004444,BJ01,油性\n",
        encoding="utf-8",
    )
    sign_in(page, "owner")
    page.goto("/members/import")
    page.wait_for_selector("#member-csv")
    wait_ready(page)
    page.set_input_files("#member-csv input[type=file]", str(bad))
    expect(page.locator("#import-report")).to_contain_text("2 个问题")
    problems = page.locator(".import-problem").all_inner_texts()
    assert any("第 3 行" in p and "phone" in p for p in problems)
    assert any("第 4 行" in p and "store_code" in p for p in problems)
    assert page.locator("#import-run").count() == 0  # nothing can be imported from a bad file
    shot(page, "import-dry-run")

    page.set_input_files("#member-csv input[type=file]", str(good))
    expect(page.locator("#import-report")).to_contain_text("全部 2 行均可导入")
    page.click("#import-run")
    expect(page.locator("#import-done")).to_contain_text("已导入 2 位会员")
    page.goto("/members")
    page.fill("#member-search", "导入")
    page.click("#member-search-go")
    expect(page.locator(".member-row")).to_have_count(2)
    # The first bad file left nothing behind.
    page.fill("#member-search", "好会员")
    page.click("#member-search-go")
    expect(page.locator("#member-table")).to_have_count(0)


def test_health_readiness_and_metrics_of_the_running_product(app_url):  # noqa: ANN001
    """`make run` serves /healthz, /readyz and /metrics on its one port; its scheduler and
    worker make it ready."""
    import time

    import httpx

    with httpx.Client(base_url=app_url, timeout=30) as http:
        assert http.get("/healthz").json() == {"status": "ok"}
        deadline = time.monotonic() + 90
        while (ready := http.get("/readyz")).status_code != 200:
            assert time.monotonic() < deadline, ready.json()
            time.sleep(2)
        checks = ready.json()["checks"]
        assert checks["database"] and checks["redis"] and checks["workers_alive"] >= 1
        metrics = http.get("/metrics")
        assert metrics.status_code == 200
        assert "backoffice_ready 1.0" in metrics.text
