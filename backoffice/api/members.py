"""/api/v1/members: search with cursor and the member-list filters, get, create, edit,
freeze and unfreeze — through services/members (profiles, search, status) like the member pages."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from backoffice.api.calls import ApiCall, read_call, write_call
from backoffice.api.schemas import MemberIn, MemberOut, Page, StatusIn
from backoffice.services.loyalty.enrolment import enrol_member
from backoffice.services.members import profiles
from backoffice.services.members import search as member_search
from backoffice.services.members import status as member_status
from backoffice.services.members.profiles import MemberInput
from backoffice.services.members.search import MemberQuery
from backoffice.services.org.access import Actor

router = APIRouter(prefix="/members", tags=["members"])
MemberId = Annotated[int, Path(ge=1, le=2_147_483_647)]
Cursor = Annotated[str | None, Query(pattern=r"^[0-9]{1,10}$", description="next_cursor")]


def _out(row: member_search.MemberRow) -> dict[str, Any]:
    return MemberOut.model_validate(asdict(row)).model_dump(mode="json")


@router.get("", response_model=Page[MemberOut], summary="Search members (cursor pages)")
async def search(
    request: Request,
    q: Annotated[str, Query(max_length=100, description="name prefix, phone, member no")] = "",
    phone: Annotated[
        str, Query(max_length=30, description="exactly this phone number (any format)")
    ] = "",
    member_no: Annotated[str, Query(max_length=20, description="exactly this member number")] = "",
    store_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    status: Annotated[str, Query(max_length=20)] = "",
    tag: Annotated[str, Query(max_length=40)] = "",
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    call: ApiCall = Depends(read_call),
) -> dict[str, Any]:
    """Members in the key's scope, oldest first. Custom-field filters: `custom.<key>=value`.

    `phone` or `member_no` alone is the till's look-up: at most one member, found through
    the unique index (fast); with other filters it narrows the search like them."""
    custom = {
        k.removeprefix("custom."): v[:100]
        for k, v in request.query_params.items()
        if k.startswith("custom.") and len(k) <= 60
    }
    query = MemberQuery(
        q=q,
        store_id=store_id,
        status=status,
        tag=tag,
        custom=custom,
        phone=phone,
        member_no=member_no,
    )
    if (phone or member_no) and query in (
        MemberQuery(phone=phone),
        MemberQuery(member_no=member_no),
    ):
        found = await call.read_point(member_search.find_member, phone=phone, member_no=member_no)
        rows = [found] if found is not None and found.id > int(cursor or 0) else []
    else:
        rows = await run_in_threadpool(
            call.read, member_search.members_after, query, int(cursor or 0), limit
        )
    return {
        "items": [_out(r) for r in rows],
        "next_cursor": str(rows[-1].id) if len(rows) == limit else None,
    }


@router.get("/{member_id}", response_model=MemberOut, summary="One member")
async def get(member_id: MemberId, call: ApiCall = Depends(read_call)) -> dict[str, Any]:
    return _out(await call.read_point(member_search.get_member, member_id))  # by primary key


def _input(body: MemberIn) -> MemberInput:
    return MemberInput(**body.model_dump())


@router.post("", response_model=MemberOut, status_code=201, summary="Register a member")
def create(body: MemberIn, call: ApiCall = Depends(write_call)) -> Any:
    def work(session: Session, actor: Actor) -> dict[str, Any]:
        member = enrol_member(session, actor, _input(body), source="api")
        return _out(member_search.get_member(session, actor, member.id or 0))

    return call.write(work, 201)


@router.patch("/{member_id}", response_model=MemberOut, summary="Edit a member")
def update(member_id: MemberId, body: MemberIn, call: ApiCall = Depends(write_call)) -> Any:
    """Only the fields sent change; the rest keep their values."""
    sent = body.model_dump(exclude_unset=True)
    sent.pop("referrer_ref", None)  # a referral is given once, at registration

    def work(session: Session, actor: Actor) -> dict[str, Any]:
        current = profiles.get_member_for_edit(session, actor, member_id)
        merged = current.model_copy(update=sent)
        profiles.update_member(session, actor, member_id, merged)
        return _out(member_search.get_member(session, actor, member_id))

    return call.write(work)


def _status(member_id: int, action: str, body: StatusIn, call: ApiCall) -> Any:
    def work(session: Session, actor: Actor) -> dict[str, Any]:
        member_status.change_member_status(session, actor, member_id, action, body.reason)
        return _out(member_search.get_member(session, actor, member_id))

    return call.write(work)


@router.post("/{member_id}/freeze", response_model=MemberOut, summary="Freeze a member")
def freeze(member_id: MemberId, body: StatusIn, call: ApiCall = Depends(write_call)) -> Any:
    return _status(member_id, "freeze", body, call)


@router.post("/{member_id}/unfreeze", response_model=MemberOut, summary="Unfreeze a member")
def unfreeze(member_id: MemberId, body: StatusIn, call: ApiCall = Depends(write_call)) -> Any:
    return _status(member_id, "unfreeze", body, call)
