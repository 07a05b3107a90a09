"""Alerts and watchlists (issue 21): ``GET /api/v1/alerts``, ``GET /api/v1/watches``. The server reads the store
read-only (it shares the embedded file with its workers), so watches are added with ``tracegraph watch add``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.routers.common import ERRORS, Caller, Context
from api.services import alerts as service
from api.services import models as m

router = APIRouter(prefix="/api/v1", tags=["alerts"], responses=ERRORS)


@router.get("/alerts", response_model=m.AlertPage,
            summary="Alerts raised by incremental analyses (watched items and new-lead rules), newest first")
def alerts(caller: Caller, ctx: Context,
           rule: Annotated[str | None, Query(max_length=40, pattern="^[a-z_]+$",
                                             description="only this rule, e.g. watched_dealer")] = None,
           cursor: Annotated[str | None, Query(max_length=20, pattern="^[0-9]+$",
                                               description="next_cursor of the previous page")
                             ] = None,
           limit: Annotated[int, Query(ge=1, le=500)] = 50) -> m.AlertPage:
    return service.alerts(ctx, caller, rule=rule, cursor=cursor, limit=limit)


@router.get("/watches", response_model=m.WatchList, summary="The watchlist")
def watches(caller: Caller, ctx: Context) -> m.WatchList:
    return service.watches(ctx, caller)
