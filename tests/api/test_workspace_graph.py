"""The workspace's link chart (issue 19): GET /graph/neighbourhood and /graph/paths on the small test graph."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import Keys, auth

CHART = "/api/v1/graph/neighbourhood"
PATHS = "/api/v1/graph/paths"
NAMES = ("DOE", "JANE", "ROE", "RICHARD", "1 MAIN ST", "1990-01-02")


def chart(client: TestClient, api_key: str, **params: Any) -> dict[str, Any]:
    answer = client.get(CHART, params=params, headers=auth(api_key))
    assert answer.status_code == 200, answer.text
    return answer.json()


def ids(body: dict[str, Any]) -> set[str]:
    return {n["id"] for n in body["nodes"]}


def test_neighbourhood_shape_scores_and_edges(client: TestClient, keys: Keys) -> None:
    body = chart(client, keys.investigator, label="Person", key="P-STRAW", depth=1)
    assert ids(body) == {"Person:P-STRAW", "Firearm:GLOCK|ABC123|P", "Network:N1"}
    assert body["truncated"] is False
    person = body["nodes"][0]
    assert person == {**person, "label": "Person", "key": "P-STRAW", "caption": "DOE, JANE", "score": 0.97,
                      "masked": False}
    assert person["props"]["straw_indicators"] == [{"name": "short_ttc", "value": 40}]
    edges = {(e["source"], e["type"], e["target"], e["date"]) for e in body["edges"]}
    assert edges == {("Person:P-STRAW", "PURCHASED", "Firearm:GLOCK|ABC123|P", "2023-01-01"),
                     ("Person:P-STRAW", "MEMBER_OF", "Network:N1", None)}
    assert len({e["id"] for e in body["edges"]}) == len(body["edges"])
    dealer = chart(client, keys.investigator, label="Dealer", key="1-58-00001")
    assert dealer["nodes"][0]["score"] == 4.5 and dealer["nodes"][0]["caption"] == "PEACH GUNS (ATLANTA GA)"
    assert "Place:state:US-GA" in ids(dealer)
    network = chart(client, keys.investigator, label="Network", key="N1")
    assert ids(network) == {"Network:N1", "Person:P-STRAW", "Person:P-POSS"}
    assert network["nodes"][0]["score"] == 0.8


def test_expanding_a_node_is_depth_one_on_it_and_ids_agree(client: TestClient, keys: Keys) -> None:
    first = chart(client, keys.investigator, label="Person", key="P-STRAW")
    gun = next(n for n in first["nodes"] if n["label"] == "Firearm")
    expanded = chart(client, keys.investigator, label=gun["label"], key=gun["key"])
    assert {"Dealer:1-58-00001", "Trace:T1", "Person:P-STRAW"} <= ids(expanded)
    deeper = chart(client, keys.investigator, label="Person", key="P-STRAW", depth=3)
    assert ids(first) | ids(expanded) <= ids(deeper)
    shared = {e["id"] for e in first["edges"]} & {e["id"] for e in deeper["edges"]}
    assert shared == {e["id"] for e in first["edges"]}  # the same edge has the same id in every answer
    trace = chart(client, keys.investigator, label="Trace", key="T1")
    assert {"Person:P-POSS", "Place:city:US-NY:NEW YORK"} <= ids(trace)


def test_limit_truncates_nearest_first(client: TestClient, keys: Keys) -> None:
    body = chart(client, keys.investigator, label="Person", key="P-STRAW", depth=3, limit=2)
    assert len(body["nodes"]) == 2 and body["truncated"] is True
    assert body["nodes"][0]["id"] == "Person:P-STRAW"
    assert all(e["source"] in ids(body) and e["target"] in ids(body) for e in body["edges"])


def test_time_window_filters_dated_edges_only(client: TestClient, keys: Keys) -> None:
    after = chart(client, keys.investigator, label="Firearm", key="GLOCK|ABC123|P", since="2023-02-01")
    assert "Person:P-STRAW" not in ids(after) and "Dealer:1-58-00001" not in ids(after)  # sold/bought 2023-01-01
    assert "Trace:T1" in ids(after)  # RECOVERED_IN has no date: kept
    before = chart(client, keys.investigator, label="Firearm", key="GLOCK|ABC123|P", until="2023-01-01")
    assert {"Person:P-STRAW", "Dealer:1-58-00001", "Trace:T1"} <= ids(before)
    bad = client.get(CHART, params={"label": "Person", "key": "P-STRAW", "since": "2024-01-01",
                                    "until": "2023-01-01"}, headers=auth(keys.investigator))
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"


def test_partner_sees_pseudonyms_and_can_expand_them(client: TestClient, keys: Keys) -> None:
    body = chart(client, keys.partner_amber, label="Network", key="N1", depth=2)
    persons = [n for n in body["nodes"] if n["label"] == "Person"]
    assert len(persons) == 2 and all(p["masked"] and p["key"].startswith("person-") for p in persons)
    assert all(p["caption"] == p["key"] and p["props"]["person_key"] == p["key"] for p in persons)
    text = str(body)
    assert not any(word in text for word in (*NAMES, "P-STRAW", "P-POSS"))
    again = chart(client, keys.partner_amber, label="Person", key=persons[0]["key"])
    assert persons[0]["id"] in ids(again) and "P-STRAW" not in str(again)
    # the real key is not a name a partner may use
    assert client.get(CHART, params={"label": "Person", "key": "P-STRAW"},
                      headers=auth(keys.partner_amber)).status_code == 404
    # a green partner receives no persons and no traces at all: not walked through either
    green = chart(client, keys.partner_green, label="Dealer", key="1-58-00001", depth=3)
    assert {n["label"] for n in green["nodes"]} <= {"Dealer", "Firearm", "Place"}
    assert green["withheld"] >= 1 and not any(word in str(green) for word in NAMES)
    assert client.get(CHART, params={"label": "Network", "key": "N1"},
                      headers=auth(keys.partner_green)).status_code == 403


def test_paths_between_two_nodes(client: TestClient, keys: Keys) -> None:
    found = client.get(PATHS, params={"from": "Person:P-STRAW", "to": "Person:P-POSS"},
                       headers=auth(keys.investigator))
    assert found.status_code == 200, found.text
    body = found.json()
    assert [n["id"] for n in body["nodes"]] == ["Person:P-STRAW", "Firearm:GLOCK|ABC123|P", "Trace:T1",
                                                "Person:P-POSS"]
    assert [e["type"] for e in body["edges"]] == ["PURCHASED", "RECOVERED_IN", "POSSESSED_BY"]
    none = client.get(PATHS, params={"from": "Person:P-STRAW", "to": "Person:P-001"},
                      headers=auth(keys.investigator))
    assert none.status_code == 404 and none.headers["content-type"] == "application/problem+json"
    short = client.get(PATHS, params={"from": "Person:P-STRAW", "to": "Person:P-POSS", "max_hops": 2},
                       headers=auth(keys.investigator))
    assert short.status_code == 404


def test_partner_paths_use_pseudonyms(client: TestClient, keys: Keys) -> None:
    members = chart(client, keys.partner_amber, label="Network", key="N1")
    a, b = sorted(n["id"] for n in members["nodes"] if n["label"] == "Person")
    answer = client.get(PATHS, params={"from": a, "to": b}, headers=auth(keys.partner_amber))
    assert answer.status_code == 200, answer.text
    assert {a, b} <= ids(answer.json())
    assert not any(word in answer.text for word in (*NAMES, "P-STRAW", "P-POSS"))
    assert client.get(PATHS, params={"from": "Person:P-STRAW", "to": "Person:P-POSS"},
                      headers=auth(keys.partner_amber)).status_code == 404
    green = client.get(PATHS, params={"from": "Dealer:1-58-00001", "to": "Place:city:US-NY:NEW YORK"},
                       headers=auth(keys.partner_green))
    assert green.status_code == 403  # through a trace the green partner may not receive


def test_bad_parameters_are_4xx_problems(client: TestClient, keys: Keys) -> None:
    for params in ({"label": "Intel", "key": "x"}, {"label": "Person"}, {"label": "Person", "key": "P-STRAW",
                                                                           "depth": 4},
                   {"label": "Person", "key": "P-STRAW", "depth": 0}, {"label": "Person", "key": "P-STRAW",
                                                                      "limit": 0},
                   {"label": "Person", "key": "P-STRAW", "since": "yesterday"}, {"label": "Person", "key": " "}):
        answer = client.get(CHART, params=params, headers=auth(keys.investigator))
        assert answer.status_code == 422, params
        assert answer.headers["content-type"] == "application/problem+json"
    assert client.get(CHART, params={"label": "Person", "key": "NOPE"},
                      headers=auth(keys.investigator)).status_code == 404
    for params in ({"from": "Person:P-STRAW"}, {"from": "person:P-STRAW", "to": "Person:P-POSS"},
                   {"from": "Network:N1", "to": "Person:P-POSS"}, {"from": "Person:", "to": "Person:P-POSS"},
                   {"from": "Person:P-STRAW", "to": "Person:P-POSS", "max_hops": 9}):
        answer = client.get(PATHS, params=params, headers=auth(keys.investigator))
        assert answer.status_code == 422, params
    assert client.get(CHART, params={"label": "Person", "key": "P-STRAW"}).status_code == 401
