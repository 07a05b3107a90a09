"""Public means aggregate: TLP:CLEAR outputs carry no person, no trace-level record and no per-dealer trace figure,
on the simulated world and on the real public files (exports/public.py; docs/compliance.md)."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.security import KeyFile
from api.settings import Settings
from exports.public import bundle_problems, geojson_problems
from graph.embedded_store import EmbeddedStore
from tests.retention.retention_world import run

DATA = Path(__file__).resolve().parents[1] / "data"
FFL_VA = DATA / "loaders" / "0225-ffl-list-va-excerpt.txt"
ATF_2016 = DATA / "loaders" / "final_source_recovery_by_state-cy_2016.xlsx"


def stix_file(db: Path, tmp_path: Path, tlp: str, role: str, scope: str = "all") -> list[dict[str, object]]:
    out = tmp_path / f"{tlp}-{role}.json"
    run("--db", str(db), "export", "stix", "--tlp", tlp, "--role", role, "--out", str(out), "--scope", scope,
        "--recipient", "public website", "--purpose", "public statistics", cwd=db.parent)
    objects: list[dict[str, object]] = json.loads(out.read_text(encoding="utf-8"))["objects"]
    return objects


def test_the_checker_names_what_a_restricted_bundle_carries(world: tuple[Path, dt.date], tmp_path: Path) -> None:
    """The checker on a TLP:RED bundle of the state with most recoveries (every kind of record the check names is
    there; the whole world's red bundle cost ~30 CPU s more to build for the same finding)."""
    db, _ = world
    with EmbeddedStore(db, read_only=True) as store:
        states = Counter(store.node_table("Recovery", ("recovery_state",)).column("recovery_state").to_pylist())
    state = max((n, s) for s, n in states.items() if s)[1]
    problems = bundle_problems(stix_file(db, tmp_path, "red", "investigator", f"state:{state}"))
    text = "\n".join(problems)
    for breach in ("a firearm object", "a sighting object", "identity of class individual", "not TLP:CLEAR alone"):
        assert breach in text, breach


@pytest.mark.parametrize("role", ["partner", "investigator"])
def test_clear_stix_of_the_simulated_world_is_aggregate(world: tuple[Path, dt.date], tmp_path: Path,
                                                        role: str) -> None:
    db, _ = world
    objects = stix_file(db, tmp_path, "clear", role)
    assert bundle_problems(objects) == []
    types = {o["type"] for o in objects}
    assert {"identity", "location"} <= types  # the licensee listing and places are still there


def test_clear_api_outputs_of_the_simulated_world_are_aggregate(world: tuple[Path, dt.date]) -> None:
    db, _ = world
    settings = Settings(db=db)
    keys = KeyFile.for_settings(settings)
    record, secret = keys.create("partner", "public website", "clear", purpose="public statistics")
    public = {"X-API-Key": f"{record.key_id}.{secret}"}
    record, secret = keys.create("investigator", "analyst desk")
    investigator = {"X-API-Key": f"{record.key_id}.{secret}"}
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        for headers in (public, investigator):
            bundle = client.get("/api/v1/exports/stix", params={"tlp": "clear"}, headers=headers)
            assert bundle.status_code == 200, bundle.text[:300]
            assert bundle_problems(bundle.json()["objects"]) == []
        geo = client.get("/api/v1/exports/geojson", params={"layers": "dealers"}, headers=public)
        assert geo.status_code == 200, geo.text[:300]
        assert geojson_problems(geo.json()) == []  # (the simulated dealers carry no coordinates: see the real files)
        refused = client.get("/api/v1/exports/geojson", params={"layers": "recoveries"}, headers=public)
        assert refused.status_code == 403


def test_clear_outputs_of_the_real_public_files_are_aggregate(tmp_path: Path) -> None:
    db = tmp_path / "public.lbug"
    run("--db", str(db), "init", cwd=tmp_path)
    run("--db", str(db), "load", "ffl", str(FFL_VA), cwd=tmp_path)
    run("--db", str(db), "load", "state-traces", str(ATF_2016), cwd=tmp_path)
    run("--db", str(db), "analyze", cwd=tmp_path)
    for role in ("partner", "investigator"):
        objects = stix_file(db, tmp_path, "clear", role)
        assert bundle_problems(objects) == []
        assert sum(1 for o in objects if o.get("identity_class") == "organization") >= 30  # the VA excerpt's licensees
    out = tmp_path / "public.geojson"
    run("--db", str(db), "export", "geojson", "--layers", "corridors,dealers", "--out", str(out), cwd=tmp_path)
    collection = json.loads(out.read_text(encoding="utf-8"))
    assert {f["properties"]["layer"] for f in collection["features"]} == {"corridors", "dealers"}
    assert geojson_problems(collection) == []
