"""One search box for the workspace (``GET /api/v1/search?q=``, issue 19): whatever the investigator has in hand.

What ``q`` is tried as, each giving hits with a relevance (1.0 = exact) and a ``detail`` saying why:

* a **person**: a date of birth (``YYYY-MM-DD`` or ``MM/DD/YYYY``), or a name: ``LAST``, ``LAST, FIRST`` or
  ``FIRST LAST``; the last name is matched fuzzily (Jaro-Winkler >= 0.88 over the distinct last names, as the
  identity resolver's typo rule, Winkler 1990), the first name by prefix, initial or Jaro-Winkler >= 0.85. Only
  for callers cleared for personal data (names are what is searched);
* a **dealer**: a license number (full, or ``REGN-DIST-SEQN``) or a part of its business or licence name;
* a **firearm**: a serial (normalised as the loaders do), then the damaged-serial matcher's candidates
  (:mod:`algorithms.serials`: ``?`` one unreadable character, ``*`` any);
* a **trace** by trace id; a **place** by city or state name, or a two-letter state code.

Every hit is released like a link-chart node (:func:`api.services.link_chart.chart_node`): a hit the caller may
not receive is left out, a masked person never comes from a name (names need clearance).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from typing import Any

from pydantic import Field
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from api.security import Principal
from api.services import firearms_match
from api.services.link_chart import SHOWN, chart_node
from api.services.models import Out
from api.services.release import Release
from api.services.snapshot import ApiContext, Snapshot
from graph.errors import InvalidInput
from loaders.domain.parsing import normalize_serial

LAST_NAME_SIMILARITY = 0.88
FIRST_NAME_SIMILARITY = 0.85
NAME_CANDIDATES = 30  # distinct last names kept per query
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$|^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ORDER = {"Person": 0, "Dealer": 1, "Firearm": 2, "Recovery": 3, "Location": 4, "Network": 5}


class SearchResult(Out):
    id: str = Field(description="<label>:<key>, as the link chart names nodes")
    label: str
    key: str
    caption: str
    score: float | None = Field(description="straw score (Person), anomaly score (Dealer), else null")
    detail: str = Field(description="why it matched")


class SearchResults(Out):
    results: list[SearchResult]


def _date(text: str) -> dt.date | None:
    found = _DATE.match(text)
    if not found:
        return None
    year, month, day = (found.group(1, 2, 3) if found.group(1) else
                        (found.group(6), found.group(4), found.group(5)))
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def _derived(snapshot: Snapshot, name: str, build: Any) -> Any:
    found = snapshot.derived.get(name)
    if found is None:
        with snapshot.derived_lock:
            found = snapshot.derived.get(name)
            if found is None:
                found = snapshot.derived[name] = build()
    return found


def _grouped(values: list[Any], transform: Any) -> dict[Any, list[int]]:
    groups: dict[Any, list[int]] = defaultdict(list)
    for position, value in enumerate(values):
        if value is not None and value != "":
            groups[transform(value)].append(position)
    return dict(groups)


def _first_agrees(wanted: str, first: str) -> float:
    if not wanted:
        return 1.0
    if not first:
        return 0.0
    if first.startswith(wanted) or (len(wanted) == 1 and first[0] == wanted):
        return 1.0
    similarity = JaroWinkler.normalized_similarity(wanted, first)
    return similarity if similarity >= FIRST_NAME_SIMILARITY else 0.0


def _persons(snapshot: Snapshot, text: str) -> list[tuple[float, str, str]]:
    table = snapshot.nodes["Person"]
    born = _date(text)
    if born is not None:
        dobs = _derived(snapshot, "search:dob", lambda: _grouped(table.table.column("dob").to_pylist(),
                                                                   lambda v: v.isoformat()[:10]))
        rows = table.take(dobs.get(born.isoformat(), []))
        return [(1.0, str(r["person_key"]), "date of birth") for r in rows]
    words = text.upper()
    if "," in words:
        last, _, first = words.partition(",")
        readings = [(last.strip(), first.strip())]
    else:
        tokens = words.split()
        readings = [(words.strip(), "")]
        if len(tokens) > 1:
            readings += [(tokens[-1], " ".join(tokens[:-1])), (tokens[0], " ".join(tokens[1:]))]
    names = _derived(snapshot, "search:last_names", lambda: list(snapshot.last_names))
    found: dict[str, tuple[float, str, str]] = {}
    for last, first in readings:
        if len(last) < 2:
            continue
        for name, similarity, _ in process.extract(last, names, scorer=JaroWinkler.normalized_similarity,
                                                   score_cutoff=LAST_NAME_SIMILARITY, limit=NAME_CANDIDATES):
            for row in table.take(snapshot.last_names[name]):
                agreement = _first_agrees(first.split()[0] if first else "",
                                          str(row.get("first_name") or "").strip().upper())
                if not agreement:
                    continue
                relevance = similarity * (0.5 + 0.5 * agreement) if first else similarity * 0.9
                detail = "name" if similarity == 1.0 else f"name (similar: {similarity:.2f})"
                key = str(row["person_key"])
                if key not in found or found[key][0] < relevance:
                    found[key] = (relevance, key, detail)
    return list(found.values())


def _dealers(snapshot: Snapshot, text: str) -> list[tuple[float, str, str]]:
    hits: list[tuple[float, str, str]] = []
    key = snapshot.licenses.get(text.upper())
    if key is None and snapshot.nodes["Dealer"].get(text.upper()) is not None:
        key = text.upper()
    if key is None:
        full = re.match(r"^(\d)-?(\d{2})-?\d{3}-?\d{2}-?[0-9A-Z]{2}-?(\d{5})$", text.upper())
        if full and snapshot.nodes["Dealer"].get(f"{full.group(1)}-{full.group(2)}-{full.group(3)}"):
            key = f"{full.group(1)}-{full.group(2)}-{full.group(3)}"
    if key is not None:
        hits.append((1.0, key, "license number"))
    if len(text) >= 3:
        def build() -> list[tuple[str, str]]:
            dealers = snapshot.nodes["Dealer"].table
            keys = dealers.column("dealer_key").to_pylist()
            names = [" / ".join(str(n) for n in pair if n) for pair in
                     zip(dealers.column("business_name").to_pylist(), dealers.column("license_name").to_pylist(),
                         strict=True)]
            return [(name.upper(), str(k)) for k, name in zip(keys, names, strict=True) if name]

        wanted = text.upper()
        for name, dealer_key in _derived(snapshot, "search:dealer_names", build):
            if wanted in name and dealer_key != key:
                hits.append((0.8 if name.startswith(wanted) else 0.7, dealer_key, "dealer name"))
    return hits


def _firearms(context: ApiContext, principal: Principal, text: str) -> list[tuple[float, str, str]]:
    snapshot = context.snapshot
    hits: list[tuple[float, str, str]] = []
    serial = normalize_serial(text)
    if serial is not None:
        table = snapshot.nodes["Firearm"]
        hits += [(1.0, str(row["firearm_key"]), "serial") for row in table.take(snapshot.serials.get(serial, []))]
    readable = re.sub(r"[^A-Za-z0-9]", "", text)
    if len(readable) >= 3 and any(c.isdigit() for c in readable) and len(text) <= 40:
        try:
            query = firearms_match.FirearmMatchQuery.model_validate({"serial": text, "top": 5})
        except ValueError:
            return hits
        exact = {key for _, key, _ in hits}
        try:
            candidates = firearms_match.match_firearms(context, principal, query).items
        except InvalidInput:  # not a pattern the matcher reads: the other kinds may still match
            return hits
        for candidate in candidates:
            if candidate.firearm_key not in exact:
                hits.append((0.6 * candidate.score, candidate.firearm_key, f"serial (damaged: {candidate.reason})"))
    return hits


def _places(snapshot: Snapshot, text: str) -> list[tuple[float, str, str]]:
    locations = snapshot.nodes["Location"]
    names = _derived(snapshot, "search:places", lambda: _grouped(locations.table.column("name").to_pylist(),
                                                                   lambda v: str(v).strip().upper()))
    hits = [(0.9, str(row["location_key"]), "place name") for row in locations.take(names.get(text.upper(), []))]
    if re.fullmatch(r"[A-Za-z]{2}", text) and locations.get(f"state:US-{text.upper()}") is not None:
        hits.append((0.95, f"state:US-{text.upper()}", "state code"))
    return hits


def search(context: ApiContext, principal: Principal, q: str, *, limit: int = 20) -> SearchResults:
    """The hits for ``q`` across persons, dealers, firearms, traces and places, best first, released."""
    snapshot = context.snapshot
    release = Release(principal)
    text = q.strip()
    candidates: list[tuple[float, str, str, str]] = []  # relevance, label, stored key, detail
    if release.full_persons:
        candidates += [(r, "Person", k, d) for r, k, d in _persons(snapshot, text)]
    if release.visible("Dealer"):
        candidates += [(r, "Dealer", k, d) for r, k, d in _dealers(snapshot, text)]
    if release.visible("Firearm"):
        candidates += [(r, "Firearm", k, d) for r, k, d in _firearms(context, principal, text)]
    if release.visible("Recovery"):
        for trace_id in dict.fromkeys((text, text.upper())):
            if snapshot.nodes["Recovery"].get(trace_id) is not None:
                candidates.append((1.0, "Recovery", trace_id, "trace id"))
    if release.visible("Location"):
        candidates += [(r, "Location", k, d) for r, k, d in _places(snapshot, text)]
    best: dict[tuple[str, str], tuple[float, str, str, str]] = {}
    for hit in candidates:
        known = best.get((hit[1], hit[2]))
        if known is None or known[0] < hit[0]:
            best[(hit[1], hit[2])] = hit
    results: list[SearchResult] = []
    for _relevance, label, key, detail in sorted(best.values(), key=lambda h: (-h[0], _ORDER[h[1]], h[2])):
        node = chart_node(snapshot, release, label, key)
        if node is None:
            continue
        results.append(SearchResult(id=node.id, label=SHOWN[label], key=node.key, caption=node.caption,
                                    score=node.score, detail=detail))
        if len(results) >= limit:
            break
    return SearchResults(results=results)
