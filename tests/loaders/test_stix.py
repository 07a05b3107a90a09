"""``tracegraph load stix``: real OASIS STIX 2.1 bundles and TLP 2.0 marking definitions through the loader
framework (load-run record, read = loaded + rejected + skipped, rejects with reasons)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from graph.embedded_store import EmbeddedStore
from graph.errors import InvalidInput
from loaders.base import LoadReport

SHARING = Path(__file__).parents[1] / "data" / "sharing"
TLP2_GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"


def _intel(store: EmbeddedStore) -> dict[str, dict[str, object]]:
    return {row["key"]: row for row in store.node_table("Intel", ("stix_type", "tlp", "source", "load_run_id"))
            .to_pylist()}


def _rejects(report: LoadReport) -> list[dict[str, str]]:
    assert report.rejects_file is not None
    with open(report.rejects_file, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_oasis_bundles_load_and_a_reload_writes_nothing(load: Callable[..., LoadReport],
                                                        embedded_store: EmbeddedStore) -> None:
    small = load("stix", SHARING / "indicators-for-C2-with-COA.json")
    report = load("stix", SHARING / "poisonivy.json")
    assert (small.read, small.loaded, small.rejected, small.skipped) == (8, 8, 0, 0)
    assert (report.read, report.loaded, report.rejected, report.skipped) == (155, 155, 0, 0)
    assert report.details["new_versions"] == 155 and report.run_id.startswith("stix-")
    intel = _intel(embedded_store)
    assert len(intel) == 163
    assert sum(1 for row in intel.values() if row["stix_type"] == "relationship") == 90 + 3
    assert {row["source"] for row in intel.values()} == {"file:indicators-for-C2-with-COA.json",
                                                         "file:poisonivy.json"}
    assert {row["tlp"] for row in intel.values()} == {"amber"}  # unmarked: not for further release
    assert {row["load_run_id"] for row in intel.values()} == {small.run_id, report.run_id}

    again = load("stix", SHARING / "poisonivy.json")
    assert (again.read, again.loaded, again.rejected) == (155, 155, 0)
    assert again.details["new_versions"] == 0 and again.details["already_held"] == 155
    assert len(_intel(embedded_store)) == 163
    runs = {r["key"]: r for r in embedded_store.node_table("LoadRun", ("kind", "read", "loaded", "rejected"))
            .to_pylist()}
    assert runs[report.run_id] == {"key": report.run_id, "kind": "stix", "read": 155, "loaded": 155,
                                   "rejected": 0}


@pytest.mark.parametrize("name", ["tlp-clear.json", "tlp-amber.json", "tlp-amber+strict.json"])
def test_tlp2_marking_definitions_are_skipped_not_stored(load: Callable[..., LoadReport],
                                                         embedded_store: EmbeddedStore, name: str) -> None:
    report = load("stix", SHARING / name)
    assert (report.read, report.loaded, report.rejected, report.skipped) == (1, 0, 0, 1)
    assert _intel(embedded_store) == {}


def test_objects_marked_tlp2_green_keep_their_level_and_a_bad_timestamp_is_rejected(
        load: Callable[..., LoadReport], embedded_store: EmbeddedStore, tmp_path: Path) -> None:
    # OASIS's own example, with only its missing "type": "bundle" put back: its relationship keeps upstream's
    # "created": "2022-101-27..." and must be rejected with the reason, the two other objects loaded.
    original = json.loads((SHARING / "using-tlp2.0-green.json").read_text())
    objects = [*json.loads((SHARING / "tlp-clear.json").read_text())["objects"], *original["objects"]]
    path = tmp_path / "tlp2-green.json"
    path.write_text(json.dumps({"type": "bundle", "id": original["id"], "objects": objects}))
    report = load("stix", path)
    assert (report.read, report.loaded, report.rejected, report.skipped) == (4, 2, 1, 1)
    [reject] = _rejects(report)
    assert reject["line"] == "4" and reject["reason"] == "created is not an RFC 3339 timestamp"
    assert json.loads(reject["object"])["id"] == "relationship--1621d4d4-b67d-11e3-9670-f01faf20d111"
    intel = _intel(embedded_store)
    assert sorted(row["stix_type"] for row in intel.values()) == ["identity", "threat-actor"]
    marked = dict(objects[3], id="indicator--0a3ead4e-6d47-4ccb-854c-a6a4f9d96b22", type="indicator",
                  created="2022-10-27T13:49:54.326Z", pattern="[ipv4-addr:value = '198.51.100.1']",
                  pattern_type="stix", valid_from="2022-10-27T13:49:54.326Z")
    for key in ("relationship_type", "source_ref", "target_ref"):
        marked.pop(key)
    assert marked["object_marking_refs"] == [TLP2_GREEN]
    path.write_text(json.dumps({"type": "bundle", "id": original["id"], "objects": [marked]}))
    load("stix", path)
    assert _intel(embedded_store)[marked["id"]]["tlp"] == "green"


def test_a_file_that_is_not_a_bundle_is_refused_with_one_line(load: Callable[..., LoadReport],
                                                              embedded_store: EmbeddedStore,
                                                              tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"using-tlp2\.0-green\.json: not a STIX bundle"):
        load("stix", SHARING / "using-tlp2.0-green.json")  # upstream forgot "type": "bundle"
    assert embedded_store.node_table("LoadRun").num_rows == 0  # refused before anything is written
    db = embedded_store.path
    embedded_store.close()
    result = subprocess.run([str(Path(sys.executable).parent / "tracegraph"), "--db", str(db), "load", "stix",
                             str(SHARING / "using-tlp2.0-green.json")], capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: using-tlp2.0-green.json: not a STIX bundle (JSON with type bundle and an objects list)"]


def test_cli_load_stix_prints_the_counts(tmp_path: Path) -> None:
    db = tmp_path / "g.lbug"
    runner = CliRunner()
    assert runner.invoke(app, ["--db", str(db), "init"]).exit_code == 0
    result = runner.invoke(app, ["--db", str(db), "load", "stix", str(SHARING / "poisonivy.json"), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert (summary["kind"], summary["read"], summary["loaded"], summary["rejected"]) == ("stix", 155, 155, 0)
