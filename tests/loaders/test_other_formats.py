"""Multiple sales, NIBIN leads, inspections (CSV and the real 2015-2017 ndjson), violations, ATF state tables
(real xlsx 2013 transposed / 2016, CSV grid 2012 with its CANADA column, long CSV) and hotspots."""

from __future__ import annotations

from loader_helpers import rejects

from graph.embedded_store import EmbeddedStore


def reasons(report) -> dict[str, str]:
    return {r.get("report_id") or r.get("lead_id") or r.get("violation_id") or r.get("inspection_id")
            or r.get("city") or r["line"]: r["reason"] for r in rejects(report)}


def test_multiple_sales_reach_the_same_person_dealer_and_gun_as_traces(load, embedded_store: EmbeddedStore) -> None:
    load("traces", "traces_malformed.csv")
    report = load("multiple-sales", "multiple_sales.csv")
    assert (report.read, report.loaded, report.rejected) == (6, 3, 3)
    got = [(r["line"], r["reason"]) for r in rejects(report)]
    assert got == [("4", "duplicate serial within report_id"), ("6", "form must be 3310.4 or 3310.12"),
                   ("7", "missing serial_number")]
    purchases = embedded_store.edge_list("PURCHASED", "Person", "Firearm",
                                         ("sale_id", "multiple_sale", "form")).to_pylist()
    by_sale = {p["sale_id"]: p for p in purchases}
    msr = by_sale["msr:MS-1:ABC123"]
    assert msr["multiple_sale"] is True and msr["form"] == "3310.4"
    assert msr["dst"] == by_sale["trace:T-100"]["dst"] == "SMITH & WESSON|ABC123|PISTOL"
    assert msr["src"] == by_sale["trace:T-100"]["src"]
    assert by_sale["msr:MS-1:ZZ999"]["src"] == msr["src"]


def test_nibin_leads_link_known_recoveries_and_reject_unknown_traces(load, embedded_store: EmbeddedStore) -> None:
    load("traces", "traces_malformed.csv")
    report = load("nibin", "nibin_leads.csv")
    assert (report.read, report.loaded, report.rejected) == (5, 2, 3)
    assert [r["reason"] for r in rejects(report)] == [
        "trace_id_b names an unknown trace", "status must be UNCONFIRMED or CONFIRMED", "duplicate lead_id in file"]
    links = embedded_store.edge_list("NIBIN_LINK", "Recovery", "Recovery", ("lead_id", "status")).to_pylist()
    assert {(x["src"], x["dst"], x["lead_id"], x["status"]) for x in links} == {
        ("T-100", "T-101", "L-1", "CONFIRMED"), ("T-102", "T-103", "L-4", "UNCONFIRMED")}


def test_inspections_policy_context_and_zero_tolerance_violations(load, embedded_store: EmbeddedStore) -> None:
    report = load("inspections", "inspections.csv")
    assert (report.read, report.loaded, report.rejected) == (5, 3, 2)
    assert reasons(report)["I-5"] == "unparseable license number"
    assert reasons(report)["I-4"].startswith("outcome must be one of")
    inspections = {r["key"]: r for r in embedded_store.node_table(
        "Inspection", ("zero_tolerance_period", "policy_context", "outcome")).to_pylist()}
    assert inspections["I-1"]["zero_tolerance_period"] is True
    assert inspections["I-2"]["zero_tolerance_period"] is False
    assert inspections["I-3"]["zero_tolerance_period"] is False  # after the 2025-04-07 repeal
    assert "repeal" in inspections["I-3"]["policy_context"]
    violations = load("violations", "violations.csv")
    assert (violations.read, violations.loaded, violations.rejected) == (5, 3, 2)
    assert reasons(violations)["V-4"] == "inspection_id names an unknown inspection"
    flagged = {r["key"]: r for r in embedded_store.node_table(
        "Violation", ("zero_tolerance", "zero_tolerance_category")).to_pylist()}
    assert flagged["V-1"]["zero_tolerance_category"] == "prohibited_transfer"
    assert flagged["V-3"]["zero_tolerance_category"] == "no_background_check"
    assert flagged["V-2"]["zero_tolerance"] is False


