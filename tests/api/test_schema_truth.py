"""Schema truthfulness (issue 23): what the OpenAPI document allows is accepted; what it rules out, or a rule it
cannot state, is a 422 on ``/api/v1`` (a TAXII 400 under ``/taxii2``, which has no 422); and the rules a schema
can state are in the document."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from api.taxii import COLLECTIONS, TAXII
from tests.api.conftest import Keys, auth

AMBER = next(cid for cid, lvl in COLLECTIONS.items() if lvl == "amber")


def _schema(client: TestClient) -> dict[str, Any]:
    doc: dict[str, Any] = client.get("/openapi.json").json()
    return doc


def _param(doc: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    for param in doc["paths"][path]["get"]["parameters"]:
        if param["name"] == name:
            schema: dict[str, Any] = param["schema"]
            return {**schema, **schema.get("anyOf", [{}])[0]}  # the string branch of an optional one
    raise AssertionError(f"{path} has no parameter {name}")


def test_a_whole_number_written_as_a_float_is_that_integer(client: TestClient, keys: Keys) -> None:
    headers = auth(keys.investigator)
    got = client.post("/api/v1/search", json={"kind": "name", "q": "STRAWMAN", "limit": 26.0}, headers=headers)
    assert got.status_code == 200, got.text
    for limit in (26.5, "26", True):
        assert client.post("/api/v1/search", json={"kind": "name", "q": "X", "limit": limit},
                           headers=headers).status_code == 422
    assert client.post("/api/v1/exports/stix", json={"year": 2017.0}, headers=headers).status_code == 200


def test_rules_the_schema_cannot_state_are_422_not_400(client: TestClient, keys: Keys) -> None:
    headers = auth(keys.investigator)
    for url in ("/api/v1/corridors?year=2017&years=2016", "/api/v1/corridors?years=2017-2016",
                "/api/v1/networks?cursor=bm9wZQ", "/api/v1/dealer-anomalies?cursor=%7B%7D",
                "/api/v1/exports/geojson?person=P-STRAW&dealer=1-58-00001"):
        got = client.get(url, headers=headers)
        assert got.status_code == 422, (url, got.text)
        assert got.headers["content-type"] == "application/problem+json"
    placeholder = client.post("/api/v1/search", json={"kind": "serial", "q": "UNKNOWN"}, headers=headers)
    assert placeholder.status_code == 422
    assert client.get("/api/v1/corridors?years=2016-2017", headers=headers).status_code == 200


def test_the_rules_a_schema_can_state_are_in_the_document(client: TestClient) -> None:
    doc = _schema(client)
    body = doc["components"]["schemas"]["ExportScope"]
    year = body["properties"]["year"]["anyOf"][0]
    assert (year["minimum"], year["maximum"]) == (1900, 2100)  # bounds the generator sees, not raw ge/le
    assert {frozenset(b["required"]) for b in body["not"]["anyOf"]} == {
        frozenset({"network", "person"}), frozenset({"network", "dealer"}), frozenset({"person", "dealer"})}
    assert "pattern" in _param(doc, "/api/v1/paths", "source")
    assert "pattern" in _param(doc, "/api/v1/corridors", "into")
    assert "pattern" in _param(doc, "/api/v1/firearms/match", "serial")
    taxii = "/taxii2/api1/collections/{collection_id}/objects/"
    added = _param(doc, taxii, "added_after")
    assert added["format"] == "date-time" and "pattern" in added
    assert "pattern" in _param(doc, taxii, "match[spec_version]")
    assert _param(doc, taxii, "limit")["minimum"] == 1


def test_taxii_filters_outside_the_schema_are_taxii_400s_and_never_500(client: TestClient, keys: Keys) -> None:
    headers = {**auth(keys.investigator), "Accept": TAXII}
    url = f"/taxii2/api1/collections/{AMBER}/objects/"
    for params in ({"added_after": "9999-99-99"}, {"added_after": "}) RETURN n //"},
                   {"added_after": "2026-02-30T00:00:00Z"},
                   {"added_after": "0001-01-01T00:00:00+01:00"},  # out of range once moved to UTC: was a 500
                   {"match[version]": "0001-01-01T00:00:00+01:00"}, {"match[spec_version]": "2.2"},
                   {"limit": "0"}, {"next": "x"}, {"match[type]": "indicator,,note"}):
        got = client.get(url, params=params, headers=headers)
        assert got.status_code == 400, (params, got.text)
        assert got.headers["content-type"].startswith("application/taxii+json")
    fine = client.get(url, params={"added_after": "2000-01-01T00:00:00+01:00", "match[spec_version]": "2.1",
                                   "match[version]": "first, last", "limit": "5", "next": "0"}, headers=headers)
    assert fine.status_code == 200, fine.text


def test_a_timestamp_moved_out_of_range_by_its_offset_is_invalid_input_not_a_crash() -> None:
    import pytest

    from exports.taxii_filters import parse_timestamp
    from graph.errors import InvalidInput

    for text in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):  # OverflowError before
        with pytest.raises(InvalidInput):
            parse_timestamp(text)
