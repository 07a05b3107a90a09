"""Roles decide what a caller may read; TLP decides what may leave (exports/tlp.py)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import STRAW_PERSONS, Keys, auth

PERSON = "/api/v1/persons/P-STRAW"
PERSONAL = ("last_name", "first_name", "dob", "street", "city")


def test_partner_asking_for_a_person_in_full_is_403(client: TestClient, keys: Keys) -> None:
    response = client.get(PERSON, headers=auth(keys.partner_green))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert "DOE" not in response.text


def test_amber_partner_gets_the_person_masked(client: TestClient, keys: Keys) -> None:
    response = client.get(PERSON, headers=auth(keys.partner_amber))
    assert response.status_code == 200
    person = response.json()["person"]
    assert person["masked"] is True
    assert person["person_key"] != "P-STRAW"
    assert all(person[field] is None for field in PERSONAL)
    assert person["straw_score"] == 0.97  # what a partner needs to act stays
    for text in ("DOE", "JANE", "MAIN ST", "P-STRAW", "P-POSS"):
        assert text not in response.text


def test_investigator_sees_everything(client: TestClient, keys: Keys) -> None:
    person = client.get(PERSON, headers=auth(keys.investigator)).json()["person"]
    assert person["last_name"] == "DOE"
    assert person["indicators"] == [{"name": "short_ttc", "value": 40}]
    chain = client.get("/api/v1/firearms/GLOCK|ABC123|P", headers=auth(keys.investigator)).json()
    assert chain["purchases"][0]["purchaser"]["last_name"] == "DOE"
    assert chain["recoveries"][0]["possessors"][0]["person_key"] == "P-POSS"


def test_internal_lookup_keys_are_never_shown(client: TestClient, keys: Keys) -> None:
    """The identity blocks and address key the store holds for blocking and grouping are derived lookup keys, not
    facts: the person view shows the name and address they come from, never the keys (graph.schema internal)."""
    response = client.get(PERSON, headers=auth(keys.investigator))
    person = response.json()["person"]
    assert person["last_name"] == "DOE" and person["street"] == "1 MAIN ST"
    for internal in ("name_key", "address_key", "block_dob", "block_street"):
        assert internal not in person
    for text in ("DOE|JANE", "DOE|7306", "1 MAIN ST|30303"):
        assert text not in response.text


def test_firearm_chain_for_partners(client: TestClient, keys: Keys) -> None:
    green = client.get("/api/v1/firearms/GLOCK|ABC123|P", headers=auth(keys.partner_green)).json()
    assert green["purchases"] == [] and green["recoveries"] == []
    assert set(green["withheld"]) >= {"purchases", "recoveries"}
    assert green["sales"][0]["dealer_key"] == "1-58-00001"
    amber = client.get("/api/v1/firearms/GLOCK|ABC123|P", headers=auth(keys.partner_amber)).json()
    purchaser = amber["purchases"][0]["purchaser"]
    assert purchaser["masked"] and purchaser["last_name"] is None and purchaser["person_key"] != "P-STRAW"
    assert "DOE" not in str(amber)


def test_partner_lists_are_filtered(client: TestClient, keys: Keys) -> None:
    green = client.get("/api/v1/straw-queue", headers=auth(keys.partner_green)).json()
    assert green["items"] == []
    amber = client.get("/api/v1/straw-queue?limit=100", headers=auth(keys.partner_amber)).json()
    assert len(amber["items"]) == STRAW_PERSONS + 2
    assert all(item["masked"] and item["last_name"] is None for item in amber["items"])
    anomalies = client.get("/api/v1/dealer-anomalies", headers=auth(keys.partner_green)).json()
    assert anomalies["items"] == []  # scores are AMBER
    dealer = client.get("/api/v1/dealers/1-58-00001", headers=auth(keys.partner_green)).json()
    assert dealer["dealer"]["business_name"] == "PEACH GUNS"  # the licensee listing is public
    assert dealer["dealer"]["anomaly_score"] is None
    assert dealer["inspections"][0]["violations"][0]["cfr_code"] == "478.124"
    network = client.get("/api/v1/networks/N1", headers=auth(keys.partner_green))
    assert network.status_code == 403


def test_name_search_needs_personal_data_clearance(client: TestClient, keys: Keys) -> None:
    body = {"kind": "name", "q": "DOE, JA"}
    assert client.post("/api/v1/search", json=body, headers=auth(keys.partner_amber)).status_code == 403
    assert client.post("/api/v1/search", json=body, headers=auth(keys.analyst)).status_code == 403
    hits = client.post("/api/v1/search", json=body, headers=auth(keys.investigator)).json()["items"]
    assert [h["reference"] for h in hits] == ["person:P-STRAW"]
    serial = client.post("/api/v1/search", json={"kind": "serial", "q": "abc 123"},
                         headers=auth(keys.partner_green)).json()["items"]
    assert [h["key"] for h in serial] == ["GLOCK|ABC123|P"]
    license_hit = client.post("/api/v1/search", json={"kind": "license", "q": "1-58-121-01-5A-00001"},
                              headers=auth(keys.partner_green)).json()["items"]
    assert [h["key"] for h in license_hit] == ["1-58-00001"]


def test_paths_mask_persons_or_refuse(client: TestClient, keys: Keys) -> None:
    query = "/api/v1/paths?source=dealer:1-58-00001&target=person:P-POSS&max_hops=6"
    full = client.get(query, headers=auth(keys.investigator)).json()
    assert full["found"] and [n["label"] for n in full["nodes"]] == ["Dealer", "Firearm", "Recovery", "Person"]
    assert client.get(query, headers=auth(keys.partner_green)).status_code == 403
    amber = client.get(query, headers=auth(keys.partner_amber)).json()
    assert amber["nodes"][-1]["masked"] and "P-POSS" not in str(amber)
    neighbourhood = client.get(PERSON + "?depth=3", headers=auth(keys.investigator)).json()["neighbourhood"]
    assert {"Firearm", "Recovery", "Dealer"} <= {n["label"] for n in neighbourhood["nodes"]}
