"""Finding an entity by what a user has in hand, one function for ``tracegraph search`` and
``POST /api/v1/search``: a person by name (``LAST`` or ``LAST, FIRST``: last name exact, case-insensitive; first
name a prefix), a firearm by serial (normalised as the loaders do), a dealer by license number (full FFL number
or REGN-DIST-SEQN). Hits are ordered by their summary, then key; the first ``limit`` are returned."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from api.services.port import ReadPort
from graph.errors import InvalidInput
from loaders.domain.parsing import normalize_serial

Kind = Literal["name", "serial", "license"]
#: At most this many candidates are read per search (a common surname).
CANDIDATES = 1000


@dataclass(frozen=True)
class Hit:
    label: str
    key: str
    reference: str
    summary: str | None
    masked: bool = False  # the API's SearchHit field: search never returns masked persons (names need clearance)


def _summary(*parts: object, sep: str) -> str | None:
    return sep.join(str(p) for p in parts if p) or None


def search(port: ReadPort, kind: Kind, q: str, *, limit: int = 20) -> list[Hit]:
    """The hits for ``q`` (see the module docstring); InvalidInput for an empty serial or an unknown kind."""
    hits: list[Hit] = []
    if kind == "name":
        last, _, first = q.partition(",")
        first = first.strip().upper()
        for row in port.persons_named(last.strip().upper())[:CANDIDATES]:
            if first and not str(row.get("first_name") or "").strip().upper().startswith(first):
                continue
            hits.append(Hit("Person", row["person_key"], f"person:{row['person_key']}",
                            _summary(row.get("last_name"), row.get("first_name"), row.get("state"), sep=", ")))
    elif kind == "serial":
        serial = normalize_serial(q)
        if serial is None:
            raise InvalidInput("the serial number is empty or a placeholder")
        for row in port.firearms_with_serial(serial)[:CANDIDATES]:
            hits.append(Hit("Firearm", row["firearm_key"], f"firearm:{row['firearm_key']}",
                            _summary(row.get("manufacturer"), row.get("model"), row.get("caliber"), sep=" ")))
    elif kind == "license":
        try:
            found = port.dealer(q.strip().upper())
        except InvalidInput:
            found = None
        if found is not None:
            key, dealer = found
            hits.append(Hit("Dealer", key, f"dealer:{key}",
                            _summary(dealer.get("business_name") or dealer.get("license_name"),
                                     dealer.get("premise_city"), dealer.get("premise_state"), sep=" ")))
    else:
        raise InvalidInput(f"unknown search kind {kind!r}: use name, serial or license")
    hits.sort(key=lambda h: (h.summary or "", h.key))
    return hits[:limit]
