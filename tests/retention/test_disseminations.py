"""A record of every release (28 CFR 23.20(g)): partner exports need a recipient and a purpose, every release is
an entry in the audit chain (with the file's SHA-256), TAXII pulls and API reads by a partner key are recorded
per request, and ``tracegraph disseminations`` / ``GET /api/v1/disseminations`` read the verified chain."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
from pathlib import Path

import pytest
import requests
from taxii2client.v21 import Server, as_pages

from api.services.disseminations import COUNT_LIMIT_BYTES, count_objects
from api.settings import Settings
from graph.embedded_store import EmbeddedStore
from tests.api.server import serving
from tests.cli_run import tracegraph
from tests.keys import api_key
from tests.sharing.sharing_graph import populate

POLICE = ("--recipient", "Georgia State Police", "--purpose", "joint investigation GA-24-117")


def run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return tracegraph("--db", db, *args, cwd=db.parent, env={**os.environ, "TRACEGRAPH_DEBUG": "1", "COLUMNS": "200"})


def ok(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = run(db, *args)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "shared.lbug"
    with EmbeddedStore(path) as store:
        store.init_schema()
        populate(store)
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def audit_lines(db: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (db.parent / "audit.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("args", [
    ("export", "stix", "--tlp", "green", "--out", "b.json"),  # --role partner is the default
    ("export", "stix", "--tlp", "green", "--out", "b.json", "--recipient", "Georgia State Police"),
    ("export", "geojson", "--role", "partner", "--out", "g.json", "--purpose", "corridor study"),
    ("report", "case", "N1", "--out", "reports", "--no-pdf"),
    ("evidence", "package", "--case", "C-1", "--out", "p.zip", "--tsa-url", "http://127.0.0.1:9/"),
    ("apikey", "create", "--role", "partner", "--name", "Georgia State Police"),
    ("apikey", "create", "--role", "partner", "--purpose", "joint investigation"),
])
def test_a_release_without_recipient_and_purpose_is_refused_in_one_line(db: Path, args: tuple[str, ...]) -> None:
    result = run(db, *args)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "--recipient" in result.stderr or "--purpose" in result.stderr or "--name" in result.stderr
    assert not (db.parent / "b.json").exists() and not (db.parent / "reports").exists()


def test_cli_exports_are_recorded_with_the_digest_of_the_file_written(db: Path, tmp_path: Path) -> None:
    bundle, layers = tmp_path / "bundle.json", tmp_path / "layers.geojson"
    ok(db, "export", "stix", "--tlp", "green", "--out", str(bundle), *POLICE)
    ok(db, "export", "geojson", "--role", "partner", "--out", str(layers), *POLICE)
    ok(db, "export", "stix", "--tlp", "red", "--role", "investigator", "--out", str(tmp_path / "inside.json"))
    formula = "=HYPERLINK(\"http://x\")"  # a recipient typed by someone careless or hostile
    ok(db, "report", "case", "N1", "--out", str(tmp_path / "reports"), "--no-pdf", "--recipient", formula,
       "--purpose", "prosecution of case 24-117")

    listed = json.loads(ok(db, "disseminations", "--format", "json").stdout)
    assert [r["channel"] for r in listed] == ["export stix", "export geojson", "report case"]  # not the internal one
    stix, geo, case = listed
    assert stix["recipient"] == "Georgia State Police" and stix["purpose"] == "joint investigation GA-24-117"
    assert stix["sha256"] == sha256(bundle) and stix["tlp"] == "green"
    assert stix["objects"] == len(json.loads(bundle.read_text())["objects"])
    assert geo["sha256"] == sha256(layers) and geo["objects"] == len(json.loads(layers.read_text())["features"])
    [page] = (tmp_path / "reports").glob("*.html")
    assert case["sha256"] == sha256(page)
    assert case["tlp"] == "red" and case["objects"] == 2 and case["target"] == "report:case:N1"
    assert all(r["time"] and r["actor"] for r in listed)

    rows = list(csv.DictReader(io.StringIO(ok(db, "disseminations", "--format", "csv").stdout)))
    assert rows[2]["recipient"] == "'" + formula  # formula-safe
    table = ok(db, "disseminations").stdout
    assert "Georgia State Police" in table and "export stix" in table
    only = json.loads(ok(db, "disseminations", "--format", "json", "--recipient", "georgia state police").stdout)
    assert [r["seq"] for r in only] == [stix["seq"], geo["seq"]]
    assert json.loads(ok(db, "disseminations", "--format", "json", "--since", "2999-01-01").stdout) == []
    assert run(db, "disseminations", "--since", "last week").returncode == 2

    # the record is the audit chain: an edited entry is reported, not listed
    log = db.parent / "audit.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    position = next(i for i, line in enumerate(lines) if '"disseminate"' in line)
    lines[position] = lines[position].replace("Georgia State Police", "Georgia State Polise")
    log.write_text("".join(lines), encoding="utf-8")
    broken = run(db, "disseminations")
    assert broken.returncode == 1 and len(broken.stderr.strip().splitlines()) == 1
    assert "broken" in broken.stderr and "Georgia" not in broken.stdout


def test_taxii_pulls_and_api_reads_by_a_partner_key_are_recorded_per_request(db: Path, tmp_path: Path) -> None:
    created = json.loads(ok(db, "apikey", "create", "--role", "partner", "--name", "Georgia Bureau",
                            "--purpose", "firearms trafficking task force 24-3", "--json").stdout)
    assert created["purpose"] == "firearms trafficking task force 24-3"
    listed = json.loads(ok(db, "apikey", "list").stdout.splitlines()[0])
    assert listed["purpose"] == created["purpose"] and "secret" not in json.dumps(listed)
    partner_id, partner_secret = created["key_id"], created["secret"]
    settings = Settings(db=db)
    admin = api_key(settings, "admin", name="supervisor", purpose=None)
    analyst = api_key(settings, "analyst", name="desk", purpose=None)

    with serving(settings) as base:
        root = Server(f"{base}/taxii2/", user=partner_id, password=partner_secret).api_roots[0]
        green = next(c for c in root.collections if c.title == "tracegraph TLP:GREEN")
        pages = [envelope.get("objects", []) for envelope in as_pages(green.get_objects, per_request=5)]
        polled = sum(len(page) for page in pages)
        assert len(pages) >= 2 and polled > 5
        partner = {"X-API-Key": f"{partner_id}.{partner_secret}"}
        bundle = requests.get(f"{base}/api/v1/exports/stix", params={"tlp": "clear"}, headers=partner, timeout=60)
        assert bundle.status_code == 200
        refused = requests.get(f"{base}/api/v1/exports/stix", params={"tlp": "red"}, headers=partner, timeout=60)
        assert refused.status_code == 403
        for key in (analyst, f"{partner_id}.{partner_secret}"):
            assert requests.get(f"{base}/api/v1/disseminations", headers={"X-API-Key": key},
                                timeout=60).status_code == 403
        answer = requests.get(f"{base}/api/v1/disseminations", headers={"X-API-Key": admin}, timeout=60)
        assert answer.status_code == 200, answer.text
        api_items = answer.json()["items"]
        assert answer.json()["entries_verified"] > len(api_items)

    taxii = [r for r in api_items if r["channel"] == "taxii"]
    assert [r["objects"] for r in taxii] == [len(page) for page in pages]  # one record per page pulled
    assert all(r["recipient"] == "Georgia Bureau" and r["purpose"] == "firearms trafficking task force 24-3"
               and r["tlp"] == "green" and r["actor"] == partner_id for r in taxii)
    [read] = [r for r in api_items if r["channel"] == "api"]  # the refused read is not a release
    assert read["tlp"] == "clear" and read["objects"] == len(bundle.json()["objects"])
    assert read["target"] == "api:GET /api/v1/exports/stix"
    assert len(api_items) == len(taxii) + 1  # discovery, collections and the token are not releases

    # one record, two faces: the CLI lists what the API listed
    cli = json.loads(ok(db, "disseminations", "--format", "json", "--recipient", "Georgia Bureau").stdout)
    assert cli == api_items


def test_what_an_api_answer_released_is_counted_from_the_answer() -> None:
    assert count_objects(b'{"more": false, "objects": [{"id": 1}, {"id": 2}]}') == 2  # a TAXII envelope
    assert count_objects(b'{"type": "FeatureCollection", "features": [{}, {}, {}]}') == 3
    assert count_objects(b'{"items": [], "next_cursor": null}') == 0
    assert count_objects(b'[1, 2]') == 2 and count_objects(b'{"person_key": "P1"}') == 1
    assert count_objects(b"<svg/>") is None and count_objects(b"") is None
    assert count_objects(b"[" + b"1," * (COUNT_LIMIT_BYTES // 2) + b"1]") is None  # too large to read again
