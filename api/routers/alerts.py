"""Alerts and watchlists (issue 21): ``GET /api/v1/alerts``, ``GET|POST /api/v1/watches``,
``DELETE /api/v1/watches/{watch_id}`` (the service ``tracegraph watch`` uses: :mod:`api.services.watches`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

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


@router.post("/watches", response_model=m.WatchChange, status_code=201,
             summary="Watch an item (every role but partners; a person watch needs persons in full)")
def add_watch(caller: Caller, ctx: Context, body: m.WatchIn, request: Request) -> m.WatchChange:
    change = service.add_watch(ctx, caller, body)
    request.state.audit_targets = [f"watch:{change.watch.watch_id}"]  # type: ignore[attr-defined]
    return change


@router.delete("/watches/{watch_id}", response_model=m.WatchChange,
               summary="Stop watching (the watch and its alerts stay, inactive)")
def remove_watch(caller: Caller, ctx: Context,
                 watch_id: Annotated[str, Path(max_length=40, pattern="^watch-[0-9a-z-]+$")]) -> m.WatchChange:
    return service.remove_watch(ctx, caller, watch_id)
