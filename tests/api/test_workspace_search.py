"""GET /search for the workspace (issue 19): one box across persons, dealers, firearms, traces and places."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Keys, auth

SEARCH = "/api/v1/search"


def hits(client: TestClient, key: str, q: str, **params: object) -> list[dict[str, object]]:
    answer = client.get(SEARCH, params={"q": q, **params}, headers=auth(key))
    assert answer.status_code == 200, answer.text
    return list(answer.json()["results"])


def first(client: TestClient, key: str, q: str) -> tuple[object, object]:
    found = hits(client, key, q)
    assert found, q
    return found[0]["id"], found[0]["detail"]


def test_each_kind_of_thing_in_hand(client: TestClient, keys: Keys) -> None:
    inv = keys.investigator
    assert first(client, inv, "DOE") == ("Person:P-STRAW", "name")
    assert first(client, inv, "Jane Doe") == ("Person:P-STRAW", "name")
    assert first(client, inv, "doe, j") == ("Person:P-STRAW", "name")
    assert first(client, inv, "1990-01-02") == ("Person:P-STRAW", "date of birth")
    assert first(client, inv, "01/02/1990") == ("Person:P-STRAW", "date of birth")
    assert first(client, inv, "1-58-121-01-5A-00001") == ("Dealer:1-58-00001", "license number")
    assert first(client, inv, "1-58-00001") == ("Dealer:1-58-00001", "license number")
    assert first(client, inv, "peach") == ("Dealer:1-58-00001", "dealer name")
    assert first(client, inv, "abc-123") == ("Firearm:GLOCK|ABC123|P", "serial")
    damaged = first(client, inv, "AB?123")
    assert damaged[0] == "Firearm:GLOCK|ABC123|P" and "damaged" in str(damaged[1])
    assert first(client, inv, "T1") == ("Trace:T1", "trace id")
    assert first(client, inv, "NY") == ("Place:state:US-NY", "state code")
    assert {h["id"] for h in hits(client, inv, "new york")} == {"Place:city:US-NY:NEW YORK", "Place:state:US-NY"}


def test_fuzzy_names_and_result_shape(client: TestClient, keys: Keys) -> None:
    found = hits(client, keys.investigator, "SMIHT, A12")  # a typo in the last name
    assert found[0]["id"] == "Person:P-012"
    assert str(found[0]["detail"]).startswith("name (similar")
    assert set(found[0]) == {"id", "label", "key", "caption", "score", "detail"}
    assert found[0]["caption"] == "SMITH, A12" and isinstance(found[0]["score"], float)
    assert len(hits(client, keys.investigator, "SMITH", limit=5)) == 5
    assert hits(client, keys.investigator, "zzzzqqq") == []


def test_partner_never_finds_persons(client: TestClient, keys: Keys) -> None:
    for key in (keys.partner_amber, keys.partner_green, keys.analyst):  # analysts see persons masked only
        for q in ("DOE", "Jane Doe", "1990-01-02", "SMITH"):
            found = hits(client, key, q)
            assert not any(h["label"] == "Person" for h in found), (key, q)
            assert "DOE" not in str(found) and "JANE" not in str(found)
    assert first(client, keys.partner_amber, "T1") == ("Trace:T1", "trace id")
    assert hits(client, keys.partner_green, "T1") == []  # traces are AMBER
    assert first(client, keys.partner_green, "peach") == ("Dealer:1-58-00001", "dealer name")


def test_bad_queries_are_422_problems(client: TestClient, keys: Keys) -> None:
    for params in ({}, {"q": ""}, {"q": "   "}, {"q": "x" * 101}, {"q": "DOE", "limit": 0},
                   {"q": "DOE", "limit": 101}, {"q": "DOE", "limit": "many"}):
        answer = client.get(SEARCH, params=params, headers=auth(keys.investigator))
        assert answer.status_code == 422, params
        assert answer.headers["content-type"] == "application/problem+json"
    # the POST search is unchanged
    posted = client.post(SEARCH, json={"kind": "license", "q": "1-58-00001"}, headers=auth(keys.investigator))
    assert posted.status_code == 200 and posted.json()["items"][0]["key"] == "1-58-00001"
