"""TAXII 2.1 server under the API: discovery, one API root, one collection per TLP level; objects, one object,
its versions and the manifest.

A collection serves what ``tracegraph export stix --tlp LEVEL`` produces for the caller's clearance (persons
masked with the caller's own pseudonym salt unless the role may see personal data). A caller whose clearance is
below a collection's level does not see it listed and gets 403 on it. Each object version carries a real
``date_added``: when the graph learned it (the ``date_added`` the store stamps on nodes, see
:func:`exports.stix.to_stix_dated`), so a fact loaded today about a 2019 recovery reaches a poller whose cursor
predates the load. Objects are ordered by ``date_added`` then id; filters and paging are in
:mod:`exports.taxii_filters`. Errors on these routes are TAXII error messages (section 3.6.1) in the TAXII media
type. A collection is built once per TLP level and shared by every key (:mod:`api.taxii_collections`: each key's
pseudonyms are put in as its pages are served) until the API snapshot is rebuilt (``POST /api/v1/admin/snapshot``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api import taxii_collections
from api.routers.common import Caller, Context
from api.security import Principal
from api.taxii_collections import KeyView
from exports.canonical import TRACEGRAPH_NAMESPACE, uuid5_canonical
from exports.taxii_filters import MAX_PAGE, Entry, Filters, date_added_headers, page, parse_filters, select
from exports.tlp import LEVELS, Level
from graph.errors import Forbidden, NotFound

TAXII = "application/taxii+json;version=2.1"
STIX = "application/stix+json;version=2.1"
API_ROOT = "api1"
PREFIX = "/taxii2"
COLLECTIONS: dict[str, Level] = {str(uuid5_canonical(TRACEGRAPH_NAMESPACE, {"taxii-collection": lvl})): lvl
                                 for lvl in LEVELS}

CollectionId = Annotated[str, Path(max_length=100, examples=sorted(COLLECTIONS),
                                   description="a collection id from the collections resource")]
ObjectId = Annotated[str, Path(max_length=200, description="a STIX id, e.g. sighting--<uuid>")]


class TaxiiResponse(JSONResponse):
    media_type = TAXII


class TaxiiError(BaseModel):
    """TAXII 2.1 error message (section 3.6.1)."""

    title: str
    description: str | None = None
    http_status: str


def error_response(status: int, title: str, description: str | None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"title": title, "description": description, "http_status": str(status)}
    return TaxiiResponse({k: v for k, v in body.items() if v is not None}, status_code=status, headers=headers)


def is_taxii(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def accepts_taxii(request: Request) -> None:
    """TAXII 2.1 section 1.6.8: a request whose ``Accept`` rules out the TAXII media type is 406."""
    accept = request.headers.get("accept")
    if not accept:
        return
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        media = media.strip().lower()
        version = params.replace(" ", "").lower()
        if media in ("*/*", "application/*") or (
                media == "application/taxii+json" and ("version=" not in version or "version=2.1" in version)):
            return
    raise HTTPException(406, f"this TAXII server answers {TAXII} only")


_ERROR = {"model": TaxiiError, "content": {TAXII: {}}}
_TAXII_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {**_ERROR, "description": text} for status, text in (
        (400, "Invalid filter or paging value"), (401, "Authentication required"),
        (403, "Not cleared for the collection's TLP level"), (404, "No such collection or object"),
        (406, "Accept does not allow application/taxii+json;version=2.1"), (503, "Store unavailable"))}

router = APIRouter(prefix=PREFIX, tags=["taxii"], responses=_TAXII_ERRORS, default_response_class=TaxiiResponse,
                   dependencies=[Depends(accepts_taxii)])


def _reply(body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return TaxiiResponse(body, headers=headers)


def _collection_info(cid: str, lvl: Level) -> dict[str, Any]:
    return {"id": cid, "title": f"tracegraph TLP:{lvl.upper()}",
            "description": f"Everything tracegraph shares at TLP:{lvl.upper()}, filtered for the caller.",
            "can_read": True, "can_write": False, "media_types": [STIX]}


def _level(cid: str, caller: Principal) -> Level:
    lvl = COLLECTIONS.get(cid)
    if lvl is None:
        raise NotFound(f"no TAXII collection {cid}")
    if not caller.clearance.may_see(lvl):
        raise Forbidden(f"not cleared for collection TLP:{lvl.upper()}")
    return lvl


def collection_view(ctx: Any, caller: Principal, lvl: Level) -> KeyView:
    """The caller's view of the level's collection, built once per API snapshot and level for every key (paging
    does not re-export), ordered by ``date_added`` then id."""
    shared = taxii_collections.for_context(ctx).get(lvl, caller.clearance,
                                                    lambda: taxii_collections.scope_records(ctx))
    return shared.view(caller.pseudonym_salt)


@router.get("/", summary="TAXII 2.1 discovery")
def discovery(caller: Caller) -> JSONResponse:
    return _reply({"title": "tracegraph TAXII 2.1", "description": "Firearms trafficking intelligence",
                   "default": f"{PREFIX}/{API_ROOT}/", "api_roots": [f"{PREFIX}/{API_ROOT}/"]})


@router.get(f"/{API_ROOT}/", summary="TAXII 2.1 API root")
def api_root(caller: Caller) -> JSONResponse:
    return _reply({"title": "tracegraph", "versions": [TAXII], "max_content_length": 10_000_000})


@router.get(f"/{API_ROOT}/collections/", summary="TAXII 2.1 collections the caller may read")
def collections(caller: Caller) -> JSONResponse:
    return _reply({"collections": [_collection_info(cid, lvl) for cid, lvl in COLLECTIONS.items()
                                   if caller.clearance.may_see(lvl)]})


@router.get(f"/{API_ROOT}/collections/{{collection_id}}/", summary="One TAXII 2.1 collection")
def collection(collection_id: CollectionId, caller: Caller) -> JSONResponse:
    return _reply(_collection_info(collection_id, _level(collection_id, caller)))


# What these filters accept is all in the schema (patterns, a date-time format, a minimum), so a request the
# OpenAPI document allows is never refused; what it does not allow is a TAXII 400 (section 3.6.1: no 422).
_DAY = (r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
        r"|02-(?:0[1-9]|1[0-9]|2[0-8]))")
_YEAR = r"(?:1[0-9]{3}|[2-8][0-9]{3}|9[0-8][0-9]{2})"  # 1000-9899: no offset can push it out of range
_LEAP = r"(?:(?:1[0-9]|[2-8][0-9]|9[0-8])(?:0[48]|[2468][048]|[13579][26])|(?:1[26]|[2468][048]|[3579][26])00)"
_TS = (rf"(?:{_YEAR}-{_DAY}|{_LEAP}-02-29)[Tt](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
       r"(?:\.[0-9]{1,9})?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])")
_PART = r"[^,]*[^,\s][^,]*"  # one comma-separated value: not empty, not only spaces
_VERSION = rf"\s*(?:first|last|all|{_TS})\s*"
_SPEC = r"\s*2\.[01]\s*"
AddedAfter = Annotated[str | None, Query(max_length=40, pattern=f"^\\s*{_TS}\\s*$",
                                         json_schema_extra={"format": "date-time"},
                                         description="RFC 3339 timestamp; objects added after it")]
Limit = Annotated[int | None, Query(ge=1, description=f"page size; above {MAX_PAGE} the server sends {MAX_PAGE}")]
Next = Annotated[str | None, Query(alias="next", max_length=20, pattern="^[0-9]+$",
                                   description="the next value of the previous page")]
MatchType = Annotated[str | None, Query(alias="match[type]", max_length=500, pattern=f"^{_PART}(?:,{_PART})*$")]
MatchId = Annotated[str | None, Query(alias="match[id]", max_length=5000, pattern=f"^{_PART}(?:,{_PART})*$")]
MatchVersion = Annotated[str | None, Query(alias="match[version]", max_length=2000,
                                           pattern=f"^{_VERSION}(?:,{_VERSION})*$",
                                           description="first, last (default), all, or modified timestamps")]
MatchSpec = Annotated[str | None, Query(alias="match[spec_version]", max_length=20,
                                        pattern=f"^{_SPEC}(?:,{_SPEC})*$", description="2.0 and/or 2.1")]


def _collection_filters(added_after: AddedAfter = None, match_type: MatchType = None, match_id: MatchId = None,
                        match_version: MatchVersion = None, match_spec_version: MatchSpec = None,
                        limit: Limit = None, next_: Next = None) -> Filters:
    return parse_filters(added_after, match_type, match_id, match_version, match_spec_version, limit, next_)


def _object_filters(added_after: AddedAfter = None, match_version: MatchVersion = None,
                    match_spec_version: MatchSpec = None, limit: Limit = None, next_: Next = None) -> Filters:
    return parse_filters(added_after, None, None, match_version, match_spec_version, limit, next_)


def _versions_filters(added_after: AddedAfter = None, match_spec_version: MatchSpec = None, limit: Limit = None,
                      next_: Next = None) -> Filters:
    return parse_filters(added_after, None, None, "all", match_spec_version, limit, next_)


CollectionFilters = Annotated[Filters, Depends(_collection_filters)]


def released(request: Request, lvl: Level, objects: int) -> None:
    """Tell the audit middleware what this answer gives a partner (its dissemination record, 28 CFR 23.20(g))."""
    request.state.released = {"tlp": lvl, "objects": objects}


def _envelope(request: Request, lvl: Level, view: KeyView, chosen: list[Entry], filters: Filters) -> JSONResponse:
    chunk, more, token = page(chosen, filters)
    released(request, lvl, len(chunk))
    body: dict[str, Any] = {"more": more, "objects": [view.obj(e) for e in chunk]}
    if token:
        body["next"] = token
    return _reply(body, date_added_headers(chunk))


def _object(collection_id: str, object_id: str, caller: Principal, ctx: Any) -> tuple[KeyView, list[Entry]]:
    view = collection_view(ctx, caller, _level(collection_id, caller))
    wanted = view.template_id(object_id)
    versions = [e for e in view.entries if e.id == wanted]
    if not versions:
        raise NotFound(f"no object {object_id} in the collection")
    return view, versions


@router.get(f"/{API_ROOT}/collections/{{collection_id}}/objects/", summary="TAXII 2.1 objects (envelope)")
def objects(request: Request, collection_id: CollectionId, caller: Caller, ctx: Context,
            filters: CollectionFilters) -> JSONResponse:
    lvl = _level(collection_id, caller)
    view = collection_view(ctx, caller, lvl)
    return _envelope(request, lvl, view, view.select(filters), filters)


@router.get(f"/{API_ROOT}/collections/{{collection_id}}/objects/{{object_id}}/",
            summary="TAXII 2.1 one object (envelope of its versions)")
def one_object(request: Request, collection_id: CollectionId, object_id: ObjectId, caller: Caller, ctx: Context,
               filters: Annotated[Filters, Depends(_object_filters)]) -> JSONResponse:
    view, versions = _object(collection_id, object_id, caller, ctx)
    return _envelope(request, _level(collection_id, caller), view, select(versions, filters), filters)


@router.get(f"/{API_ROOT}/collections/{{collection_id}}/objects/{{object_id}}/versions/",
            summary="TAXII 2.1 versions of one object")
def object_versions(collection_id: CollectionId, object_id: ObjectId, caller: Caller, ctx: Context,
                    filters: Annotated[Filters, Depends(_versions_filters)]) -> JSONResponse:
    chosen = select(_object(collection_id, object_id, caller, ctx)[1], filters)
    chunk, more, token = page(sorted(chosen, key=lambda e: e.version), filters)
    body: dict[str, Any] = {"more": more, "versions": [e.version_text for e in chunk]}
    if token:
        body["next"] = token
    return _reply(body, date_added_headers(chunk))


@router.get(f"/{API_ROOT}/collections/{{collection_id}}/manifest/", summary="TAXII 2.1 manifest")
def manifest(request: Request, collection_id: CollectionId, caller: Caller, ctx: Context,
             filters: CollectionFilters) -> JSONResponse:
    lvl = _level(collection_id, caller)
    view = collection_view(ctx, caller, lvl)
    chunk, more, token = page(view.select(filters), filters)
    released(request, lvl, len(chunk))
    rows = [{"id": view.id(e), "date_added": e.added_text, "version": e.version_text, "media_type": STIX}
            for e in chunk]
    body: dict[str, Any] = {"more": more, "objects": rows}
    if token:
        body["next"] = token
    return _reply(body, date_added_headers(chunk))
