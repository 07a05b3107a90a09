"""STIX 2.1 and GeoJSON exports of a scope: ``GET`` with query parameters or ``POST`` with the same fields as a
JSON body (a person key then stays out of URLs and proxy logs). Exports read the whole store once per snapshot,
so they run in the worker threads."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.routers import validation as v
from api.routers.common import ERRORS, Caller, Context
from api.services import exports
from api.services import models as m

STIX = "application/stix+json;version=2.1"
GEOJSON = "application/geo+json"

router = APIRouter(prefix="/api/v1/exports", tags=["exports"], responses=ERRORS)


class StixResponse(Response):
    media_type = STIX


class GeoJsonResponse(Response):
    media_type = GEOJSON


_OBJECT: dict[str, Any] = {"type": "object"}
_STIX_OK: dict[int | str, dict[str, Any]] = {200: {
    "description": "A STIX 2.1 bundle", "content": {STIX: {"schema": {
        "type": "object", "required": ["type", "id", "objects"],
        "properties": {"type": {"const": "bundle"}, "id": {"type": "string"},
                       "objects": {"type": "array", "items": _OBJECT}}}}}}}
_GEOJSON_OK: dict[int | str, dict[str, Any]] = {200: {
    "description": "An RFC 7946 FeatureCollection", "content": {GEOJSON: {"schema": {
        "type": "object", "required": ["type", "features"],
        "properties": {"type": {"const": "FeatureCollection"}, "features": {"type": "array", "items": _OBJECT}}}}}}}

# at most one of network, person, dealer: query parameters cannot say so in OpenAPI, so more is a 422
Network = Annotated[str | None, Query(min_length=1, max_length=200, description="a network id")]
Person = Annotated[str | None, Query(min_length=1, max_length=200, description="a person key")]
Dealer = Annotated[str | None, Query(min_length=1, max_length=200, description="a license number or dealer key")]
State = Annotated[str | None, Query(pattern="^[A-Z]{2}$", description="corridors touching this state, e.g. NY")]
Year = Annotated[int | None, Query(ge=1900, le=2100, description="corridors of this year")]
Level = Annotated[Literal["state", "city", "country"] | None, Query(description="corridors at this level")]
Tlp = Annotated[Literal["clear", "green", "amber", "amber+strict", "red"] | None,
                Query(description="the bundle's TLP (default: the caller's ceiling; above it is 403)")]
Layers = Annotated[list[Literal["corridors", "hubs", "dealers", "recoveries"]] | None,
                   Query(max_length=4, description="layers (default: corridors and hubs, those the caller is "
                                                  "cleared for; hubs and recoveries are TLP:AMBER)")]


def _released(request: Request, caller: Caller, tlp: str | None, objects: int) -> None:
    """What left, for the dissemination record of a partner's request (written by the audit middleware)."""
    request.state.released = {"tlp": tlp or caller.clearance.ceiling, "objects": objects}


@router.get("/stix", response_class=StixResponse, responses=_STIX_OK, summary="STIX 2.1 bundle of a scope")
def stix_get(request: Request, caller: Caller, ctx: Context, network: Network = None, person: Person = None,
             dealer: Dealer = None, state: State = None, year: Year = None, level: Level = None, tlp: Tlp = None
             ) -> StixResponse:
    scope = v.model(m.ExportScope, network=network, person=person, dealer=dealer, state=state, year=year,
                    level=level, tlp=tlp)
    data, objects = exports.stix_bundle(ctx, caller, scope)
    _released(request, caller, scope.tlp, objects)
    return StixResponse(data)


@router.post("/stix", response_class=StixResponse, responses=_STIX_OK, summary="STIX 2.1 bundle of a scope")
def stix_post(request: Request, body: m.ExportScope, caller: Caller, ctx: Context) -> StixResponse:
    data, objects = exports.stix_bundle(ctx, caller, body)
    _released(request, caller, body.tlp, objects)
    return StixResponse(data)


@router.get("/geojson", response_class=GeoJsonResponse, responses=_GEOJSON_OK,
            summary="GeoJSON (RFC 7946) layers of a scope")
def geojson_get(request: Request, caller: Caller, ctx: Context, network: Network = None, person: Person = None,
                dealer: Dealer = None, state: State = None, year: Year = None, level: Level = None,
                layers: Layers = None) -> GeoJsonResponse:
    scope = v.model(m.ExportScope, network=network, person=person, dealer=dealer, state=state, year=year,
                    level=level, tlp=None)
    data, features = exports.geojson(ctx, caller, scope, layers)
    _released(request, caller, None, features)
    return GeoJsonResponse(data)


@router.post("/geojson", response_class=GeoJsonResponse, responses=_GEOJSON_OK,
             summary="GeoJSON (RFC 7946) layers of a scope")
def geojson_post(request: Request, body: m.GeoJsonExport, caller: Caller, ctx: Context) -> GeoJsonResponse:
    data, features = exports.geojson(ctx, caller, body, body.layers)
    _released(request, caller, None, features)
    return GeoJsonResponse(data)
