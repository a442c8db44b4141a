"""/api/v1/counter/presentations: a POS serves another store's member presented in person.

The same rule as the till page (services/members/counter.py): the full phone number plus the
code on the member's card; audited, rate limited per key; then, for COUNTER_PASS_MINUTES,
the key may record sales, top-ups and redemptions for that member by id.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from backoffice.api.calls import ApiCall, write_call
from backoffice.services.members.counter import present_member
from backoffice.services.org.access import Actor
from backoffice.services.phones import mask_phone
from backoffice.settings import get_settings

router = APIRouter(prefix="/counter", tags=["counter"])


class PresentationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: Annotated[str, Field(min_length=1, max_length=40, description="the full number")]
    code: Annotated[
        str, Field(min_length=1, max_length=60, description="the card's QR text or 6 digits")
    ]


class PresentationOut(BaseModel):
    member_id: int
    member_no: str
    name: str
    phone: str  # masked
    pass_minutes: int


@router.post("/presentations", response_model=PresentationOut, status_code=201)
def present(body: PresentationIn, call: ApiCall = Depends(write_call)) -> Any:
    """Another store's member at this POS: 404 `presented` when phone and code do not
    match (or no such member), 429 when the key made too many attempts this hour."""

    def work(session: Session, actor: Actor) -> dict[str, Any]:
        member = present_member(session, actor, body.phone, body.code)
        return PresentationOut(
            member_id=member.id or 0,
            member_no=member.member_no,
            name=member.name,
            phone=mask_phone(member.phone),
            pass_minutes=get_settings().counter_pass_minutes,
        ).model_dump()

    return call.write(work, 201)
