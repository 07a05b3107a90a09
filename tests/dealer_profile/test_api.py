"""The API's dealer profile carries the transparency block; partners get the verified part only."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from profile_fixtures import MD_DEALER, NC_DEALER, load_fixtures

from api.app import create_app
from api.settings import Settings
from tests.keys import api_key, auth


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    db = tmp_path_factory.mktemp("dealer_profile_api") / "graph.lbug"
    load_fixtures(db)
    settings = Settings(db=db)
    roles = {"investigator": auth(api_key(settings, "investigator")), "partner": auth(api_key(settings, "partner")),
             "partner_amber": auth(api_key(settings, "partner", "amber"))}
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client, roles


def test_profile_includes_verified_and_estimated_blocks(api: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    client, roles = api
    body = client.get(f"/api/v1/dealers/{NC_DEALER}", headers=roles["investigator"]).json()
    block = body["transparency"]
    assert block["verified"]["license_number"] == NC_DEALER and block["verified"]["data_as_of"] == "2025-01-01"
    contexts = [v["policy_context"] for i in block["verified"]["inspections"] for v in i["violations"]
                if i["inspection_date"] == "2022-03-15" and v["cfr_code"] == "478.99(c)"]
    assert contexts and "cited under the 2021 zero-tolerance policy" in contexts[0]
    estimated = block["estimated"]
    assert estimated["nearest_hotspot"] == "Charlotte, NC" and estimated["nearest_hotspot_km"] > 0
    assert estimated["sales_index"] > 0 and 0 < estimated["sales_index_confidence"] <= 0.5
    assert block["withheld"] == []
    md = client.get(f"/api/v1/dealers/{MD_DEALER}", headers=roles["investigator"]).json()["transparency"]
    assert "assault_weapon" not in md["estimated"]["weapon_categories"]


def test_partner_gets_verified_facts_and_no_estimates(api: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    client, roles = api
    response = client.get(f"/api/v1/dealers/{NC_DEALER}", headers=roles["partner"])
    assert response.status_code == 200
    block = response.json()["transparency"]
    assert block["estimated"] is None and block["withheld"] == ["estimated"]
    assert block["verified"]["license_number"] == NC_DEALER and block["verified"]["inspections"]
    amber = client.get(f"/api/v1/dealers/{NC_DEALER}", headers=roles["partner_amber"]).json()["transparency"]
    assert amber["estimated"] is not None  # a partner cleared for AMBER receives the analytic estimates


def test_profile_csv_route_labels_columns_and_respects_policy(
        api: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    client, roles = api
    full = client.get(f"/api/v1/dealers/{NC_DEALER}/profile.csv", headers=roles["investigator"])
    assert full.status_code == 200 and full.headers["content-type"].startswith("text/csv")
    row = next(csv.DictReader(io.StringIO(full.text)))
    assert row["verified_license_number"] == NC_DEALER and row["estimated_nearest_hotspot"] == "Charlotte, NC"
    assert all(c.startswith(("verified_", "estimated_")) or c == "withheld" for c in row)
    partner = next(csv.DictReader(io.StringIO(client.get(f"/api/v1/dealers/{NC_DEALER}/profile.csv",
                                                         headers=roles["partner"]).text)))
    assert not any(c.startswith("estimated_") for c in partner) and partner["withheld"] == "estimated"
    assert client.get(f"/api/v1/dealers/{NC_DEALER}/profile.csv").status_code == 401
    assert client.get("/api/v1/dealers/9-99-99999/profile.csv", headers=roles["investigator"]).status_code == 404


def test_profile_route_is_documented(api: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    client, _ = api
    spec = client.get("/openapi.json").json()
    assert "/api/v1/dealers/{dealer_key}/profile.csv" in spec["paths"]
    assert "DealerTransparency" in spec["components"]["schemas"]
