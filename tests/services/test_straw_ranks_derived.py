"""The straw-queue rank is derived from the stored scores when read (algorithms/straw_rank.py), never stored: every
surface that shows it (CLI queue, API queue, person and network views the workspace renders, case reports, STIX
export) shows the same rank, the queue's order (score descending, then person_key) over every scored person."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.security import KeyFile
from api.settings import Settings
from exports.reports.gather import case_report
from exports.stix_scope import collect_scope
from graph.embedded_store import EmbeddedStore
from tests.services.conftest import World

TOP = 15


@pytest.fixture(scope="module")
def client(demo_world: World) -> Iterator[tuple[TestClient, dict[str, str]]]:
    settings = Settings(db=demo_world.api_db)
    record, secret = KeyFile.for_settings(settings).create("investigator", "derived ranks")
    with TestClient(create_app(settings), raise_server_exceptions=True) as test_client:
        yield test_client, {"X-API-Key": f"{record.key_id}.{secret}"}


def _expected(store: EmbeddedStore) -> dict[str, int]:
    """The queue's order recomputed here from the stored scores, independently of algorithms/straw_rank.py."""
    rows = [r for r in store.node_table("Person", ("straw_score",)).to_pylist() if r["straw_score"] is not None]
    rows.sort(key=lambda r: (-r["straw_score"], r["key"]))
    return {r["key"]: i for i, r in enumerate(rows, start=1)}


def test_every_surface_shows_the_rank_of_the_queue_order(demo_world: World,
                                                         client: tuple[TestClient, dict[str, str]]) -> None:
    from api.cli import app

    store = EmbeddedStore(demo_world.cli_db, read_only=True)
    try:
        expected = _expected(store)
        stored = store.node_table("Person", ("straw_rank",)).column("straw_rank").to_pylist()
        assert set(stored) == {None}  # nothing writes ranks any more
        result = CliRunner().invoke(app, ["--db", str(demo_world.cli_db), "straw", "--top", str(TOP),
                                          "--format", "json"], catch_exceptions=False)
        cli = json.loads(result.stdout.strip().splitlines()[-1])
        assert [(r["rank"], r["person_key"]) for r in cli] == sorted(
            ((rank, key) for key, rank in expected.items() if rank <= TOP))
        test_client, headers = client
        queue = test_client.get(f"/api/v1/straw-queue?limit={TOP}", headers=headers).json()["items"]
        assert [(p["straw_rank"], p["person_key"]) for p in queue] == [(r["rank"], r["person_key"]) for r in cli]
        for row in cli[:5]:
            person: dict[str, Any] = test_client.get(f"/api/v1/persons/{row['person_key']}",
                                                     headers=headers).json()["person"]
            assert person["straw_rank"] == row["rank"]
        network = next(r["network_id"] for r in cli if r["network_id"])
        members = test_client.get(f"/api/v1/networks/{network}", headers=headers).json()["members"]
        assert members and all(m["straw_rank"] == expected.get(m["person_key"]) for m in members)
        report = case_report(store, network)
        assert report.members and all(m.straw_rank == expected.get(m.person_key) for m in report.members)
        persons = collect_scope(store).persons
        assert all(p["straw_rank"] == expected.get(p["person_key"]) for p in persons)
        assert sum(p["straw_rank"] is not None for p in persons) == len(expected)
    finally:
        store.close()
