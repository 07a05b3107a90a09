"""A corrected trace record on a real Neo4j: the traces loader replaces the record's earlier purchaser, possessor
and places there as on the embedded store (cypher/trace_versions.cypher, cypher/trace_drop_*.cypher)."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.embedded_store import EmbeddedStore
from loaders.base import LoadOptions, run_load
from loaders.traces import TracesLoader
from tests.neo4j_support import Neo4jServer
from tests.trace_corrections_support import FILE, FIXTURES, fixture_rows, record_of, write_rows

pytestmark = pytest.mark.neo4j


def test_a_corrected_record_is_replaced_the_same_on_both_stores(neo4j_server: Neo4jServer, tmp_path: Path) -> None:
    fields, rows = fixture_rows()
    fixed = {**rows["T-100"], "purchaser_last_name": "JONES", "possessor_last_name": "ROE",
             "recovery_city": "Norfolk", "recovery_zip": "23510", "purchase_date": "01/03/2019"}
    corrected = write_rows(tmp_path / "fixed.csv", fields, fixed)
    results = {}
    with EmbeddedStore(tmp_path / "e.lbug") as embedded, neo4j_server.store() as neo:
        for name, store in (("embedded", embedded), ("neo4j", neo)):
            if name == "embedded":
                store.init_schema()
            options = LoadOptions(rejects_dir=tmp_path / f"rejects-{name}")
            run_load(TracesLoader, store, FIXTURES / FILE, options)
            report = run_load(TracesLoader, store, corrected, options)
            results[name] = (report.details.get("corrected"), record_of(store, "T-100"))
    assert results["embedded"] == results["neo4j"]
    assert results["neo4j"] == (1, {"purchasers": ["JONES"], "possessors": ["ROE"],
                                    "places": ["city:US-VA:NORFOLK", "zip:23510"]})
