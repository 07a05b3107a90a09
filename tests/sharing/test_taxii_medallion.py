"""TAXII client against a real OASIS medallion 3.0.0 server (memory backend) on 127.0.0.1."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from taxii2client.v21 import Collection
from typer.testing import CliRunner

from api.cli import app
from exports.stix import bundle_dict, to_stix
from exports.stix_scope import collect_scope
from exports.tlp import clearance
from graph.embedded_store import EmbeddedStore
from loaders.taxii import Cursors, Feed, poll
from tests.net import free_port, wait_for_port

COLLECTION = "365fed99-08fa-fdcd-a1b3-fb247eb41d01"
USER, PASSWORD = "partner", "s3cret-pass"


@pytest.fixture
def medallion(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    root = f"http://127.0.0.1:{port}/api1/"
    data = {"/discovery": {"title": "test", "default": root, "api_roots": [root]},
            "api1": {"information": {"title": "partner feed", "versions": ["application/taxii+json;version=2.1"],
                                     "max_content_length": 10_000_000},
                     "status": [],
                     "collections": [{"id": COLLECTION, "title": "partner intel", "can_read": True,
                                      "can_write": True, "media_types": ["application/stix+json;version=2.1"],
                                      "objects": [], "manifest": []}]}}
    (tmp_path / "data.json").write_text(json.dumps(data))
    config = {"backend": {"module": "medallion.backends.memory_backend", "module_class": "MemoryBackend",
                          "filename": str(tmp_path / "data.json")},
              "users": {USER: PASSWORD}, "taxii": {"max_page_size": 100}}
    (tmp_path / "config.json").write_text(json.dumps(config))
    medallion_bin = Path(sys.executable).parent / "medallion"
    proc = subprocess.Popen([str(medallion_bin), "--host", "127.0.0.1", "--port", str(port),
                             str(tmp_path / "config.json")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, process=proc, timeout_s=30, what="medallion")
        yield root
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _seed(root: str, objects: list[dict]) -> None:
    collection = Collection(f"{root}collections/{COLLECTION}/", user=USER, password=PASSWORD)
    status = collection.add_objects({"objects": objects})
    assert status.failure_count == 0


def test_poll_with_cursor_fetches_only_new_objects(sharing_store: EmbeddedStore, medallion: str,
                                                   tmp_path: Path) -> None:
    bundle = bundle_dict(to_stix(collect_scope(sharing_store), tlp="green", clearance=clearance("partner"),
                                 salt="s"))
    # gotcha 7: medallion 3.0.0 answers 500 for collections holding extension-definitions
    seed = [o for o in bundle["objects"] if o["type"] not in ("extension-definition", "marking-definition")]
    invalid = {"type": "location", "spec_version": "2.1", "id": "location--6ba7b810-9dad-41d1-80b4-00c04fd430c8",
               "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z"}
    _seed(medallion, [*seed, invalid])
    feed = Feed("partner", medallion, COLLECTION, USER, PASSWORD)
    cursors = Cursors(tmp_path / "taxii_cursors.json")

    first = poll(sharing_store, feed, cursors)
    assert first["fetched"] == first["read"] == len(seed) + 1
    assert first["imported"] == first["loaded"] == len(seed)
    assert first["rejected"] == 1
    with open(first["rejects_file"], encoding="utf-8", newline="") as handle:
        [reject] = list(csv.DictReader(handle))
    assert json.loads(reject["object"])["id"] == invalid["id"] and "Location" in reject["reason"]
    runs = {r["key"]: r for r in sharing_store.node_table("LoadRun", ("kind", "file", "read", "loaded", "rejected"))
            .to_pylist()}
    assert runs[first["run_id"]] == {"key": first["run_id"], "kind": "taxii", "file": first["file"],
                                     "read": len(seed) + 1, "loaded": len(seed), "rejected": 1}
    saved = json.loads(Path(first["file"]).read_text())  # what the partner sent, kept as sent
    assert saved["type"] == "bundle" and len(saved["objects"]) == len(seed) + 1
    assert cursors.get(feed) is not None
    assert Cursors(tmp_path / "taxii_cursors.json").get(feed) == cursors.get(feed)  # persisted

    second = poll(sharing_store, feed, cursors)
    assert second["fetched"] == 0 and second["imported"] == 0

    time.sleep(0.01)
    new = {"type": "attack-pattern", "spec_version": "2.1",
           "id": "attack-pattern--0a3ead4e-6d47-4ccb-854c-a6a4f9d96b22",
           "created": "2021-01-01T00:00:00.000Z", "modified": "2021-01-01T00:00:00.000Z",
           "name": "Ghost gun kits",
           "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}
    _seed(medallion, [new])
    third = poll(sharing_store, feed, cursors)
    assert third["fetched"] == 1 and third["imported"] == 1 and third["run_id"] != first["run_id"]
    intel = {r["key"]: r for r in sharing_store.node_table("Intel", ("tlp", "source", "name")).to_pylist()}
    assert intel[new["id"]]["tlp"] == "green" and intel[new["id"]]["source"] == "taxii:partner"
    assert sharing_store.edge_list("REFERS_TO", "Intel", "Firearm").num_rows > 0  # linked to our firearms


def test_cli_poll_all_feeds_from_toml(embedded_store: EmbeddedStore, medallion: str, tmp_path: Path) -> None:
    _seed(medallion, [{"type": "attack-pattern", "spec_version": "2.1",
                       "id": "attack-pattern--7e150503-88e7-4861-866b-ff1ac82c4475",
                       "created": "2021-01-01T00:00:00.000Z", "modified": "2021-01-01T00:00:00.000Z",
                       "name": "Theft from licensee"}])
    feeds = tmp_path / "feeds.toml"
    feeds.write_text(f'[[feed]]\nname = "p1"\napi_root = "{medallion}"\ncollection = "{COLLECTION}"\n'
                     f'user = "{USER}"\npassword = "{PASSWORD}"\n')
    db = embedded_store.path
    embedded_store.close()
    runner = CliRunner()
    result = runner.invoke(app, ["--db", str(db), "taxii", "poll", "--all", "--feeds", str(feeds)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])["feeds"][0]
    assert report["imported"] == 1 and report["rejected"] == 0 and report["run_id"].startswith("taxii-")
    again = runner.invoke(app, ["--db", str(db), "taxii", "poll", medallion, "--collection", COLLECTION,
                                "--user", USER, "--password", PASSWORD])
    assert json.loads(again.output.strip().splitlines()[-1])["feeds"][0]["fetched"] == 0
