"""A small trace graph populated directly through the store API, an app over it, and one key per role."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from graph.embedded_store import EmbeddedStore
from tests.keys import api_key
from tests.keys import auth as auth  # the API tests take it from here

STRAW_PERSONS = 25  # enough for several pages


def populate(store: EmbeddedStore) -> None:
    d = dt.date
    store.upsert_nodes("Location", [
        {"location_key": "state:US-GA", "kind": "state", "name": "Georgia", "state": "GA", "lat": 32.68,
         "lon": -83.22},
        {"location_key": "state:US-NY", "kind": "state", "name": "New York", "state": "NY", "lat": 42.91,
         "lon": -75.6},
        {"location_key": "city:US-NY:NEW YORK", "kind": "city", "name": "New York", "state": "NY", "lat": 40.71,
         "lon": -74.01},
    ])
    store.upsert_nodes("Dealer", [
        {"dealer_key": "1-58-00001", "license_number": "1-58-121-01-5A-00001", "business_name": "PEACH GUNS",
         "premise_state": "GA", "premise_city": "ATLANTA", "anomaly_score": 4.5, "expected_traces": 2.0,
         "anomaly_indicators": json.dumps([{"name": "short_ttc_share", "value": 0.6}])},
        {"dealer_key": "1-58-00002", "license_number": "1-58-121-01-5A-00002", "business_name": "QUIET ARMS",
         "premise_state": "GA", "anomaly_score": 1.0},
    ])
    persons = [{"person_key": "P-STRAW", "last_name": "DOE", "first_name": "JANE", "dob": d(1990, 1, 2),
                "street": "1 MAIN ST", "city": "ATLANTA", "state": "GA", "straw_score": 0.97,
                "straw_indicators": json.dumps([{"name": "short_ttc", "value": 40}]), "network_id": "N1",
                "name_key": "DOE|JANE", "address_key": "1 MAIN ST|30303", "block_dob": "DOE|7306",
                "block_street": "DOE|1 MAIN ST"},
               {"person_key": "P-POSS", "last_name": "ROE", "first_name": "RICHARD", "state": "NY",
                "network_id": "N1", "straw_score": 0.5}]
    persons += [{"person_key": f"P-{i:03d}", "last_name": "SMITH", "first_name": f"A{i}", "state": "GA" if i % 2
                 else "NY", "straw_score": round(0.1 + (i % 7) / 10, 2)} for i in range(STRAW_PERSONS)]
    store.upsert_nodes("Person", persons)
    store.upsert_nodes("Firearm", [
        {"firearm_key": "GLOCK|ABC123|P", "serial_number": "ABC-123", "serial_normalized": "ABC123",
         "manufacturer": "GLOCK", "model": "19", "caliber": "9MM", "weapon_type": "PISTOL"}])
    store.upsert_nodes("Recovery", [
        {"trace_id": "T1", "recovery_date": d(2023, 5, 1), "recovery_state": "NY", "recovery_city": "NEW YORK",
         "time_to_crime_days": 120}])
    store.upsert_nodes("Network", [
        {"network_id": "N1", "size": 2, "score": 0.8, "algorithm": "leiden-cpm", "reviewable": True,
         "review_rank": 1, "suspects": 1, "reason": "1 suspected straw purchaser (scores 9.0); one suspect's guns "
                                                  "recovered from 3 members"},
        {"network_id": "N2", "size": 2, "score": 0.3, "algorithm": "leiden-cpm", "reviewable": False,
         "review_rank": 0, "suspects": 0, "reason": "below the evidence rule: no member scores 5 or more"}])
    store.upsert_nodes("Inspection", [
        {"inspection_id": "I1", "inspection_date": d(2022, 3, 1), "outcome": "revocation",
         "policy_context": "zero_tolerance_2021", "zero_tolerance_period": True}])
    store.upsert_nodes("Violation", [{"violation_id": "V1", "cfr_code": "478.124", "zero_tolerance": True}])
    store.upsert_relationships("SOLD", "Dealer", "Firearm", [
        {"from_key": "1-58-00001", "to_key": "GLOCK|ABC123|P", "sale_date": d(2023, 1, 1)}])
    store.upsert_relationships("PURCHASED", "Person", "Firearm", [
        {"from_key": "P-STRAW", "to_key": "GLOCK|ABC123|P", "sale_id": "trace:T1", "purchase_date": d(2023, 1, 1),
         "dealer_key": "1-58-00001"}])
    store.upsert_relationships("RECOVERED_IN", "Firearm", "Recovery", [{"from_key": "GLOCK|ABC123|P", "to_key": "T1"}])
    store.upsert_relationships("POSSESSED_BY", "Recovery", "Person", [{"from_key": "T1", "to_key": "P-POSS"}])
    store.upsert_relationships("AT", "Dealer", "Location", [{"from_key": "1-58-00001", "to_key": "state:US-GA"}])
    store.upsert_relationships("AT", "Recovery", "Location", [{"from_key": "T1", "to_key": "city:US-NY:NEW YORK"}])
    store.upsert_relationships("MEMBER_OF", "Person", "Network", [
        {"from_key": "P-STRAW", "to_key": "N1"}, {"from_key": "P-POSS", "to_key": "N1"}])
    store.upsert_relationships("INSPECTED", "Dealer", "Inspection", [{"from_key": "1-58-00001", "to_key": "I1"}])
    store.upsert_relationships("CITED", "Inspection", "Violation", [{"from_key": "I1", "to_key": "V1"}])
    store.upsert_relationships("FLOW", "Location", "Location", [
        {"from_key": "state:US-GA", "to_key": "state:US-NY", "year": 2023, "level": "state", "basis": "traces",
         "firearms": 12, "expected": 4.0, "score": 3.1, "z": 2.5, "median_ttc_days": 400.0}])


@dataclass(frozen=True)
class Keys:
    investigator: str
    analyst: str
    partner_green: str
    partner_amber: str
    admin: str


@pytest.fixture(scope="module")
def api_env(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Keys]:
    root: Path = tmp_path_factory.mktemp("api")
    with EmbeddedStore(root / "graph.lbug") as store:
        store.init_schema()
        populate(store)
    settings = Settings(db=root / "graph.lbug")
    return settings, Keys(*(api_key(settings, role, tlp) for role, tlp in (
        ("investigator", None), ("analyst", None), ("partner", None), ("partner", "amber"), ("admin", None))))


@pytest.fixture(scope="module")
def client(api_env: tuple[Settings, Keys]) -> Iterator[TestClient]:
    settings, _ = api_env
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def keys(api_env: tuple[Settings, Keys]) -> Keys:
    return api_env[1]

