"""API keys in the browser: the HQ admin creates a key on /settings/api-keys (the token is
shown once), a POS (here: httpx from the test) looks a member up by phone with it on the
same server, the admin revokes it on the page and the same call gets 401."""

from __future__ import annotations

from contextlib import closing
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from backoffice.i18n import format_when
from tests.e2e.conftest import app_db, shot, sign_in, wait_ready

pytestmark = pytest.mark.e2e


def _check(page, element_id: str) -> None:  # noqa: ANN001
    box = page.locator(f"[id='{element_id}']")
    box.click()
    expect(box).to_have_attribute("data-state", "checked")


def _stored_times(data_dir: Path, prefix: str) -> tuple[datetime, datetime]:
    with closing(app_db(data_dir)) as db:
        row = db.execute(
            "SELECT created_at, last_used_at FROM apikey WHERE prefix = ?", (prefix,)
        ).fetchone()
    assert row is not None and row[1] is not None, row
    return datetime.fromisoformat(row[0]), datetime.fromisoformat(row[1])


def test_create_use_and_revoke_a_key(page, app_url, app_data_dir):  # noqa: ANN001
    sign_in(page, "admin")
    page.goto("/settings/api-keys")
    page.wait_for_selector("#new-api-key")
    wait_ready(page)
    page.click("#new-api-key")
    page.fill("#api-key-name", "E2E till")
    _check(page, "perm-members.read")
    _check(page, "perm-pii.view")
    _check(page, "api-key-all-stores")
    page.click("#api-key-save")
    token_box = page.locator("#api-key-token")
    expect(token_box).to_be_visible()
    token = token_box.inner_text().strip()
    assert token.startswith("bo_")
    prefix = "_".join(token.split("_")[:2])  # bo_<8 hex>; the secret may hold "_" too
    expect(page.locator(f"#revoke-{prefix}")).to_be_visible()
    shot(page, "api_key_created")

    # shown once: after reopening the page the token is nowhere on it
    page.goto("/settings/api-keys")
    page.wait_for_selector(f"#revoke-{prefix}")
    wait_ready(page)
    expect(page.locator("#api-key-token")).to_have_count(0)
    assert token not in page.content()

    with httpx.Client(base_url=app_url, headers={"Accept-Language": "en"}, timeout=30) as api:
        auth = {"Authorization": f"Bearer {token}"}
        first = api.get("/api/v1/members", params={"limit": 1}, headers=auth)
        assert first.status_code == 200, first.text
        member = first.json()["items"][0]
        phone = member["phone"]
        assert phone.isdigit() and "*" not in phone  # pii.view: the whole number
        found = api.get("/api/v1/members", params={"phone": phone}, headers=auth)
        assert found.status_code == 200, found.text
        assert [m["id"] for m in found.json()["items"]] == [member["id"]]
        assert api.get("/api/v1/members", params={"phone": phone}).status_code == 401

        # the key's use shows in the list; the admin revokes it there
        page.goto("/settings/api-keys")
        page.wait_for_selector(f"#revoke-{prefix}")
        wait_ready(page)
        row = page.locator(".api-key-row", has_text=prefix)
        expect(row).to_contain_text("E2E till")
        # created and last used, as the one formatter writes the stored instants
        created, last_used = _stored_times(app_data_dir, prefix)
        expect(row).to_contain_text(format_when(created, "zh-CN"))
        expect(row).to_contain_text(format_when(last_used, "zh-CN"))
        page.click(f"#revoke-{prefix}")
        expect(page.locator(f"#revoke-{prefix}")).to_have_count(0)
        expect(row).to_contain_text("已吊销")
        shot(page, "api_key_revoked")

        gone = api.get("/api/v1/members", params={"phone": phone}, headers=auth)
        assert gone.status_code == 401, gone.text
        assert gone.json()["error"]["code"] == "unauthorized"
        assert gone.headers["www-authenticate"] == "Bearer"
