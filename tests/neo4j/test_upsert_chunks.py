"""A node batch larger than one key-lookup chunk (50k keys) where one chunk finds stored keys and another finds
none: the 1M-row trace load into Neo4j stopped there on 2026-12-04 (``ArrowInvalid: Schema … firearm_key: string vs
firearm_key: null``), on the second 250k-row batch."""

from __future__ import annotations

import pyarrow as pa
import pytest

from graph.neo4j_store import BATCH_ROWS
from tests.neo4j_support import Neo4jServer

pytestmark = pytest.mark.neo4j


def test_a_batch_whose_lookup_chunks_find_some_keys_and_none_loads(neo4j_server: Neo4jServer) -> None:
    chunk = BATCH_ROWS * 5
    keys = [f"chunk-test-{i:07d}" for i in range(chunk + 10)]
    with neo4j_server.store() as store:
        first = store.upsert_nodes("Firearm", pa.table({"firearm_key": keys[:3], "serial_number": ["A", "B", "C"]}))
        assert first.created == 3
        summary = store.upsert_nodes("Firearm", pa.table({"firearm_key": keys, "serial_number": keys}))
        assert (summary.created, summary.updated) == (len(keys) - 3, 3)
        stored = store._read("MATCH (f:Firearm) WHERE f.firearm_key STARTS WITH 'chunk-test-' "
                             "RETURN count(f) AS n").scalar()
        assert stored == len(keys)
        store._write("MATCH (f:Firearm) WHERE f.firearm_key STARTS WITH 'chunk-test-' DETACH DELETE f")
