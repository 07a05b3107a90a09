"""The order in which pytest-xdist hands the suite's units (tests/conftest.py, ``xdist_scope``) to its workers.

xdist's loadscope hands units out in order of their test count, and a worker takes its next unit when two of its
tests are left. A module of one or two long tests (a whole world's export, a CLI's subprocesses) then came last and
ran alone on one core while the other core idled. Here the units known to take long go first, longest first, and
the rest follow in xdist's order, so the run ends on short units (longest-processing-time-first scheduling).

``UNIT_SECONDS`` are one worker's wall seconds per unit in a whole `pytest -n 2 --dist loadscope` run on a shared
machine (load 5-10, ~2.5x a quiet CI's seconds; docs/performance.md, "The test suite's time", ci24); units under
20 s there are left out. Only their order matters: a stale or missing figure changes the order, never what runs
(tests/test_schedule.py checks that every name is still a unit).
"""

from __future__ import annotations

from collections.abc import Iterable

UNIT_SECONDS: dict[str, float] = {
    "neo4j": 1297,
    "tests/retention/test_retention_world.py": 345,
    "tests/loaders/test_disk_full.py": 314,
    "tests/analytics/test_incremental_upgrades.py": 291,
    "tests/analytics/test_incremental.py": 262,
    "tests/loaders/test_interrupted_load.py": 241,
    "tests/retention/test_public_aggregate.py": 185,
    "tests/analytics/test_straw_keys.py": 180,
    "tests/cli/test_cli_foundation.py": 165,
    "tests/publicdata/test_load_matrix.py": 163,
    "tests/analytics/test_demo_end_to_end.py": 140,
    "tests/matching/test_serial_batches.py": 138,
    "tests/graph/test_engine_tx_reads.py": 137,
    "tests/sharing/test_taxii_tls.py": 120,
    "tests/publicdata/test_atf_corridors.py": 105,
    "tests/loaders/test_fuzz.py": 103,
    "tests/graph/test_side_table.py": 103,
    "tests/services/test_cli_api_agree.py": 100,
    "tests/loaders/test_survey_once.py": 96,
    "tests/stolen/test_stolen_loader.py": 95,
    "tests/identity/test_batch_invariance.py": 94,
    "tests/loaders/test_day_in_the_log.py": 93,
    "tests/publicdata/test_watched_dealer_alert.py": 85,
    "tests/integrity/test_csv_injection.py": 81,
    "tests/loaders/test_load_day.py": 79,
    "tests/loaders/test_cli_load.py": 76,
    "tests/analytics/test_incremental_possessors.py": 75,
    "tests/analytics/test_dealer_counts.py": 75,
    "tests/analytics/test_memory_analysis.py": 72,
    "tests/analytics/test_batch_memory.py": 69,
    "tests/matching/test_serial_matching.py": 67,
    "tests/graph/test_embedded_store.py": 64,
    "tests/analytics/test_alerts.py": 62,
    "tests/graph/test_store_migration.py": 59,
    "tests/sharing/test_alert_sightings.py": 57,
    "tests/sharing/test_stix_generated.py": 55,
    "tests/cli/test_cli_output.py": 54,
    "tests/analytics/test_straw_pairs_codes.py": 51,
    "tests/loaders/test_place_names.py": 50,
    "tests/api/test_schemathesis.py": 50,
    "tests/graph/test_run_keys.py": 49,
    "tests/evidence/test_cli_evidence.py": 45,
    "tests/loaders/test_stray_quotes.py": 44,
    "tests/api/test_watches_api.py": 39,
    "tests/analytics/test_bench_incremental.py": 39,
    "tests/api/test_workspace_reviews.py": 38,
    "tests/loaders/test_record_corrections.py": 36,
    "tests/identity/test_identity.py": 34,
    "tests/analytics/test_networks.py": 33,
    "tests/identity/test_stored_blocks.py": 30,
    "tests/retention/test_disseminations.py": 28,
    "tests/loaders/test_traces.py": 27,
    "tests/loaders/test_trace_corrections.py": 25,
    "tests/services/test_ports_agree.py": 24,
    "tests/contract/test_store_contract.py": 24,
    "tests/simulate/test_through_loaders.py": 24,
    "tests/sharing/test_stix_export.py": 24,
    "tests/analytics/test_lanes.py": 23,
    "tests/publicdata/test_alerts_public.py": 22,
    "tests/api/test_snapshot_chain.py": 22,
    "tests/publicdata/test_inspections_public.py": 21,
    "tests/analytics/test_straw_codes_more.py": 20,
}


def longest_first(units: Iterable[tuple[str, dict[str, bool]]]) -> list[tuple[str, dict[str, bool]]]:
    """``units`` (name, tests) in xdist's order, reordered: the listed units by their seconds, longest first, then
    the others in the order given (a stable sort)."""
    return sorted(units, key=lambda unit: -UNIT_SECONDS.get(unit[0], 0.0))