def test_real_inspection_reports_ndjson(load, embedded_store: EmbeddedStore) -> None:
    report = load("inspections", "atf_inspections_2015_2017_excerpt.ndjson")
    assert (report.read, report.loaded, report.rejected) == (41, 40, 1)  # the trailing source note is no report
    counts = embedded_store.counts()
    assert counts["nodes"]["Inspection"] == 40 and counts["relationships"]["INSPECTED"] == 40
    assert counts["relationships"]["CITED"] == counts["nodes"]["Violation"] > 40
    cited = embedded_store.node_table("Violation", ("cfr_code", "zero_tolerance")).to_pylist()
    assert any(v["cfr_code"] == "478.102(a)" and v["zero_tolerance"] for v in cited)


def flows(store: EmbeddedStore) -> dict[tuple[str, str, int], int]:
    rows = store.edge_list("FLOW", "Location", "Location", ("year", "firearms", "basis", "level")).to_pylist()
    assert all(r["basis"] == "atf_table" for r in rows)
    return {(r["src"], r["dst"], r["year"]): r["firearms"] for r in rows}


def test_atf_xlsx_grids_both_orientations(load, embedded_store: EmbeddedStore) -> None:
    r2013 = load("state-traces", "final_source_recovery_by_state-cy_2013.xlsx")
    r2016 = load("state-traces", "final_source_recovery_by_state-cy_2016.xlsx")
    assert r2013.details["orientation"] == "columns=source" and r2016.details["orientation"] == "rows=source"
    assert r2013.rejected == r2016.rejected == 0 and r2013.details["total_mismatches"] == []
    got = flows(embedded_store)
    # ATF 2013: 423 firearms sourced in Virginia were recovered in New York; 2016: Alabama -> Georgia 368
    assert got[("state:US-VA", "state:US-NY", 2013)] == 423
    assert got[("state:US-AL", "state:US-GA", 2016)] == 368
    assert got[("state:US-PR", "state:US-PR", 2013)] > 0  # territories kept
    assert not any("TOTAL" in k[0] or "TOTAL" in k[1] for k in got)


def test_csv_grid_keeps_canada_as_a_country_and_long_csv_rejects_totals(load, embedded_store: EmbeddedStore) -> None:
    grid = load("state-traces", "source_recovery_by_state_2012.csv")
    assert grid.rejected == 0 and grid.details["year"] == 2012
    assert any(k[0] == "country:CA" for k in flows(embedded_store))
    long = load("state-traces", "atf_source_recovery_long_2011_va_excerpt.csv")
    assert long.rejected == sum(1 for r in rejects(long)) and long.rejected > 0
    assert {r["reason"] for r in rejects(long)} == {"TOTAL line (a sum, not a flow)"}
    before = embedded_store.counts()
    load("state-traces", "atf_source_recovery_long_2011_va_excerpt.csv")
    assert embedded_store.counts() == before


def test_hotspots_set_city_properties(load, embedded_store: EmbeddedStore) -> None:
    report = load("hotspots", "hotspots.csv")
    assert (report.read, report.loaded, report.rejected) == (4, 2, 2)
    cities = {r["key"]: r for r in embedded_store.node_table(
        "Location", ("homicide_rate_per_100k", "crime_data_year", "kind")).to_pylist()}
    assert cities["city:US-MO:ST LOUIS"]["homicide_rate_per_100k"] == 59.29
    assert cities["city:US-MD:BALTIMORE"]["crime_data_year"] == 2015


def test_hotspots_built_from_the_real_ucr_table() -> None:
    from loaders.domain.hotspots import hotspots_from_ucr, split_department

    assert split_department("Albuquerque, N.M.", "NM00101") == ("ALBUQUERQUE", "NM")
    assert split_department("Atlanta", "GAAPD00") == ("ATLANTA", "GA")
    assert split_department("Baltimore County, Md.", "MD00301") == (None, None)
    table = hotspots_from_ucr(2015)
    assert len(table) > 50 and table["lat"].notna().all()
    assert set(table.columns) == {"city", "state", "lat", "lon", "violent_crime_rate_per_100k",
                                  "homicide_rate_per_100k", "data_year"}
