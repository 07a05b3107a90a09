"""Damaged-serial matching. Registered before the entities router so ``/firearms/match`` is not read as a key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.routers.common import ERRORS, Caller, Context
from api.services import firearms_match as service

router = APIRouter(prefix="/api/v1", tags=["firearms"], responses=ERRORS)


@router.get("/firearms/match", response_model=service.FirearmMatchOut,
            summary="Candidates for a partial or partly obliterated serial, ranked with the reason")
def firearms_match(query: Annotated[service.FirearmMatchQuery, Query()], caller: Caller,
                   ctx: Context) -> service.FirearmMatchOut:
    return service.match_firearms(ctx, caller, query)
