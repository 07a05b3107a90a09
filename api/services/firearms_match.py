"""``GET /api/v1/firearms/match``: candidates for a damaged serial, released by the caller's role and TLP.

The serial index (:class:`algorithms.serials.SerialIndex`) is built from the snapshot's Firearm table on the first
query and kept while that snapshot lives (a rebuilt snapshot gets a fresh index). Each candidate goes through the
same release policy as ``GET /firearms/{key}``: a firearm the caller may not receive is left out.
"""

from __future__ import annotations

import threading

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from algorithms.serials import SerialIndex, match
from api.security import Principal
from api.services.models import Out
from api.services.release import Release
from api.services.snapshot import ApiContext
from graph.errors import Forbidden


class FirearmMatchQuery(BaseModel):
    """What was read off the gun. ``serial``: letters/digits, ``?``/``_`` one unreadable character, ``*`` any."""

    model_config = ConfigDict(extra="forbid")  # query strings are text: ``top`` is parsed from it

    serial: str = Field(min_length=1, max_length=40,  # at least 2 readable characters (letters or digits)
                        pattern=r"^[?_*\- ./]*[A-Za-z0-9][?_*\- ./]*[A-Za-z0-9][A-Za-z0-9?_*\- ./]*$")
    manufacturer: str | None = Field(None, min_length=1, max_length=100)
    model: str | None = Field(None, min_length=1, max_length=100)
    caliber: str | None = Field(None, min_length=1, max_length=40)
    top: int = Field(10, ge=1, le=100)


class FirearmMatch(Out):
    rank: int
    firearm_key: str
    reference: str
    serial: str
    manufacturer: str | None
    model: str | None
    caliber: str | None
    score: float = Field(description="1.0 = every readable character matches; falls with the weighted distance")
    distance: float = Field(description="weighted edit distance plus model/caliber penalties")
    reason: str


class FirearmMatchOut(Out):
    query: str
    items: list[FirearmMatch]


class _IndexCache:
    """One index per snapshot Firearm table (identity-checked), built once under a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._table: pa.Table | None = None
        self._index: SerialIndex | None = None

    def get(self, table: pa.Table) -> SerialIndex:
        with self._lock:
            if self._index is None or self._table is not table:
                frame = table.select(["firearm_key", "serial_normalized", "manufacturer_normalized", "model",
                                      "caliber"]).to_pandas().rename(columns={"firearm_key": "key"})
                self._index, self._table = SerialIndex.build(frame), table
            return self._index


_CACHE = _IndexCache()


def match_firearms(context: ApiContext, principal: Principal, query: FirearmMatchQuery) -> FirearmMatchOut:
    release = Release(principal)
    if not release.visible("Firearm"):
        raise Forbidden(f"Firearm objects are not released at your clearance (TLP ceiling "
                        f"{release.clearance.ceiling})")
    firearms = context.snapshot.nodes["Firearm"]
    index = _CACHE.get(firearms.table)
    found = match(index, query.serial, manufacturer=query.manufacturer, model=query.model, caliber=query.caliber,
                  top=query.top)
    items: list[FirearmMatch] = []
    for candidate in found:
        node = firearms.get(candidate.key)
        if node is None or release.node("Firearm", node) is None:
            continue
        items.append(FirearmMatch(rank=len(items) + 1, firearm_key=candidate.key,
                                  reference=f"firearm:{candidate.key}", serial=candidate.serial,
                                  manufacturer=candidate.manufacturer, model=candidate.model,
                                  caliber=candidate.caliber, score=candidate.score, distance=candidate.distance,
                                  reason=candidate.reason))
    return FirearmMatchOut(query=query.serial, items=items)
