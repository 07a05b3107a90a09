"""Our TAXII 2.1 server under the API, polled by the OASIS taxii2-client over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from taxii2client.v21 import Collection, Server, as_pages
from typer.testing import CliRunner

from api.cli import app as cli_app
from api.security import KeyFile
from api.settings import Settings
from api.taxii import COLLECTIONS, TAXII
from graph.embedded_store import EmbeddedStore
from tests.api.server import serving


@pytest.fixture
def server(sharing_store: EmbeddedStore, tmp_path: Path) -> Iterator[tuple[str, Settings, dict[str, tuple[str, str]]]]:
    db = sharing_store.path
    sharing_store.close()
    settings = Settings(db=db, api_keys_file=tmp_path / "keys.json", audit_log=tmp_path / "audit.jsonl")
    keys = {}
    for role in ("partner", "analyst"):
        record, secret = KeyFile.for_settings(settings).create(role, f"{role} agency", purpose="TAXII tests")
        keys[role] = (record.key_id, secret)
    # the export command's reference output, written before the server owns the store
    out = tmp_path / "green.json"
    result = CliRunner().invoke(cli_app, ["--db", str(db), "export", "stix", "--tlp", "green", "--out", str(out),
                                          "--recipient", "partner agency", "--purpose", "TAXII tests"])
    assert result.exit_code == 0, result.output
    with serving(settings) as base:
        yield base, settings, keys


def _poll(collection: Collection, **filters: str) -> list[dict]:
    objects: list[dict] = []
    for envelope in as_pages(collection.get_objects, per_request=7, **filters):
        objects.extend(envelope.get("objects", []))
    return objects


def test_taxii2_client_gets_what_the_export_command_produces(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, _settings, keys = server
    user, password = keys["partner"]
    discovery = Server(f"{base}/taxii2/", user=user, password=password)
    root = discovery.api_roots[0]
    titles = {c.title: c for c in root.collections}
    assert set(titles) == {"tracegraph TLP:CLEAR", "tracegraph TLP:GREEN"}  # partner sees CLEAR and GREEN only
    green = titles["tracegraph TLP:GREEN"]
    polled = _poll(green)  # several pages of 7
    exported = json.loads((tmp_path / "green.json").read_text())["objects"]
    assert sorted(polled, key=lambda o: o["id"]) == sorted(exported, key=lambda o: o["id"])
    assert len({o["id"] for o in polled}) == len(polled)
    firearms = green.get_objects(type="firearm")["objects"]
    assert firearms and all(o["type"] == "firearm" for o in firearms)
    one = green.get_objects(id=firearms[0]["id"])["objects"]
    assert [o["id"] for o in one] == [firearms[0]["id"]]
    manifest = green.get_manifest()["objects"]
    assert {m["id"] for m in manifest} == {o["id"] for o in polled}
    latest = max(m["date_added"] for m in manifest)
    assert _poll(green, added_after=latest) == []


def test_collections_are_tlp_filtered_per_caller(server) -> None:  # type: ignore[no-untyped-def]
    base, _settings, keys = server
    amber = next(cid for cid, lvl in COLLECTIONS.items() if lvl == "amber")
    url = f"{base}/taxii2/api1/collections/{amber}/objects/"
    headers = {"Accept": TAXII}
    assert requests.get(url, headers=headers, timeout=30).status_code == 401
    assert requests.get(url, headers=headers, auth=keys["partner"], timeout=30).status_code == 403
    response = requests.get(url, headers=headers, auth=keys["analyst"], timeout=30)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/taxii+json")
    objects = response.json()["objects"]
    assert {"sighting", "threat-actor"} <= {o["type"] for o in objects}
    assert all(o.get("object_marking_refs") or o["type"] == "marking-definition" for o in objects)
    paged = requests.get(url, headers=headers, auth=keys["analyst"], params={"limit": 5}, timeout=30).json()
    assert paged["more"] is True and len(paged["objects"]) == 5 and paged["next"]
