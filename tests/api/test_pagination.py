"""Cursor pagination serves every item exactly once, in score order, under filters."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import STRAW_PERSONS, Keys, auth


def walk(client: TestClient, key: str, url: str) -> tuple[list[dict[str, object]], int]:
    items: list[dict[str, object]] = []
    cursor = None
    pages = 0
    while True:
        page = client.get(url + (f"&cursor={cursor}" if cursor else ""), headers=auth(key)).json()
        items += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            return items, pages


def test_straw_queue_pages_cover_every_person_once(client: TestClient, keys: Keys) -> None:
    items, pages = walk(client, keys.investigator, "/api/v1/straw-queue?limit=4")
    keys_seen = [str(i["person_key"]) for i in items]
    assert len(keys_seen) == len(set(keys_seen)) == STRAW_PERSONS + 2
    assert pages == -(-len(keys_seen) // 4)
    order = [(-float(str(i["straw_score"])), str(i["person_key"])) for i in items]
    assert order == sorted(order)


def test_filters_apply_across_pages(client: TestClient, keys: Keys) -> None:
    items, _ = walk(client, keys.investigator, "/api/v1/straw-queue?limit=3&state=GA&min_score=0.3")
    everything, _ = walk(client, keys.investigator, "/api/v1/straw-queue?limit=100")
    expected = {i["person_key"] for i in everything if i["state"] == "GA" and float(str(i["straw_score"])) >= 0.3}
    assert [i["person_key"] for i in items] and {i["person_key"] for i in items} == expected
    network, _ = walk(client, keys.investigator, "/api/v1/straw-queue?limit=1&network_id=N1")
    assert [i["person_key"] for i in network] == ["P-STRAW", "P-POSS"]


def test_networks_list_shows_the_review_list_unless_asked_for_all(client: TestClient, keys: Keys) -> None:
    review, _ = walk(client, keys.investigator, "/api/v1/networks?limit=1")
    assert [n["network_id"] for n in review] == ["N1"]
    assert review[0]["reviewable"] is True and "suspected straw purchaser" in str(review[0]["reason"])
    everything, pages = walk(client, keys.investigator, "/api/v1/networks?all=true&limit=1")
    assert [n["network_id"] for n in everything] == ["N1", "N2"] and pages == 2


def test_dealer_anomalies_and_corridors(client: TestClient, keys: Keys) -> None:
    dealers, _ = walk(client, keys.investigator, "/api/v1/dealer-anomalies?limit=1")
    assert [d["dealer_key"] for d in dealers] == ["1-58-00001", "1-58-00002"]
    assert dealers[0]["indicators"] == [{"name": "short_ttc_share", "value": 0.6}]
    corridors = client.get("/api/v1/corridors?year=2023&level=state&top=5", headers=auth(keys.analyst)).json()
    assert [(c["src"]["key"], c["dst"]["key"]) for c in corridors["items"]] == [
        ("state:US-GA", "state:US-NY")]
    assert client.get("/api/v1/corridors?year=2019", headers=auth(keys.analyst)).json()["items"] == []
