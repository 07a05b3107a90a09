"""What the investigator's workspace asks beyond the entity pages (issue 19; docs/workspace-api.md): the link
chart (a node's neighbourhood, the path between two nodes), one search box, straw review decisions and the
corridor map. Handlers run in the worker threads: a walk or a fuzzy search can take tens of milliseconds, and the
first request of a masked caller builds its pseudonym index."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response

from api.routers import validation as v
from api.routers.common import ERRORS, Caller, Context
from api.services import corridor_map, link_chart, reviews, workspace_search
from api.services.path import DEFAULT_MAX_HOPS

router = APIRouter(prefix="/api/v1", tags=["workspace"], responses=ERRORS)

ChartLabel = Literal["Person", "Dealer", "Firearm", "Network", "Trace", "Place"]
_NODE_ID = r"^(Person|Dealer|Firearm|Trace|Place):\s*\S[\s\S]*$"


@router.get("/graph/neighbourhood", response_model=link_chart.LinkChart,
            summary="Link chart: the nodes and edges within depth relationships of a node (expand = depth 1)")
def neighbourhood(caller: Caller, ctx: Context, label: ChartLabel,
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
    if since is not None and until is not None and until < since:  # a rule the document cannot state: 422
        raise v.invalid(("query", "until"), "until is before since")
    return link_chart.neighbourhood(ctx, caller, label, key.strip(), depth=depth, limit=limit, since=since,
                                    until=until)


@router.get("/graph/paths", response_model=link_chart.LinkChart,
            summary="Link chart: the shortest path between two nodes (404 when there is none)")
def paths(caller: Caller, ctx: Context,
                from_: Annotated[str, Query(alias="from", min_length=3, max_length=300, pattern=_NODE_ID,
                                            description="<label>:<key>, e.g. Person:KEY")],
                to: Annotated[str, Query(min_length=3, max_length=300, pattern=_NODE_ID,
                                         description="<label>:<key>, e.g. Dealer:1-58-00001")],
                max_hops: Annotated[int, Query(ge=1, le=8)] = DEFAULT_MAX_HOPS) -> link_chart.LinkChart:
    return link_chart.find_path(ctx, caller, from_, to, max_hops=max_hops)


@router.get("/search", response_model=workspace_search.SearchResults,
            summary="Workspace search: persons (name, date of birth), dealers (license, name), firearms (serial, "
                    "damaged serial), trace ids, places; best first")
def search(caller: Caller, ctx: Context,
                 q: Annotated[str, Query(min_length=1, max_length=100, pattern=r"\S",
                                         description="what you have in hand")],
                 limit: Annotated[int, Query(ge=1, le=100)] = 20) -> workspace_search.SearchResults:
    return workspace_search.search(ctx, caller, q, limit=limit)


PersonKey = Annotated[str, Path(min_length=1, max_length=200, pattern=r"\S",
                                description="the person's key as the queue shows it (a pseudonym when masked)")]


@router.post("/straw-queue/{person_key}/reviews", response_model=reviews.ReviewOut, status_code=201,
             summary="Record a review decision on a straw-queue item (reviewed | escalated | dismissed, with a "
                     "reason); stored in the graph and audited")
def record_review(person_key: PersonKey, body: reviews.ReviewRequest, caller: Caller, ctx: Context,
                  request: Request) -> reviews.ReviewOut:
    return reviews.record(ctx, caller, person_key.strip(), body, audit=request.app.state.audit_writer.submit)


@router.get("/straw-queue/{person_key}/reviews", response_model=reviews.ReviewHistory,
            summary="The review decisions on a straw-queue item, newest first")
def list_reviews(person_key: PersonKey, caller: Caller, ctx: Context) -> reviews.ReviewHistory:
    return reviews.list_reviews(ctx, caller, person_key.strip())


SVG = "image/svg+xml"


@router.get("/corridors/map.svg", response_class=Response,
            responses={200: {"content": {SVG: {"schema": {"type": "string"}}},
                             "description": "the corridor map (self-contained SVG)"}},
            summary="The corridor map of the reports (strongest corridors as arrows, hub cities), one year or all")
def corridors_map(caller: Caller, ctx: Context,
                  year: Annotated[int | None, Query(ge=1900, le=2100, description="one year (default: every "
                                                                                  "year)")] = None) -> Response:
    return Response(corridor_map.corridor_map(ctx, caller, year=year), media_type=SVG,
                    headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})
