"""/api/v1 tiers, stores, workflow manual runs and the domain-event outbox."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse
from sqlmodel import Session

from backoffice.api.calls import ApiCall, read_call, write_call
from backoffice.api.schemas import EventOut, Page, RunStartedOut, StoreOut, TierOut
from backoffice.services import events
from backoffice.services.loyalty import tiers
from backoffice.services.org import stores
from backoffice.services.org.access import Actor
from backoffice.settings import get_settings
from backoffice.workflows.campaigns import lifecycle as workflows
from backoffice.workflows.campaigns.handoff import submit_runs

router = APIRouter()


@router.get("/tiers", response_model=list[TierOut], tags=["tiers"])
def list_tiers(call: ApiCall = Depends(read_call)) -> list[dict[str, Any]]:
    """The tier ladder, lowest first (the programme's shape is no secret to any key)."""
    rows = call.read(lambda session, actor: tiers.list_tiers(session, active_only=True))
    return [TierOut.model_validate(t).model_dump(mode="json") for t in rows]


@router.get("/stores", response_model=list[StoreOut], tags=["stores"])
def list_stores(call: ApiCall = Depends(read_call)) -> list[dict[str, Any]]:
    """Stores in the key's scope."""
    return [
        StoreOut.model_validate(s).model_dump(mode="json") for s in call.read(stores.visible_stores)
    ]


@router.get("/stores/{store_id}", response_model=StoreOut, tags=["stores"])
def get_store(
    store_id: Annotated[int, Path(ge=1, le=2_147_483_647)], call: ApiCall = Depends(read_call)
) -> dict[str, Any]:
    return StoreOut.model_validate(call.read(stores.get_store, store_id)).model_dump(mode="json")


@router.post(
    "/workflows/{workflow_id}/runs",
    response_model=RunStartedOut,
    status_code=201,
    tags=["workflows"],
)
def run_workflow(
    workflow_id: Annotated[int, Path(ge=1, le=2_147_483_647)],
    call: ApiCall = Depends(write_call),
) -> Any:
    """Start a published campaign with a manual trigger for its segment (members in scope)."""
    started: list[int] = []

    def work(session: Session, actor: Actor) -> dict[str, Any]:
        started.extend(workflows.run_now(session, actor, workflow_id))
        return {"workflow_id": workflow_id, "runs_started": len(started)}

    response: JSONResponse = call.write(work, 201)
    if started and get_settings().redis_url:  # a replay started nothing new
        submit_runs(started)
    return response


@router.get("/events", response_model=Page[EventOut], tags=["events"])
def list_events(
    cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,12}$")] = None,
    name: Annotated[str, Query(max_length=60, description="e.g. sale.recorded")] = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    call: ApiCall = Depends(read_call),
) -> dict[str, Any]:
    """Domain events of the key's stores in order; poll with the last `next_cursor`."""
    rows = call.read(events.events_after, int(cursor or 0), limit, name)
    return {
        "items": [EventOut.model_validate(e).model_dump(mode="json") for e in rows],
        "next_cursor": str(rows[-1].id) if rows else cursor,
    }
