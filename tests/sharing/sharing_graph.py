"""The sharing tests' graph: every kind of thing the sharing surfaces export, with planted personal data."""

from __future__ import annotations

import datetime as dt
from typing import Any

from graph.embedded_store import EmbeddedStore

PLANTED_NAMES = ("Zebulon", "Quaxworth", "Marigold", "Vandersnoot")
PLANTED_DOBS = ("1987-03-14", "1990-11-02")
PLANTED_STREETS = ("17 Larkspur Lane",)


def populate(store: EmbeddedStore) -> dict[str, Any]:
    """Upsert the sharing test graph; returns the keys a test may look for."""
    d = dt.date
    store.upsert_nodes("Location", [
        {"location_key": "state:US-GA", "kind": "state", "name": "Georgia", "state": "GA", "country": "US",
         "lat": 32.68, "lon": -83.22, "pagerank": 0.31, "betweenness": 0.12},
        {"location_key": "state:US-NY", "kind": "state", "name": "New York", "state": "NY", "country": "US",
         "lat": 42.95, "lon": -75.53, "pagerank": 0.22, "betweenness": 0.05},
        {"location_key": "city:US-NY:NEW YORK", "kind": "city", "name": "New York", "state": "NY",
         "country": "US", "lat": 40.71, "lon": -74.01, "pagerank": 0.4, "betweenness": 0.3},
        {"location_key": "city:US-GA:ATLANTA", "kind": "city", "name": "Atlanta", "state": "GA",
         "country": "US", "lat": 33.75, "lon": -84.39, "pagerank": 0.35, "betweenness": 0.2},
    ])
    store.upsert_relationships("IN", "Location", "Location", [
        {"from_key": "city:US-NY:NEW YORK", "to_key": "state:US-NY"},
        {"from_key": "city:US-GA:ATLANTA", "to_key": "state:US-GA"}])
    store.upsert_relationships("FLOW", "Location", "Location", [
        {"from_key": "state:US-GA", "to_key": "state:US-NY", "year": 2017, "level": "state", "basis": "traces",
         "firearms": 120, "expected": 80.5, "score": 1.49, "z": 2.8, "trend": "rising", "median_ttc_days": 410.0},
        {"from_key": "city:US-GA:ATLANTA", "to_key": "city:US-NY:NEW YORK", "year": 2017, "level": "city",
         "basis": "traces", "firearms": 40, "expected": 20.0, "score": 2.0, "z": 3.1, "median_ttc_days": 300.0},
    ])
    store.upsert_nodes("Dealer", [
        {"dealer_key": "1-58-00001", "license_number": "1-58-121-01-9K-00001", "business_name": "Peach Arms",
         "license_type_name": "Dealer in firearms", "premise_city": "ATLANTA", "premise_state": "GA",
         "lat": 33.75, "lon": -84.39, "status": "LISTED", "last_verified_date": d(2024, 1, 1)}])
    store.upsert_relationships("AT", "Dealer", "Location", [{"from_key": "1-58-00001",
                                                             "to_key": "city:US-GA:ATLANTA"}])
    store.upsert_nodes("Person", [
        {"person_key": "P1", "first_name": "Zebulon", "last_name": "Quaxworth", "dob": d(1987, 3, 14),
         "street": "17 Larkspur Lane", "city": "ATLANTA", "state": "GA", "zip": "30301", "straw_score": 0.91,
         "straw_rank": 1, "straw_indicators": '["short_ttc", "multiple_sales"]', "network_id": "N1"},
        {"person_key": "P2", "first_name": "Marigold", "last_name": "Vandersnoot", "dob": d(1990, 11, 2),
         "city": "NEW YORK", "state": "NY", "network_id": "N1"}])
    store.upsert_nodes("Network", [{"network_id": "N1", "size": 2, "score": 0.7, "algorithm": "leiden",
                                    "analysis_run_id": "run-1"}])
    store.upsert_relationships("MEMBER_OF", "Person", "Network", [
        {"from_key": "P1", "to_key": "N1", "analysis_run_id": "run-1"},
        {"from_key": "P2", "to_key": "N1", "analysis_run_id": "run-1"}])
    store.upsert_nodes("Firearm", [
        {"firearm_key": "GLOCK|ABC123|PISTOL", "serial_number": "ABC123", "manufacturer": "GLOCK",
         "model": "19", "caliber": "9MM", "weapon_type": "PISTOL", "obliterated": False},
        {"firearm_key": "TAURUS|XYZ789|PISTOL", "serial_number": "XYZ789", "manufacturer": "TAURUS",
         "model": "G2C", "caliber": "9MM", "weapon_type": "PISTOL", "obliterated": False},
        {"firearm_key": "SMITH|QQ1|REVOLVER", "serial_number": "QQ1", "manufacturer": "SMITH & WESSON",
         "weapon_type": "REVOLVER"}])
    store.upsert_relationships("SOLD", "Dealer", "Firearm", [
        {"from_key": "1-58-00001", "to_key": "GLOCK|ABC123|PISTOL", "sale_date": d(2016, 5, 1)},
        {"from_key": "1-58-00001", "to_key": "TAURUS|XYZ789|PISTOL", "sale_date": d(2016, 5, 1)}])
    store.upsert_relationships("PURCHASED", "Person", "Firearm", [
        {"from_key": "P1", "to_key": "GLOCK|ABC123|PISTOL", "sale_id": "trace:T-1", "purchase_date": d(2016, 5, 1)},
        {"from_key": "P1", "to_key": "TAURUS|XYZ789|PISTOL", "sale_id": "trace:T-2",
         "purchase_date": d(2016, 5, 1)}])
    store.upsert_nodes("Recovery", [
        {"trace_id": "T-1", "recovery_date": d(2017, 6, 30), "request_date": d(2017, 7, 2),
         "recovery_city": "NEW YORK", "recovery_state": "NY", "lat": 40.71, "lon": -74.01,
         "agency_ori": "NY0303000", "agency_name": "NYPD", "crime_code": "5212", "time_to_crime_days": 425},
        {"trace_id": "T-2", "recovery_date": d(2017, 8, 15), "recovery_city": "NEW YORK", "recovery_state": "NY",
         "time_to_crime_days": 471}])
    store.upsert_relationships("RECOVERED_IN", "Firearm", "Recovery", [
        {"from_key": "GLOCK|ABC123|PISTOL", "to_key": "T-1"}, {"from_key": "TAURUS|XYZ789|PISTOL", "to_key": "T-2"}])
    store.upsert_relationships("AT", "Recovery", "Location", [
        {"from_key": "T-1", "to_key": "city:US-NY:NEW YORK"}, {"from_key": "T-2", "to_key": "city:US-NY:NEW YORK"}])
    store.upsert_relationships("POSSESSED_BY", "Recovery", "Person", [{"from_key": "T-1", "to_key": "P2"}])
    store.upsert_nodes("AnalysisRun", [
        {"run_id": "run-1", "started_at": dt.datetime(2026, 11, 20, 10, 0, 0),
         "finished_at": dt.datetime(2026, 11, 20, 10, 5, 0), "seed": 7, "code_version": "test"}])
    return {"firearms": ["GLOCK|ABC123|PISTOL", "TAURUS|XYZ789|PISTOL", "SMITH|QQ1|REVOLVER"],
            "locations": ["state:US-GA", "state:US-NY", "city:US-NY:NEW YORK", "city:US-GA:ATLANTA"],
            "networks": ["N1"]}
