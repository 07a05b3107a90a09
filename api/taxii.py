"""TAXII 2.1 server under the API: discovery, one API root, one collection per TLP level, objects and manifest.

A collection serves what ``tracegraph export stix --tlp LEVEL`` produces for the caller's clearance (persons
masked with the caller's own pseudonym salt unless the role may see personal data). A caller whose clearance is
below a collection's level does not see it listed and gets 403 on it. Objects are ordered by ``date_added`` (the
object's ``modified``) then id; ``limit`` / ``next`` page through them (``next`` is an opaque offset). The
objects are built once per (level, clearance) and shared by every key, each caller's pseudonyms put in as its
pages are read (:mod:`api.taxii_collections`), until the API snapshot is rebuilt (``POST /api/v1/admin/snapshot``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse

from api.routers.common import ERRORS, Caller, Context
from api.security import Principal
from api.taxii_collections import CallerView, CollectionCache
from exports.canonical import TRACEGRAPH_NAMESPACE, uuid5_canonical
from exports.tlp import LEVELS, Level
from graph.errors import Forbidden, InvalidInput, NotFound

TAXII = "application/taxii+json;version=2.1"
STIX = "application/stix+json;version=2.1"
API_ROOT = "api1"
MAX_PAGE = 1000
COLLECTIONS: dict[str, Level] = {str(uuid5_canonical(TRACEGRAPH_NAMESPACE, {"taxii-collection": lvl})): lvl
                                 for lvl in LEVELS}

CollectionId = Annotated[str, Path(max_length=100, examples=sorted(COLLECTIONS),
                                   description="a collection id from the collections resource")]


class TaxiiResponse(JSONResponse):
    media_type = TAXII


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


_TAXII_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS, 406: {**ERRORS[400], "description": "Accept does not allow application/taxii+json;version=2.1"}}

router = APIRouter(prefix="/taxii2", tags=["taxii"], responses=_TAXII_ERRORS, default_response_class=TaxiiResponse,
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


def collection_objects(ctx: Any, caller: Principal, lvl: Level) -> Sequence[dict[str, Any]]:
    """The collection's objects as this caller sees them: built once per API snapshot, level and clearance, and
    shared by every key (:mod:`api.taxii_collections`; paging does not re-export)."""
    cache: CollectionCache = ctx.__dict__.setdefault("taxii_collections", CollectionCache())
    return CallerView(cache.get(ctx, lvl, caller.clearance, _added), caller.pseudonym_salt)


def _added(obj: dict[str, Any]) -> str:
    return str(obj.get("modified") or obj.get("created") or "1970-01-01T00:00:00.000Z")


def _filter(objects: Sequence[dict[str, Any]], added_after: str | None, types: str | None, ids: str | None,
            limit: int | None, next_: str | None) -> tuple[list[dict[str, Any]], bool, str | None]:
    if added_after:
        objects = [o for o in objects if _added(o) > added_after]
    if types:
        wanted = set(types.split(","))
        objects = [o for o in objects if o["type"] in wanted]
    if ids:
        wanted = set(ids.split(","))
        objects = [o for o in objects if o["id"] in wanted]
    try:
        start = int(next_ or 0)
    except ValueError:
        raise InvalidInput("next must be a value returned by this server") from None
    size = min(limit or MAX_PAGE, MAX_PAGE)
    page = list(objects[start:start + size])
    more = start + size < len(objects)
    return page, more, str(start + size) if more else None


def _page_headers(page: list[dict[str, Any]]) -> dict[str, str]:
    if not page:
        return {}
    return {"X-TAXII-Date-Added-First": _added(page[0]), "X-TAXII-Date-Added-Last": _added(page[-1])}


@router.get("/", summary="TAXII 2.1 discovery")
def discovery(caller: Caller) -> JSONResponse:
    return _reply({"title": "tracegraph TAXII 2.1", "description": "Firearms trafficking intelligence",
                   "default": f"/taxii2/{API_ROOT}/", "api_roots": [f"/taxii2/{API_ROOT}/"]})


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


Limit = Annotated[int | None, Query(ge=1, le=MAX_PAGE)]


Page = tuple[list[dict[str, Any]], bool, str | None]


def _page(collection_id: CollectionId, caller: Caller, ctx: Context,
          added_after: Annotated[str | None, Query(max_length=40)] = None,
          match_type: Annotated[str | None, Query(alias="match[type]", max_length=500)] = None,
          match_id: Annotated[str | None, Query(alias="match[id]", max_length=5000)] = None,
          limit: Limit = None, next_: Annotated[str | None, Query(alias="next", max_length=20)] = None) -> Page:
    """The TAXII filters shared by objects and manifest: one page of the caller's view of a collection."""
    lvl = _level(collection_id, caller)
    return _filter(collection_objects(ctx, caller, lvl), added_after, match_type, match_id, limit, next_)


Selected = Annotated[Page, Depends(_page)]


@router.get(f"/{API_ROOT}/collections/{{collection_id}}/objects/", summary="TAXII 2.1 objects (envelope)")
def objects(collection_id: CollectionId, selected: Selected) -> JSONResponse:
    page, more, token = selected
    body: dict[str, Any] = {"more": more, "objects": page}
    if token:
        body["next"] = token
    return _reply(body, _page_headers(page))


@router.get(f"/{API_ROOT}/collections/{{collection_id}}/manifest/", summary="TAXII 2.1 manifest")
def manifest(collection_id: CollectionId, selected: Selected) -> JSONResponse:
    page, more, token = selected
    entries = [{"id": o["id"], "date_added": _added(o), "version": _added(o), "media_type": STIX} for o in page]
    body: dict[str, Any] = {"more": more, "objects": entries}
    if token:
        body["next"] = token
    return _reply(body, _page_headers(page))
