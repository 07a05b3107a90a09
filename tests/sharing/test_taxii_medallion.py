"""TAXII client against a real OASIS medallion 3.0.0 server (memory backend) on 127.0.0.1."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
from pathlib import Path

from medallion_durable import COLLECTION, PASSWORD, USER, Medallion
from taxii2client.v21 import Collection
from typer.testing import CliRunner

from api.cli import app
from exports.stix import bundle_dict, to_stix
from exports.stix_scope import collect_scope
from exports.tlp import clearance
from graph.embedded_store import EmbeddedStore
from loaders.taxii import Cursors, Feed, poll
from tests.net import silent_port


def _seed(server: Medallion, objects: list[dict]) -> None:
    collection = Collection(server.collection_url, user=USER, password=PASSWORD)
    status = collection.add_objects({"objects": objects})
    assert status.failure_count == 0


def test_poll_with_cursor_fetches_only_new_objects(sharing_store: EmbeddedStore, medallion: Medallion,
                                                   tmp_path: Path) -> None:
    bundle = bundle_dict(to_stix(collect_scope(sharing_store), tlp="green", clearance=clearance("partner"),
                                 salt="s"))
    # gotcha 7: medallion 3.0.0 answers 500 for collections holding extension-definitions
    seed = [o for o in bundle["objects"] if o["type"] not in ("extension-definition", "marking-definition")]
    invalid = {"type": "location", "spec_version": "2.1", "id": "location--6ba7b810-9dad-41d1-80b4-00c04fd430c8",
               "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z"}
    _seed(medallion, [*seed, invalid])
    feed = Feed("partner", medallion.api_root, COLLECTION, USER, PASSWORD)
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


def test_cli_poll_all_feeds_from_toml(embedded_store: EmbeddedStore, medallion: Medallion, tmp_path: Path
                                      ) -> None:
    _seed(medallion, [{"type": "attack-pattern", "spec_version": "2.1",
                       "id": "attack-pattern--7e150503-88e7-4861-866b-ff1ac82c4475",
                       "created": "2021-01-01T00:00:00.000Z", "modified": "2021-01-01T00:00:00.000Z",
                       "name": "Theft from licensee"}])
    feeds = tmp_path / "feeds.toml"
    feeds.write_text(f'[[feed]]\nname = "p1"\napi_root = "{medallion.api_root}"\ncollection = "{COLLECTION}"\n'
                     f'user = "{USER}"\npassword = "{PASSWORD}"\n')
    db = embedded_store.path
    embedded_store.close()
    runner = CliRunner()
    result = runner.invoke(app, ["--db", str(db), "taxii", "poll", "--all", "--feeds", str(feeds)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])["feeds"][0]
    assert report["imported"] == 1 and report["rejected"] == 0 and report["run_id"].startswith("taxii-")
    again = runner.invoke(app, ["--db", str(db), "taxii", "poll", medallion.api_root, "--collection", COLLECTION,
                                "--user", USER, "--password", PASSWORD])
    assert json.loads(again.output.strip().splitlines()[-1])["feeds"][0]["fetched"] == 0


def test_a_feed_that_never_answers_is_one_line_and_exit_2_within_the_timeout(embedded_store: EmbeddedStore,
                                                                              tmp_path: Path) -> None:
    """taxii2-client sets no timeout: before, a server that took the connection and never answered held the poll
    (and the store it had open) for ever."""
    db = embedded_store.path
    embedded_store.close()
    with silent_port() as port:
        began = time.monotonic()
        done = subprocess.run([sys.executable, "-c", "from api.cli import main; main()", "--db", str(db), "taxii",
                               "poll", f"http://{USER}:{PASSWORD}@127.0.0.1:{port}/api1/", "--collection",
                               COLLECTION, "--password", PASSWORD, "--timeout", "1"],
                              capture_output=True, text=True, timeout=120)
        took = time.monotonic() - began
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.strip().splitlines()
    assert f"127.0.0.1:{port}/api1/: no answer within 1 s (ReadTimeout)" in line
    assert PASSWORD not in line and USER not in line  # credentials in the URL are not shown
    assert took < 30  # the process start and one timed-out request, not a hang
    assert not Cursors(tmp_path / "taxii_cursors.json").values  # nothing fetched, no cursor moved
