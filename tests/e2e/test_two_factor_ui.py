"""Staff two-factor sign-in in the browser: enrol on /account by scanning (here: reading)
the secret, then sign in with password and an authenticator code."""

from __future__ import annotations

import time

import pyotp
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, shot, sign_in, wait_ready

pytestmark = pytest.mark.e2e

USER = "auditor"


def _fresh_code(secret: str, used_step: int) -> str:
    """A code of a later 30-second step than the one already used (codes work once)."""
    while int(time.time() // 30) <= used_step:
        time.sleep(1)
    return pyotp.TOTP(secret).now()


def test_enrol_then_sign_in_with_a_code(page):
    sign_in(page, USER)
    page.goto("/account")
    page.wait_for_selector("#twofa-start")
    wait_ready(page)
    page.click("#twofa-start")
    secret = page.inner_text("#totp-secret").strip()
    expect(page.locator("#totp-qr")).to_be_visible()
    shot(page, "twofa_enrol")
    page.fill("#twofa-confirm-code", pyotp.TOTP(secret).now())
    used_step = int(time.time() // 30)
    page.click("#twofa-confirm")
    expect(page.locator("#recovery-codes")).to_be_visible()
    codes = page.locator(".recovery-code").all_inner_texts()
    assert len(codes) == 10
    expect(page.locator("#twofa-status")).to_have_text("已开启")
    shot(page, "twofa_recovery_codes")
    page.click("#recovery-done")

    # sign out, then the password alone is not enough
    page.context.clear_cookies()
    page.goto("/login")
    page.wait_for_selector("#login")
    wait_ready(page)
    page.fill("#login", USER)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#totp-code")
    assert "/login" in page.url
    page.fill("#totp-code", "000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    page.click("#verify-code")
    expect(page.locator("#login-error")).to_be_visible()
    shot(page, "twofa_wrong_code")
    page.fill("#totp-code", _fresh_code(secret, used_step))
    page.click("#verify-code")
    page.wait_for_selector("#me-name", timeout=30_000)

    # leave the account as the other tests expect it: off again, with a recovery code
    page.goto("/account")
    page.wait_for_selector("#twofa-disable")
    wait_ready(page)
    page.fill("#twofa-disable-code", codes[0])
    page.click("#twofa-disable")
    expect(page.locator("#twofa-status")).to_have_text("未开启")
