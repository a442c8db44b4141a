"""The member portal on a phone-sized screen: sign-up needs the privacy consent, a member
signs in, sees their balances and redeems an item; five wrong passwords lock the account."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shot, wait_ready

pytestmark = pytest.mark.e2e

PHONE_VIEW = {"width": 390, "height": 844}
DEMO_MEMBER = "M00000001"
DEMO_PASSWORD = "demo1234"


@pytest.fixture
def phone(browser, app_url):  # noqa: ANN001, ANN201
    context = browser.new_context(viewport=PHONE_VIEW, base_url=app_url, is_mobile=True)
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    yield pg
    context.close()


def sign_up(pg, phone: str, name: str, password: str = "Portal123", referral: str = "") -> None:  # noqa: ANN001
    pg.goto("/m/signup")
    pg.wait_for_selector("#m-phone")
    wait_ready(pg)
    pg.fill("#m-phone", phone)
    pg.fill("#m-name", name)
    pg.fill("#m-password", password)
    if referral:
        pg.fill("#m-referrer_ref", referral)
    pg.click("#m-consent")
    pg.click("#m-sign-up")
    pg.wait_for_url("**/m/home")
    pg.wait_for_selector("#m-points")


def sign_in(pg, login: str, password: str) -> None:  # noqa: ANN001
    pg.goto("/m/login")
    pg.wait_for_selector("#m-phone")
    wait_ready(pg)
    pg.fill("#m-phone", login)
    pg.fill("#m-password", password)
    pg.click("#m-sign-in")


def sign_out(pg) -> None:  # noqa: ANN001
    pg.goto("/m/me")
    pg.wait_for_selector("#m-sign-out")
    wait_ready(pg)
    pg.click("#m-sign-out")
    pg.wait_for_url("**/m/login")


def points_of(pg) -> int:  # noqa: ANN001
    return int(pg.inner_text("#m-points").replace(",", ""))


def test_sign_up_needs_consent_then_sign_in_balances_and_redeem(phone):
    pg = phone
    pg.goto("/m/signup")
    pg.wait_for_selector("#m-phone")
    wait_ready(pg)
    assert pg.locator("#m-consent").get_attribute("data-state") == "unchecked"
    pg.fill("#m-phone", "19900000001")
    pg.fill("#m-name", "手机新会员")
    pg.fill("#m-password", "Portal123")
    pg.fill("#m-referrer_ref", DEMO_MEMBER)
    pg.click("#m-sign-up")  # consent not ticked
    expect(pg.locator("#m-consent-error")).to_be_visible()
    shot(pg, "member_signup_consent_required")
    assert "/m/signup" in pg.url
    pg.click("#m-consent")
    pg.click("#m-sign-up")
    pg.wait_for_url("**/m/home")
    pg.wait_for_selector("#m-points")
    expect(pg.locator("#m-name")).to_have_text("手机新会员")
    expect(pg.locator("#m-qr")).to_be_visible()
    assert points_of(pg) == 200  # the demo sign-up rule
    shot(pg, "member_home_new")
    sign_out(pg)
    # a second friend referred by the demo member: 2 × 500 referral points for them
    sign_up(pg, "19900000002", "第二位朋友", referral=DEMO_MEMBER)
    sign_out(pg)

    sign_in(pg, "19900000001", "Portal123")
    pg.wait_for_url("**/m/home")
    pg.wait_for_selector("#m-points")
    expect(pg.locator("#m-wallet")).to_be_visible()
    sign_out(pg)

    sign_in(pg, DEMO_MEMBER, DEMO_PASSWORD)
    pg.wait_for_url("**/m/home")
    pg.wait_for_selector("#m-points")
    expect(pg.locator("#m-member-no")).to_have_text(DEMO_MEMBER)
    before = points_of(pg)
    assert before >= 1000
    shot(pg, "member_home_demo")
    pg.click("#m-tab-rewards")
    pg.wait_for_url("**/m/rewards")
    pg.wait_for_selector(".m-reward")
    wait_ready(pg)
    towel = pg.locator(".m-reward", has_text="定制毛巾")
    towel.locator(".m-redeem").click()
    expect(pg.locator("#m-redeem-question")).to_contain_text("800")
    pg.dblclick("#m-confirm-redeem")  # a double tap redeems once
    expect(pg.get_by_text(re.compile("兑换成功"))).to_be_visible()
    expect(pg.locator("#m-rewards-points")).to_have_text(f"{before - 800:,}")
    shot(pg, "member_rewards_redeemed")
    pg.click("#m-tab-home")
    pg.wait_for_url("**/m/home")
    expect(pg.locator("#m-points")).to_have_text(f"{before - 800:,}")
    expect(pg.locator("#m-points-ledger")).to_contain_text("定制毛巾")


def test_five_wrong_passwords_lock_the_member(phone):
    pg = phone
    sign_up(pg, "19900000009", "锁定测试")
    sign_out(pg)
    for attempt in range(5):
        sign_in(pg, "19900000009", f"Wrong{attempt}xyz")
        expect(pg.locator("#m-login-error")).to_be_visible()
    expect(pg.locator("#m-login-error")).to_contain_text("15")
    sign_in(pg, "19900000009", "Portal123")  # the right password waits too
    expect(pg.locator("#m-login-error")).to_contain_text("锁定")
    assert "/m/login" in pg.url
    shot(pg, "member_locked")


def test_a_staff_session_does_not_open_member_pages(page, phone):
    from tests.e2e.conftest import sign_in as staff_sign_in

    staff_sign_in(page, "admin")
    page.goto("/m/home")
    page.wait_for_url("**/m/login")
