"""Choke points: hand-built graphs whose answer is known by construction, then the simulator's planted schemes."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from algorithms.chokepoints import chokepoints
from algorithms.evaluate import trafficking_purchasers
from algorithms.tables import AnalysisTables


def tables(guns: list[dict[str, object]]) -> AnalysisTables:
    """One recovery per gun: dealer (city, state) -> purchaser (home city, state) -> recovery (city, state)."""
    rows = pd.DataFrame(guns)
    rows["firearm"] = [f"F{i}" for i in range(len(rows))]
    rows["trace"] = [f"T{i}" for i in range(len(rows))]
    dealers = rows.drop_duplicates("dealer")
    persons = rows.drop_duplicates("buyer")
    empty = pd.DataFrame({"src": pd.Series(dtype=object), "dst": pd.Series(dtype=object)})
    return AnalysisTables(
        persons=pd.DataFrame({"key": persons["buyer"], "last_name": persons["buyer"], "first_name": "A",
                              "city": persons["home"], "state": persons["home_state"]}),
        purchases=pd.DataFrame({"src": rows["buyer"], "dst": rows["firearm"], "sale_id": "trace:" + rows["trace"],
                                "dealer_key": rows["dealer"]}),
        firearms=pd.DataFrame({"key": rows["firearm"]}),
        sold=pd.DataFrame({"src": rows["dealer"], "dst": rows["firearm"]}),
        recovered=pd.DataFrame({"src": rows["firearm"], "dst": rows["trace"]}),
        recoveries=pd.DataFrame({"key": rows["trace"], "recovery_city": rows["city"], "recovery_state": rows["state"],
                                 "recovery_country": "US", "time_to_crime_days": rows["ttc"]}),
        possessed=empty,
        dealers=pd.DataFrame({"key": dealers["dealer"], "business_name": dealers["dealer"] + " GUNS",
                              "license_name": None, "premise_city": dealers["dealer_city"],
                              "premise_state": dealers["dealer_state"]}),
        lives_at=empty, nibin=empty, locations=pd.DataFrame(), state_flows=pd.DataFrame())


def gun(dealer: str, dealer_city: str, dealer_state: str, buyer: str, home: str, home_state: str, city: str,
        state: str, ttc: int = 2000) -> dict[str, object]:
    return {"dealer": dealer, "dealer_city": dealer_city, "dealer_state": dealer_state, "buyer": buyer,
            "home": home, "home_state": home_state, "city": city, "state": state, "ttc": ttc}


def test_a_bridge_city_that_every_trafficked_gun_passes_through_ranks_first() -> None:
    # three source towns each sell to residents of BRIDGETOWN, whose guns surface in three destination cities;
    # every source town and destination sees a third of the flow, the bridge all of it
    guns = [gun(f"D{s}", f"SOURCE{s}", "GA", f"P{s}{d}", "BRIDGETOWN", "GA", f"DEST{d}", "NY", 200)
            for s in range(3) for d in range(3) for _ in range(2)]
    guns += [gun("DL", "LOCALVILLE", "OH", f"L{i}", "LOCALVILLE", "OH", "LOCALVILLE", "OH") for i in range(6)]
    result = chokepoints(tables(guns), kinds=("city",)).table
    assert result.iloc[0]["key"] == "BRIDGETOWN, GA"
    assert result.iloc[0]["recovered_guns"] == 18
    assert "LOCALVILLE, OH" not in set(result["key"])  # local recoveries stop nothing upstream


def test_a_single_dealer_feeding_a_ring_outranks_bigger_local_dealers() -> None:
    ring = [gun("RING-DEALER", "ATLANTA", "GA", f"STRAW{i % 3}", "ATLANTA", "GA", "NEW YORK", "NY", 90)
            for i in range(12)]
    local = [gun(f"BIG{d}", "DAYTON", "OH", f"B{d}-{i}", "DAYTON", "OH", "DAYTON", "OH", 3000)
             for d in range(3) for i in range(14)]
    result = chokepoints(tables(ring + local), kinds=("dealer", "person", "corridor")).table
    dealers = result[result["kind"] == "dealer"]
    assert dealers.iloc[0]["key"] == "RING-DEALER"
    assert dealers.iloc[0]["recovered_guns"] == 12 < dealers.iloc[1]["recovered_guns"]  # fewer guns, more flow
    assert "100% out of state" in dealers.iloc[0]["evidence"] and "median TTC 90 days" in dealers.iloc[0]["evidence"]
    persons = result[result["kind"] == "person"]
    assert set(persons.head(3)["key"]) == {"STRAW0", "STRAW1", "STRAW2"}
    corridors = result[result["kind"] == "corridor"]
    assert list(corridors["key"]) == ["GA->NY"]
    assert abs(float(dealers["share"].sum()) - 1.0) < 1e-3  # every recovery counted once per kind


def test_on_the_simulator_planted_trafficking_ranks_high(world) -> None:  # type: ignore[no-untyped-def]
    table = chokepoints(world.tables, top=100_000).table
    dealers = table[table["kind"] == "dealer"]
    corrupt = {d["dealer_key"] for d in world.truth["corrupt_dealers"]}
    ranks = dealers.loc[dealers["key"].isin(corrupt), "rank"]
    assert len(ranks) == len(corrupt)
    assert ranks.max() <= 0.1 * len(dealers)  # every planted corrupt dealer in the top tenth of dealers
    _, broad, _ = trafficking_purchasers(world.truth, world.tables.purchases)
    persons = table[table["kind"] == "person"]
    assert persons.head(20)["key"].isin(broad).sum() >= 12
    corridors = table[table["kind"] == "corridor"]
    planted = {f"{c['source_state']}->{c['destination_state']}" for c in world.truth["corridors"]}
    assert corridors.head(10)["key"].isin(planted).sum() >= 7


def test_cli_chokepoints(world) -> None:  # type: ignore[no-untyped-def]
    from api.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["--db", str(world.db), "chokepoints", "--top", "3", "--kind", "dealer",
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout.strip().splitlines()[-1])
    assert [r["rank"] for r in rows] == [1, 2, 3]
    assert set(rows[0]) == {"rank", "kind", "key", "name", "flow_stopped", "share", "recovered_guns", "evidence"}
    bad = runner.invoke(app, ["--db", str(world.db), "chokepoints", "--kind", "planet"])
    assert bad.exit_code != 0
