"""Reception at SH01 serves a member of another store (#18 item 1): the phone number alone
finds nobody; the phone plus the code of the member's card (as the scanner types it) finds
the member, without their coupon codes, and the look-up is an audit row."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from backoffice.services.members.counter_codes import card_payload
from backoffice.settings import get_settings
from tests.e2e.conftest import app_db, shot, sign_in, wait_ready

pytestmark = pytest.mark.e2e


def _other_store_member(data_dir) -> tuple[int, str, str]:  # noqa: ANN001
    """A demo member whose home store is not reception's SH01."""
    with app_db(data_dir) as db:
        return db.execute(
            "SELECT m.id, m.member_no, m.phone FROM member m JOIN store s ON s.id = m.home_store_id"
            " WHERE s.code = 'GZ01' AND m.status = 'ACTIVE' ORDER BY m.id LIMIT 1"
        ).fetchone()


def test_reception_serves_another_stores_member_presented_in_person(
    page, app_data_dir, monkeypatch
):
    member_id, member_no, phone = _other_store_member(app_data_dir)
    local = phone.removeprefix("+86")
    sign_in(page, "reception")
    page.goto("/checkout")
    wait_ready(page)
    page.fill("#checkout-member", local)
    page.click("#checkout-find")
    expect(page.get_by_text("找不到该会员")).to_be_visible()
    expect(page.locator("#checkout-member-line")).to_have_count(0)
    shot(page, "counter-phone-alone")

    # The member shows their card; the scanner types what its QR code carries. The code is
    # computed with the app's own key (DATA_DIR/secret.key), as the portal computes it.
    monkeypatch.setattr(get_settings(), "data_dir", app_data_dir)
    monkeypatch.setattr(get_settings(), "secret_key", "")
    page.fill("#checkout-presented", card_payload(member_no, member_id))
    page.click("#checkout-find")
    line = page.locator("#checkout-member-line")
    expect(line).to_contain_text(member_no)
    assert local not in line.inner_text()  # the phone stays masked
    page.click("#checkout-coupon")
    options = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    with app_db(app_data_dir) as db:
        codes = [
            r[0] for r in db.execute("SELECT code FROM coupon WHERE member_id = ?", (member_id,))
        ]
        audited = db.execute(
            "SELECT count(*) FROM auditentry WHERE action = 'counter.presented'"
            " AND target_id = ? AND actor_name = 'reception'",
            (str(member_id),),
        ).fetchone()[0]
    assert not [o for o in options for c in codes if c in o]  # other stores' codes never shown
    assert audited == 1
    page.fill("#checkout-amount", "88")
    page.click("#checkout-calculate")
    expect(page.locator("#quote-due")).to_contain_text("88.00")
    shot(page, "counter-presented-quote")
    page.click("#checkout-confirm")
    expect(page.locator("#checkout-done")).to_be_visible()
