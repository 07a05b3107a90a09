"""What the investigator's workspace asks beyond the entity pages (issue 19; docs/workspace-api.md): the link
chart (a node's neighbourhood, the path between two nodes)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.routers.common import ERRORS, Caller, Context
from api.services import link_chart, workspace_search
from api.services.path import DEFAULT_MAX_HOPS

router = APIRouter(prefix="/api/v1", tags=["workspace"], responses=ERRORS)

ChartLabel = Literal["Person", "Dealer", "Firearm", "Network", "Trace", "Place"]
_NODE_ID = r"^(Person|Dealer|Firearm|Trace|Place):\s*\S[\s\S]*$"


@router.get("/graph/neighbourhood", response_model=link_chart.LinkChart,
            summary="Link chart: the nodes and edges within depth relationships of a node (expand = depth 1)")
async def neighbourhood(caller: Caller, ctx: Context, label: ChartLabel,
                        key: Annotated[str, Query(min_length=1, max_length=300, pattern=r"\S",
                                                  description="the key as released (a masked person's "
                                                              "pseudonym)")],
                        depth: Annotated[int, Query(ge=1, le=3)] = 1,
                        limit: Annotated[int, Query(ge=1, le=2000, description="most nodes returned")] = 300,
                        since: Annotated[dt.date | None, Query(description="drop dated edges before this "
                                                                           "day")] = None,
                        until: Annotated[dt.date | None, Query(description="drop dated edges after this "
                                                                           "day")] = None,
                        ) -> link_chart.LinkChart:
    return link_chart.neighbourhood(ctx, caller, label, key.strip(), depth=depth, limit=limit, since=since,
                                    until=until)


@router.get("/graph/paths", response_model=link_chart.LinkChart,
            summary="Link chart: the shortest path between two nodes (404 when there is none)")
async def paths(caller: Caller, ctx: Context,
                from_: Annotated[str, Query(alias="from", min_length=3, max_length=300, pattern=_NODE_ID,
                                            description="<label>:<key>, e.g. Person:KEY")],
                to: Annotated[str, Query(min_length=3, max_length=300, pattern=_NODE_ID,
                                         description="<label>:<key>, e.g. Dealer:1-58-00001")],
                max_hops: Annotated[int, Query(ge=1, le=8)] = DEFAULT_MAX_HOPS) -> link_chart.LinkChart:
    return link_chart.find_path(ctx, caller, from_, to, max_hops=max_hops)


@router.get("/search", response_model=workspace_search.SearchResults,
            summary="Workspace search: persons (name, date of birth), dealers (license, name), firearms (serial, "
                    "damaged serial), trace ids, places; best first")
async def search(caller: Caller, ctx: Context,
                 q: Annotated[str, Query(min_length=1, max_length=100, pattern=r"\S",
                                         description="what you have in hand")],
                 limit: Annotated[int, Query(ge=1, le=100)] = 20) -> workspace_search.SearchResults:
    return workspace_search.search(ctx, caller, q, limit=limit)
