"""Single entities and search.

Handlers are ``async``: each is a few dict probes and Arrow slices on the snapshot (well under a millisecond),
cheaper on the event loop than the hop to a worker thread and back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import PlainTextResponse

from api.routers.common import ERRORS, Caller, Context
from api.services import entities
from api.services import models as m
from exports.csv_safe import table_text

router = APIRouter(prefix="/api/v1", tags=["entities"], responses=ERRORS)

Key = Annotated[str, Path(min_length=1, max_length=200)]


@router.get("/firearms/{firearm_key}", response_model=m.FirearmOut, summary="A firearm and its trace chain")
async def firearm(firearm_key: Key, caller: Caller, ctx: Context) -> m.FirearmOut:
    return entities.get_firearm(ctx, caller, firearm_key)


@router.get("/persons/{person_key}", response_model=m.PersonOut, summary="A person and their network neighbourhood")
async def person(person_key: Key, caller: Caller, ctx: Context,
           depth: Annotated[int, Query(ge=1, le=3, description="relationships from the person")] = 2,
           limit: Annotated[int, Query(ge=1, le=1000, description="most nodes returned")] = 200) -> m.PersonOut:
    return entities.get_person(ctx, caller, person_key, depth, limit)


@router.get("/dealers/{dealer_key}", response_model=m.DealerOut,
            summary="A dealer profile: inspections, violations with policy context, scores and indicators")
async def dealer(dealer_key: Key, caller: Caller, ctx: Context) -> m.DealerOut:
    return entities.get_dealer(ctx, caller, dealer_key)


@router.get("/dealers/{dealer_key}/profile.csv", response_class=PlainTextResponse,
            responses={200: {"content": {"text/csv": {}}, "description": "one CSV row"}},
            summary="A dealer's transparency profile as CSV (verified_* and estimated_* columns)")
def dealer_profile_csv(dealer_key: Key, caller: Caller, ctx: Context) -> PlainTextResponse:
    row = entities.get_dealer_profile_row(ctx, caller, dealer_key)
    return PlainTextResponse(table_text(list(row), [row]), media_type="text/csv")


@router.get("/networks/{network_id}", response_model=m.NetworkOut, summary="A detected network and its members")
async def network(network_id: Key, caller: Caller, ctx: Context,
            limit: Annotated[int, Query(ge=1, le=1000, description="most members returned")] = 200) -> m.NetworkOut:
    return entities.get_network(ctx, caller, network_id, limit)


@router.post("/search", response_model=m.SearchOut, summary="Search by name, serial or license number")
async def search(body: m.SearchRequest, caller: Caller, ctx: Context) -> m.SearchOut:
    return entities.search(ctx, caller, body)
