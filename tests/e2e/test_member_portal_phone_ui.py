"""The member portal on a 375×812 phone: the bottom navigation stays on screen while the member
scrolls, every page has its own Chinese title, and the app has a favicon."""

from __future__ import annotations

import urllib.request

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, sign_in, wait_ready

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 812}


@pytest.fixture
def phone(browser, app_url):  # noqa: ANN001, ANN201
    context = browser.new_context(viewport=PHONE, base_url=app_url, is_mobile=True)
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    yield pg
    context.close()


def nav_on_screen(pg) -> bool:  # noqa: ANN001
    """The navigation's box lies inside the viewport, at its bottom edge."""
    box = pg.locator("#m-bottom-nav").bounding_box()
    assert box is not None
    return box["y"] >= 0 and abs(box["y"] + box["height"] - PHONE["height"]) <= 1


def screen(pg, name: str) -> None:  # noqa: ANN001
    """What the phone's screen shows now (not the whole page: a fixed bar is the point)."""
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def give_points(page, member_no: str, times: int) -> None:  # noqa: ANN001
    """The shop owner credits points a few times: the member's history grows past a screen."""
    sign_in(page, "owner")
    page.goto("/members")
    wait_ready(page)
    page.fill("#member-search", member_no)
    page.click("#member-search-go")
    page.locator(".member-row a").first.click()
    page.wait_for_selector("#points-balance")
    wait_ready(page)
    for n in range(times):
        page.click("#open-points")
        page.fill("#points-delta", str(10 + n))
        page.fill("#points-reason", f"到店活动 {n + 1}")
        page.click("#points-confirm")
        expect(page.locator("#points-delta")).to_have_count(0)


def test_the_bottom_navigation_stays_while_the_member_scrolls(page, phone):
    give_points(page, "M00000001", 8)
    pg = phone
    pg.goto("/m/login")
    pg.wait_for_selector("#m-phone")
    wait_ready(pg)
    pg.fill("#m-phone", "M00000001")
    pg.fill("#m-password", "demo1234")
    pg.click("#m-sign-in")
    pg.wait_for_url("**/m/home")
    expect(pg).to_have_title("首页 · 会员中心")
    expect(pg.locator("#m-points-ledger")).to_contain_text("到店活动 8")
    tall = pg.evaluate("document.documentElement.scrollHeight - window.innerHeight")
    assert tall > 200, "the page must be longer than the screen for this test to mean anything"
    assert nav_on_screen(pg)
    screen(pg, "member_phone_home_top")

    pg.mouse.wheel(0, tall)
    pg.wait_for_function(f"window.scrollY >= {tall} - 2")
    assert nav_on_screen(pg)
    # The last row is not hidden under the bar: the oldest points entry sits above it.
    last = pg.locator("#m-points-ledger").bounding_box()
    nav = pg.locator("#m-bottom-nav").bounding_box()
    assert last is not None and nav is not None
    assert last["y"] + last["height"] <= nav["y"] + 1
    screen(pg, "member_phone_home_scrolled")

    pg.mouse.wheel(0, -(tall // 2))  # halfway back up: still there
    pg.wait_for_function(f"window.scrollY <= {tall - tall // 2} + 2")
    assert nav_on_screen(pg)

    pg.click("#m-tab-me")  # the bar works from wherever the member scrolled to
    pg.wait_for_url("**/m/me")
    expect(pg).to_have_title("我的 · 会员中心")
    assert nav_on_screen(pg)
    pg.click("#m-tab-rewards")
    pg.wait_for_url("**/m/rewards")
    expect(pg).to_have_title("积分兑换 · 会员中心")
    assert nav_on_screen(pg)
    screen(pg, "member_phone_rewards")


def test_the_app_has_a_favicon(phone, app_url):
    pg = phone
    pg.goto("/m/login")
    pg.wait_for_selector("#m-phone")
    icons = pg.eval_on_selector_all("link[rel='icon']", "els => els.map(e => e.href)")
    assert any(href.endswith("/favicon.svg") for href in icons), icons
    for path, kind in (
        ("/favicon.svg", "svg"),
        ("/favicon.ico", "icon"),
        ("/apple-touch-icon.png", "png"),
    ):
        with urllib.request.urlopen(app_url + path, timeout=10) as resp:
            assert resp.status == 200
            assert kind in resp.headers.get("Content-Type", ""), (path, resp.headers)
            assert len(resp.read()) > 300
