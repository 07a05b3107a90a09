"""Graphs the algorithm tests share: a planted-partition generator and a small trace graph in a Kùzu store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from graph.embedded_store import EmbeddedStore

D = dt.date


@pytest.fixture(scope="module")
def trace_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStore]:
    """Two guns from one dealer. F1: bought by P1, recovered (R1, 2020-05-01) from P2. F2: bought by P5,
    recovered (R2) from P3. A NIBIN lead (2021-01-01) links R1 and R2. P1 and P4 share an address.
    Shared by a module's tests: read it, never write to it."""
    s = EmbeddedStore(tmp_path_factory.mktemp("trace") / "graph.lbug")
    s.init_schema()
    s.upsert_nodes("Dealer", [{"dealer_key": "1-54-12345", "license_number": "1-54-003-01-5A-12345",
                               "business_name": "Example Guns"}])
    s.upsert_nodes("Firearm", [{"firearm_key": "GLOCK|ABC123|PISTOL", "serial_number": "ABC123",
                                "manufacturer": "GLOCK", "weapon_type": "PISTOL"},
                               {"firearm_key": "TAURUS|XYZ9|PISTOL", "serial_number": "XYZ9"}])
    s.upsert_nodes("Person", [{"person_key": f"P{i}", "last_name": f"Name{i}"} for i in range(1, 6)])
    s.upsert_nodes("Recovery", [
        {"trace_id": "T-R1", "recovery_date": D(2020, 5, 1), "recovery_city": "NEW YORK", "recovery_state": "NY",
         "time_to_crime_days": 486},
        {"trace_id": "T-R2", "recovery_date": D(2021, 3, 1), "recovery_city": "NEWARK", "recovery_state": "NJ"}])
    s.upsert_nodes("Location", [{"location_key": "address:1", "kind": "address"},
                                {"location_key": "city:US-GA:ATLANTA", "kind": "city"},
                                {"location_key": "state:US-GA", "kind": "state"}])
    s.upsert_relationships("SOLD", "Dealer", "Firearm", [
        {"from_key": "1-54-12345", "to_key": "GLOCK|ABC123|PISTOL", "sale_date": D(2019, 1, 1)},
        {"from_key": "1-54-12345", "to_key": "TAURUS|XYZ9|PISTOL", "sale_date": D(2019, 2, 1)}])
    s.upsert_relationships("PURCHASED", "Person", "Firearm", [
        {"from_key": "P1", "to_key": "GLOCK|ABC123|PISTOL", "sale_id": "trace:T-R1", "purchase_date": D(2019, 1, 1),
         "dealer_key": "1-54-12345", "multiple_sale": True},
        {"from_key": "P5", "to_key": "TAURUS|XYZ9|PISTOL", "sale_id": "trace:T-R2", "purchase_date": D(2019, 2, 1)}])
    s.upsert_relationships("RECOVERED_IN", "Firearm", "Recovery", [
        {"from_key": "GLOCK|ABC123|PISTOL", "to_key": "T-R1"}, {"from_key": "TAURUS|XYZ9|PISTOL", "to_key": "T-R2"}])
    s.upsert_relationships("POSSESSED_BY", "Recovery", "Person", [
        {"from_key": "T-R1", "to_key": "P2"}, {"from_key": "T-R2", "to_key": "P3"}])
    s.upsert_relationships("NIBIN_LINK", "Recovery", "Recovery", [
        {"from_key": "T-R1", "to_key": "T-R2", "lead_id": "L-1", "lead_date": D(2021, 1, 1), "status": "CONFIRMED"}])
    s.upsert_relationships("LIVES_AT", "Person", "Location", [
        {"from_key": "P1", "to_key": "address:1"}, {"from_key": "P4", "to_key": "address:1"}])
    s.upsert_relationships("AT", "Dealer", "Location", [{"from_key": "1-54-12345", "to_key": "city:US-GA:ATLANTA"}])
    s.upsert_relationships("IN", "Location", "Location", [
        {"from_key": "address:1", "to_key": "city:US-GA:ATLANTA"},
        {"from_key": "city:US-GA:ATLANTA", "to_key": "state:US-GA"}])
    yield s
    s.close()
