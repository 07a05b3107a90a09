"""A stolen gun recovered abroad shows up as a cross-border flow (US source state -> country) in the corridor
analysis, as a LineString in the GeoJSON corridors layer and as a corridor relationship in STIX."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from algorithms.analyze import _place_flows
from algorithms.stolen_hits import hits
from algorithms.tables import load_tables
from exports.geojson import to_geojson
from exports.stix import bundle_dict, to_stix
from exports.stix_scope import collect_scope
from exports.tlp import clearance
from graph.embedded_store import EmbeddedStore
from loaders.base import LoadOptions, run_load
from loaders.stolen import StolenLoader
from loaders.traces import TracesLoader

DATA = Path(__file__).parents[1] / "data" / "stolen"


def test_stolen_gun_recovered_in_mexico_is_a_us_to_mexico_flow(embedded_store: EmbeddedStore, tmp_path: Path) -> None:
    for loader, name in ((StolenLoader, "stolen.csv"), (TracesLoader, "traces.csv")):
        run_load(loader, embedded_store, DATA / name, LoadOptions(rejects_dir=tmp_path))
    # the selling dealer is known only by its number in the traces; give it its premises as the FFL list would
    embedded_store.upsert_nodes("Dealer", pd.DataFrame({"dealer_key": ["1-54-20000"], "premise_state": ["VA"]}))
    abroad = hits(embedded_store)
    assert abroad.set_index("trace_id").loc["S-2", "recovery_country"] == "MX"

    flows, places = _place_flows(load_tables(embedded_store), "state")
    cross = flows[flows["dst"] == "country:MX"]
    assert list(cross["src"]) == ["state:US-VA"] and int(cross["firearms"].sum()) == 1
    assert "country:MX" in set(places["key"])

    locations = embedded_store.query("stix_locations").rows()
    mexico = next(loc for loc in locations if loc["location_key"] == "country:MX")
    assert mexico["lat"] is not None and mexico["lon"] is not None  # countries get a point at load
    corridor = {"source_key": "state:US-VA", "destination_key": "country:MX", "year": 2019, "level": "state",
                "basis": "traces", "firearms": 1}
    collection = to_geojson([corridor], [], locations=locations)
    lines = [f for f in collection["features"] if f["properties"]["layer"] == "corridors"]
    assert len(lines) == 1 and lines[0]["properties"]["destination"] == "country:MX"
    assert lines[0]["geometry"]["type"] == "LineString"


def test_cross_border_corridor_is_shared_in_stix(embedded_store: EmbeddedStore, tmp_path: Path) -> None:
    run_load(TracesLoader, embedded_store, DATA / "traces.csv", LoadOptions(rejects_dir=tmp_path))
    embedded_store.upsert_relationships("FLOW", "Location", "Location", pd.DataFrame({
        "from_key": ["state:US-VA"], "to_key": ["country:MX"], "year": [2019], "level": ["state"],
        "basis": ["traces"], "firearms": [1]}))
    bundle = bundle_dict(to_stix(collect_scope(embedded_store), tlp="green", clearance=clearance("analyst"),
                                 salt="test"))
    objects = {o["id"]: o for o in bundle["objects"]}
    mexico = [i for i, o in objects.items() if o["type"] == "location" and o.get("country") == "MX"]
    assert mexico
    flows = [o for o in objects.values() if o["type"] == "relationship" and o.get("target_ref") in mexico]
    assert len(flows) == 1 and "corridor" in flows[0]["description"].lower()
