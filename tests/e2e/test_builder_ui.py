"""The campaign builder in Chromium, used as a marketing manager would: drag nodes from the
palette, connect handles with the mouse, set each node up in the side panel, see and fix a
validation problem, test-run on a member, publish, then watch a real run arrive."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.e2e.conftest import shot, sign_in, wait_ready


def _node(page, node_id: str):  # noqa: ANN001, ANN202
    return page.locator(f'.react-flow__node[data-id="{node_id}"]')


def drop(page, node_type: str, x: int, y: int) -> None:  # noqa: ANN001
    """Drag a palette entry onto the canvas (HTML5 drag and drop, as a mouse does)."""
    before = page.locator(".react-flow__node").count()
    page.drag_and_drop(
        f'.bo-palette-item[data-type="{node_type}"]',
        ".react-flow__pane",
        target_position={"x": x, "y": y},
    )
    page.wait_for_function(
        f"() => document.querySelectorAll('.react-flow__node').length === {before + 1}"
    )


def connect(page, source: str, target: str, handle: str = "out") -> None:  # noqa: ANN001
    """Press on a node's output handle, drag, and release on another node's input handle.

    Node boxes grow when a problem line appears, so the handles are found afresh for each
    try; a person whose drag did not take simply drags again."""
    edges = page.locator(".react-flow__edge").count()
    start = _node(page, source).locator(f'.react-flow__handle.source[data-handleid="{handle}"]')
    end = _node(page, target).locator(".react-flow__handle.target")
    for _ in range(3):
        page.wait_for_timeout(400)  # let the last redraw settle
        start.hover()
        page.mouse.down()
        box = end.bounding_box()
        assert box
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] - 30, steps=8)
        end.hover()
        page.mouse.up()
        try:
            page.wait_for_function(
                f"() => document.querySelectorAll('.react-flow__edge').length === {edges + 1}",
                timeout=5000,
            )
            return
        except Exception:  # noqa: BLE001
            continue
    shot(page, f"builder-connect-{source}-{target}-failed")
    raise AssertionError(f"could not connect {source} to {target}")


def choose(page, trigger_id: str, option: str) -> None:  # noqa: ANN001
    page.click(trigger_id)
    page.get_by_role("option", name=option).click()


def settle(page, revision_before: str) -> str:  # noqa: ANN001
    """Wait for the server's answer to an edit (a new canvas revision)."""
    page.wait_for_function(
        f"() => document.querySelector('.bo-flow').dataset.revision !== '{revision_before}'"
    )
    return page.get_attribute(".bo-flow", "data-revision") or ""


def revision(page) -> str:  # noqa: ANN001
    return page.get_attribute(".bo-flow", "data-revision") or ""


ALL_NODES_IN_VIEW = """() => {
  const pane = document.querySelector('.react-flow').getBoundingClientRect();
  const nodes = [...document.querySelectorAll('.react-flow__node')];
  if (!nodes.length) return false;
  const rs = nodes.map((n) => n.getBoundingClientRect());
  const inside = rs.every((r) => r.left >= pane.left && r.right <= pane.right
    && r.top >= pane.top && r.bottom <= pane.bottom);
  // Fitted, not merely small enough: the drawing is centred in the pane.
  const mid = (Math.min(...rs.map((r) => r.left)) + Math.max(...rs.map((r) => r.right))) / 2;
  return inside && Math.abs(mid - (pane.left + pane.width / 2)) < 40;
}"""


