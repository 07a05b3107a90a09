"""The alert outbox's statements (cypher/alert_outbox_*.cypher) and its one-upsert write-back on Neo4j: the same
round of mixed outcomes as on the embedded store (tests/analytics/test_alerts.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.analytics.test_alerts import one_round_of_mixed_outcomes
from tests.neo4j_support import Neo4jServer

pytestmark = pytest.mark.neo4j


def test_one_round_of_mixed_outcomes_on_neo4j(neo4j_server: Neo4jServer, tmp_path: Path) -> None:
    prefix = "alert-outbox-test-"
    with neo4j_server.store() as store:
        try:
            one_round_of_mixed_outcomes(store, tmp_path, prefix)
        finally:
            store._write(f"MATCH (a:Alert) WHERE a.alert_id STARTS WITH '{prefix}' DETACH DELETE a")
