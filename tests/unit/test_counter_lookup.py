"""The till look-up (#18 item 1): own stores by phone, number or card; another store's member
only in person (full phone + the card's code), audited and rate limited per clerk."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from backoffice.errors import NotFound, PermissionDenied, RateLimited, ValidationFailed
from backoffice.models import AuditEntry, Member
from backoffice.models.base import utcnow
from backoffice.services.loyalty.sales import SaleInput, record_sale
from backoffice.services.members import counter
from backoffice.services.members.counter_codes import card_payload, code_matches, current_code
from backoffice.settings import get_settings
from tests.unit.foundation_fixtures import add_member


@pytest.fixture
def members(session, org):
    admin = org.actors["admin"]
    sh = add_member(session, admin, org.stores["SH01"], "13800001111", name="上海会员")
    gz = add_member(session, admin, org.stores["GZ01"], "13900002222", name="广州会员")
    session.commit()
    return sh, gz


def _refusals(session, actor) -> list[AuditEntry]:
    return list(
        session.exec(
            select(AuditEntry).where(
                AuditEntry.action.in_((counter.GRANTED, counter.REFUSED)),  # type: ignore[attr-defined]
                AuditEntry.actor_id == actor.staff_id,
            )
        ).all()
    )


def test_own_store_by_phone_number_and_card(session, org, members):
    sh, _gz = members
    clerk = org.actors["reception"]
    for ref in (
        "13800001111",
        sh.member_no,
        sh.member_no.lower(),
        card_payload(sh.member_no, sh.id),
    ):
        assert counter.find_member_at_counter(session, clerk, ref).id == sh.id
    assert _refusals(session, clerk) == []  # own members: no presentation, no audit row


@pytest.mark.parametrize("ref", ["13900002222", "GZ", "card"])
def test_other_store_by_phone_number_or_card_alone_is_not_found(session, org, members, ref):
    _sh, gz = members
    ref = {"GZ": gz.member_no, "card": card_payload(gz.member_no, gz.id)}.get(ref, ref)
    with pytest.raises(NotFound) as exc:
        counter.look_up(session, org.actors["reception"], ref)
    assert exc.value.message == "error.member_not_found"  # exactly like a number that is free
    with pytest.raises(NotFound) as free:
        counter.look_up(session, org.actors["reception"], "M99999999")
    assert (free.value.message, free.value.field) == (exc.value.message, exc.value.field)


def test_presented_in_person_is_served_audited_and_gets_a_pass(session, org, members):
    sh, gz = members
    clerk = org.actors["reception"]
    found = counter.look_up(session, clerk, "139 0000 2222", card_payload(gz.member_no, gz.id))
    assert found.id == gz.id
    row = session.exec(select(AuditEntry).where(AuditEntry.action == counter.GRANTED)).one()
    assert (row.actor_id, row.target_id, row.changes) == (
        clerk.staff_id,
        str(gz.id),
        {"phone_tail": "2222"},
    )
    # The pass: the sale that follows names the member by number, as the checkout does.
    sale = record_sale(
        session,
        clerk,
        SaleInput(member_ref=gz.member_no, store_id=org.stores["SH01"], amount_cents=1_000),
    )
    assert sale.member_id == gz.id
    # ... for this clerk only: another store's clerk has no pass for the same member.
    with pytest.raises(NotFound):
        counter.find_member_at_counter(session, org.actors["owner"], gz.member_no)


def test_six_digits_read_out_also_prove_presence(session, org, members):
    _sh, gz = members
    found = counter.look_up(session, org.actors["reception"], "13900002222", current_code(gz.id))
    assert found.id == gz.id


def test_wrong_code_another_members_card_or_old_code_is_refused_and_audited(session, org, members):
    sh, gz = members
    clerk = org.actors["reception"]
    stale = card_payload(gz.member_no, gz.id, at=utcnow() - timedelta(minutes=11))
    for code in ("000000", card_payload(sh.member_no, sh.id), stale):
        if code == "000000" and code_matches(gz.id, gz.member_no, code):
            continue  # one chance in a million that it is the right code now
        with pytest.raises(NotFound) as exc:
            counter.look_up(session, clerk, "13900002222", code)
        assert (exc.value.message, exc.value.field) == ("error.member_not_presented", "presented")
    refused = [r for r in _refusals(session, clerk) if r.action == counter.REFUSED]
    assert len(refused) == 3 and {r.target_id for r in refused} == {str(gz.id)}
    with pytest.raises(NotFound):  # no pass was granted by the refusals
        counter.find_member_at_counter(session, clerk, gz.member_no)


def test_presentation_needs_the_full_phone_number(session, org, members):
    _sh, gz = members
    with pytest.raises(ValidationFailed) as exc:
        counter.look_up(session, org.actors["reception"], "2222", current_code(gz.id))
    assert "member_ref" in exc.value.errors


def test_rate_limited_per_clerk_with_a_clear_error(session, org, members, monkeypatch):
    _sh, gz = members
    monkeypatch.setattr(get_settings(), "counter_presentations_per_hour", 3)
    clerk = org.actors["reception"]
    for _ in range(3):
        with pytest.raises(NotFound):
            counter.look_up(session, clerk, "13900002222", "M1:000001")
    with pytest.raises(RateLimited) as exc:  # even with the right code now
        counter.look_up(session, clerk, "13900002222", current_code(gz.id))
    assert (exc.value.message, exc.value.field, exc.value.params) == (
        "error.counter_rate_limited",
        "presented",
        {"limit": 3},
    )
    # Another clerk is not slowed by this one's attempts.
    other = org.actors["owner"]
    assert counter.look_up(session, other, "13900002222", current_code(gz.id)).id == gz.id


def test_a_role_without_counter_permissions_cannot_present(session, org, members):
    _sh, gz = members
    with pytest.raises(PermissionDenied):
        counter.look_up(session, org.actors["auditor"], "13900002222", current_code(gz.id))


def test_the_api_presents_then_serves_by_id(api, session):
    """Same rule in the REST API: an id of another store's member is not found until the
    key presents the member (full phone + card code); then the sale goes through."""
    gz = session.get(Member, api.members["gz"])
    sale = {"member_id": gz.id, "store_id": api.stores["SH01"], "amount_cents": 500}
    post = lambda path, body: api.client.post(path, json=body, headers=api.headers("sh"))  # noqa: E731
    assert post("/api/v1/sales", sale).status_code == 404
    wrong = post("/api/v1/counter/presentations", {"phone": "13900000002", "code": "M1:000001"})
    assert wrong.status_code == 404 and wrong.json()["error"]["field"] == "presented"
    body = {"phone": "+86 139 0000 0002", "code": card_payload(gz.member_no, gz.id)}
    r = post("/api/v1/counter/presentations", body)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["member_id"] == gz.id and out["member_no"] == gz.member_no
    assert out["phone"] == "139****0002"  # masked: the caller typed it, the API does not echo it
    assert post("/api/v1/sales", sale).status_code == 201
