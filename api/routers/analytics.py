"""Ranked lists, corridors and paths (``async`` where the work is bounded and small; corridors read a whole
table and stay in the worker threads)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AfterValidator

from api.routers import validation as v
from api.routers.common import ERRORS, Caller, Context
from api.services import graph_views, lists
from api.services import models as m
from api.services.path import DEFAULT_MAX_HOPS

router = APIRouter(prefix="/api/v1", tags=["analytics"], responses=ERRORS)

Cursor = Annotated[str | None, Query(max_length=1000, description="next_cursor of the previous page (another "
                                                                "value is a 422)"), AfterValidator(v.cursor)]
Limit = Annotated[int, Query(ge=1, le=500)]
State = Annotated[str | None, Query(min_length=2, max_length=2, pattern="^[A-Z]{2}$", description="e.g. NY")]


@router.get("/straw-queue", response_model=m.StrawPage, summary="Straw-purchaser review queue, highest score first")
async def straw_queue(caller: Caller, ctx: Context, state: State = None,
                min_score: Annotated[float | None, Query(ge=0, allow_inf_nan=False)] = None,
                network_id: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
                cursor: Cursor = None, limit: Limit = 50) -> m.StrawPage:
    return lists.straw_queue(ctx, caller, state=state, min_score=min_score, network_id=network_id, cursor=cursor,
                             limit=limit)


@router.get("/networks", response_model=m.NetworkPage,
            summary="Networks worth reviewing (minimum evidence rule), highest score first, each with its reason")
async def networks(caller: Caller, ctx: Context,
                   all_networks: Annotated[bool, Query(alias="all", description="every detected network, not only "
                                                                             "the reviewable ones")] = False,
                   min_score: Annotated[float | None, Query(allow_inf_nan=False)] = None,
                   cursor: Cursor = None, limit: Limit = 50) -> m.NetworkPage:
    return lists.networks(ctx, caller, everything=all_networks, min_score=min_score, cursor=cursor, limit=limit)


@router.get("/dealer-anomalies", response_model=m.AnomalyPage, summary="Dealers by anomaly score, highest first")
async def dealer_anomalies(caller: Caller, ctx: Context, state: State = None,
                     min_score: Annotated[float | None, Query(allow_inf_nan=False)] = None,
                     cursor: Cursor = None, limit: Limit = 50) -> m.AnomalyPage:
    return lists.dealer_anomalies(ctx, caller, state=state, min_score=min_score, cursor=cursor, limit=limit)


@router.get("/corridors", response_model=m.CorridorList,
            summary="Trafficking corridors (FLOW) ranked by significance; the same ranking as `tracegraph corridors`")
def corridors(caller: Caller, ctx: Context,
              into: Annotated[str | None, Query(max_length=300, pattern=v.PLACES,
                                                description="recovered in these states, e.g. NY,NJ")] = None,
              from_: Annotated[str | None, Query(alias="from", max_length=300, pattern=v.PLACES,
                                                 description="sourced from these states, e.g. GA,VA")] = None,
              year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
              years: Annotated[str | None, Query(max_length=9, pattern=v.YEARS,
                                                 description="a range, e.g. 2010-2017 (not with year)")] = None,
              basis: Annotated[str | None, Query(max_length=80, pattern=v.BASIS,
                                                 description="traces | atf_table | table:NAME (default: every "
                                                             "basis, labelled)")] = None,
              level: Annotated[str, Query(pattern="^(state|city|country)$")] = "state",
              top: Annotated[int, Query(ge=1, le=1000)] = 25) -> m.CorridorList:
    v.years(year, years)
    return lists.corridors(ctx, caller, into=into, from_places=from_, year=year, years=years, basis=basis,
                           level=level, top=top)


@router.get("/paths", response_model=m.PathOut, summary="Shortest path between two entity references")
async def paths(caller: Caller, ctx: Context,
          source: Annotated[str, Query(min_length=3, max_length=300, pattern=v.REFERENCE,
                                       description="e.g. person:KEY")],
          target: Annotated[str, Query(min_length=3, max_length=300, pattern=v.REFERENCE,
                                       description="e.g. dealer:1-54-12345")],
          max_hops: Annotated[int, Query(ge=1, le=8)] = DEFAULT_MAX_HOPS,
          types: Annotated[list[v.PathType] | None, Query(description="relationship types to follow")] = None,
          since: Annotated[dt.date | None, Query(description="ignore dated relationships before this day")] = None,
          ) -> m.PathOut:
    return graph_views.find_path(ctx, caller, source, target, max_hops=max_hops,
                                 types=list(types) if types is not None else None, since=since)