def test_build_test_publish_and_watch_a_birthday_campaign(page):  # noqa: ANN001
    sign_in(page, "admin")
    page.goto("/workflows")
    page.wait_for_selector("#new-workflow")
    wait_ready(page)
    page.click("#new-workflow")
    page.fill("#new-workflow-name", "生日祝福（画布）")
    page.click("#create-workflow")
    page.wait_for_url(re.compile(r".*/workflows/edit/?\?id=\d+"))
    page.wait_for_selector(".bo-palette-item")
    wait_ready(page)
    assert page.locator(".react-flow__node").count() == 0

    # Trigger: birthday, 3 days before.
    rev = revision(page)
    drop(page, "trigger.birthday", 260, 60)
    rev = settle(page, rev)
    page.wait_for_selector("#cfg-days_before")
    assert page.inner_text("#panel-title") == "生日"
    page.fill("#cfg-days_before", "99")  # out of range: an inline error, nothing saved
    page.click("#apply-config")
    page.wait_for_selector("#node-panel .field-error")
    assert "0 到 60" in page.inner_text("#node-panel")
    page.fill("#cfg-days_before", "3")
    page.click("#apply-config")
    rev = settle(page, rev)
    expect(_node(page, "t1")).to_contain_text("生日前 3 天")

    # Action: a birthday coupon.
    drop(page, "action.issue_coupon", 260, 240)
    rev = settle(page, rev)
    page.wait_for_selector("#cfg-template_id")
    choose(page, "#cfg-template_id", "生日赠送护理")
    page.click("#apply-config")
    rev = settle(page, rev)
    expect(_node(page, "a1")).to_contain_text("生日赠送护理")

    # Action: the greeting, written right here, dropped but not yet connected.
    drop(page, "action.send_message", 260, 420)
    rev = settle(page, rev)
    page.wait_for_selector("#cfg-template_id")
    page.click("#new-message")
    page.fill("#msg-name", "画布生日祝福")
    page.fill("#msg-body", "{{member.nickname}}，生日快乐！")  # no such variable
    page.click("#save-message")
    page.wait_for_selector("#msg-body ~ .field-error, .rt-DialogContent .field-error")
    assert "member.nickname" in page.inner_text(".rt-DialogContent")
    page.fill(
        "#msg-body", "亲爱的{{member.name}}，生日快乐！生日券 {{coupon.code}} 已放入您的账户。"
    )
    page.click("#save-message")
    rev = settle(page, rev)
    expect(_node(page, "a2")).to_contain_text("画布生日祝福")

    connect(page, "t1", "a1")
    rev = settle(page, rev)
    # The unconnected message is flagged on its node and in the list; Publish is off.
    page.wait_for_selector('.react-flow__node[data-id="a2"] .bo-node-problems')
    expect(_node(page, "a2")).to_contain_text("没有连接")
    assert "没有连接" in page.inner_text("#problems")
    assert page.is_disabled("#publish")
    shot(page, "builder-problem")

    connect(page, "a1", "a2")
    rev = settle(page, rev)
    page.wait_for_selector("#no-problems")
    expect(page.locator(".bo-node-problems")).to_have_count(0)
    assert page.is_enabled("#publish")

    # Undo takes the last connection away again; redo puts it back.
    page.click("#undo")
    rev = settle(page, rev)
    page.wait_for_selector("#problems")
    page.click("#redo")
    rev = settle(page, rev)
    page.wait_for_selector("#no-problems")
    page.click("#tidy")
    rev = settle(page, rev)
    page.wait_for_function(ALL_NODES_IN_VIEW, timeout=10_000)  # laid out, then fitted
    shot(page, "builder-canvas")

    # Test run on a demo member: the path lights up and the message is shown, nothing sent.
    page.click("#open-test")
    page.fill("#test-query", "M00000001")
    page.click("#test-search")
    page.click(".test-candidate >> nth=0")
    page.wait_for_selector(".test-result")
    result = page.inner_text(".test-result")
    assert "生日 → 发放优惠券 → 发送消息" in result
    assert "生日快乐" in page.inner_text(".test-message")
    rev = revision(page)
    page.click("#close-test")
    page.wait_for_selector(".bo-node-hit")
    expect(page.locator(".bo-node-hit")).to_have_count(3)
    shot(page, "builder-test-path")

    # Publish, with the confirmation.
    page.click("#publish")
    page.wait_for_selector("#publish-count")
    assert "触发" in page.inner_text("#publish-count")
    page.click("#confirm-publish")
    page.wait_for_function("() => document.querySelector('#wf-status').innerText === '已发布'")
    builder_url = page.url

    # A member whose birthday is in 3 days joins; the worker's minute tick starts their run.
    birthday = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=3)).date()
    page.goto("/member/new")
    page.wait_for_selector("#member-name")
    wait_ready(page)
    page.fill("#member-name", "画布寿星")
    page.fill("#member-phone", "13912345678")
    # 1992 is a leap year: a birthday on 29 February exists in it too.
    page.fill("#member-birthday", birthday.replace(year=1992).isoformat())
    page.click("#member-save")
    page.wait_for_url("**/member?id=*")
    member_id = page.url.rsplit("=", 1)[1]

    page.goto(builder_url)
    page.wait_for_selector(".react-flow__node")
    wait_ready(page)
    # Opened from a link, the saved flow is fitted into view once its nodes are measured.
    page.wait_for_function(ALL_NODES_IN_VIEW, timeout=10_000)
    page.click("#tab-runs")
    found = False
    for _ in range(50):  # the tick runs every minute
        page.click("#refresh-runs")
        page.wait_for_timeout(2500)
        rows = page.locator(".run-row").all_inner_texts()
        if any(member_id in r and "已完成" in r for r in rows):
            found = True
            break
    assert found, "no completed run for the new member"
    row = page.locator(".run-row", has_text=member_id).first
    row.locator(".run-link").click()
    page.wait_for_selector(".step-row")
    steps = page.inner_text("#run-detail")
    assert "发放优惠券" in steps and "发送消息" in steps and "succeeded" in steps
    page.wait_for_selector(".bo-node-counts")
    expect(_node(page, "a2")).to_contain_text("✓")
    shot(page, "builder-runs")


def test_franchise_owner_cannot_open_or_list_another_stores_workflow(page):  # noqa: ANN001
    sign_in(page, "owner")
    page.goto("/workflows")
    page.wait_for_selector("#workflow-table")
    wait_ready(page)
    listed = page.locator(".wf-row").all_inner_texts()
    assert not any("生日祝福送护理" in r for r in listed)  # head office's demo campaign
    # Opening HQ's campaign by id sends the owner back to their own list.
    page.goto("/workflows/edit?id=1")
    page.wait_for_url(re.compile(r".*/workflows/?$"))
    assert page.locator(".react-flow__node").count() == 0
    shot(page, "builder-owner-list")


def test_auditor_sees_the_canvas_read_only(page):  # noqa: ANN001
    sign_in(page, "auditor")
    page.goto("/workflows/edit?id=1")
    page.wait_for_selector(".react-flow__node")
    wait_ready(page)
    assert page.is_visible("#read-only")
    assert page.locator(".bo-palette-item").count() == 0
    assert page.locator("#publish").count() == 0
