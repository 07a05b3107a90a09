"""TAXII 2.1 conformance of our server, checked with the OASIS taxii2-client and plain HTTP on a real uvicorn
server: object and versions endpoints, timestamps compared as time, TAXII error messages, ``match[...]``,
``limit`` capped, and a real ``date_added`` that delivers a late-loaded fact to a cursor taken before."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st
from taxii2client.v21 import Collection, as_pages
from typer.testing import CliRunner

from api.cli import app as cli_app
from api.security import KeyFile
from api.settings import Settings
from api.taxii import COLLECTIONS, TAXII
from exports.taxii_filters import MAX_PAGE, Entry, format_timestamp, page, parse_filters, parse_timestamp
from graph.embedded_store import EmbeddedStore
from graph.errors import InvalidInput
from tests.api.server import serving

STOLEN_TRACES = Path(__file__).parents[1] / "data" / "stolen" / "traces.csv"
AMBER = next(cid for cid, lvl in COLLECTIONS.items() if lvl == "amber")


def _keys(settings: Settings) -> dict[str, tuple[str, str]]:
    keys = {}
    for role in ("partner", "analyst"):
        record, secret = KeyFile.for_settings(settings).create(role, f"{role} agency", purpose="TAXII tests")
        keys[role] = (record.key_id, secret)
    return keys


@pytest.fixture
def amber(sharing_store: EmbeddedStore, tmp_path: Path) -> Iterator[tuple[str, tuple[str, str]]]:
    db = sharing_store.path
    sharing_store.close()
    settings = Settings(db=db, api_keys_file=tmp_path / "keys.json", audit_log=tmp_path / "audit.jsonl")
    analyst = _keys(settings)["analyst"]
    with serving(settings) as base:
        yield f"{base}/taxii2/api1/collections/{AMBER}/", analyst


def _get(url: str, auth: tuple[str, str], **params: str) -> requests.Response:
    return requests.get(url, headers={"Accept": TAXII}, auth=auth, params=params, timeout=30)


def test_taxii2_client_object_versions_and_big_pages(amber: tuple[str, tuple[str, str]]) -> None:
    url, (user, password) = amber
    collection = Collection(url, user=user, password=password)
    everything = [o for env in as_pages(collection.get_objects, per_request=2000) for o in env.get("objects", [])]
    assert everything and len({o["id"] for o in everything}) == len(everything)  # 2000 asked, capped, no 422
    sighting = next(o for o in everything if o["type"] == "sighting")
    got = collection.get_object(sighting["id"])
    assert [o["id"] for o in got["objects"]] == [sighting["id"]]
    versions = collection.object_versions(sighting["id"])
    assert versions["versions"] == [sighting["modified"]] and versions["more"] is False
    missing = _get(f"{url}objects/sighting--00000000-0000-4000-8000-000000000000/", (user, password))
    assert missing.status_code == 404 and missing.headers["content-type"] == TAXII
    assert missing.json()["http_status"] == "404"


def test_added_after_is_a_time_and_bad_filters_are_taxii_400s(amber: tuple[str, tuple[str, str]]) -> None:
    url, auth = amber
    manifest = _get(f"{url}manifest/", auth)
    entries = manifest.json()["objects"]
    added = {m["id"]: parse_timestamp(m["date_added"]) for m in entries}
    assert manifest.headers["X-TAXII-Date-Added-First"] == format_timestamp(min(added.values()))
    assert manifest.headers["X-TAXII-Date-Added-Last"] == format_timestamp(max(added.values()))
    newest_id, newest = max(added.items(), key=lambda kv: (kv[1], kv[0]))
    just_before = format_timestamp(newest - dt.timedelta(milliseconds=1))
    assert newest_id in {o["id"] for o in _get(f"{url}objects/", auth, added_after=just_before).json()["objects"]}
    assert _get(f"{url}objects/", auth, added_after=format_timestamp(newest)).json()["objects"] == []
    whole_second = newest.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")  # issue 18: was compared as text
    if newest.microsecond:
        assert _get(f"{url}objects/", auth, added_after=whole_second).json()["objects"]
    for bad in ("not-a-date", "2030", "9999-99-99", "2026-02-30T00:00:00Z"):
        response = _get(f"{url}objects/", auth, added_after=bad)
        assert response.status_code == 400, bad
        assert response.headers["content-type"] == TAXII
        body = response.json()
        assert body["http_status"] == "400" and body["title"] and "added_after" in body["description"]
    for params in ({"limit": "0"}, {"limit": "many"}, {"match[spec_version]": "3.0"}, {"next": "x"},
                   {"match[version]": "yesterday"}):
        response = _get(f"{url}objects/", auth, **params)
        assert response.status_code == 400 and response.headers["content-type"] == TAXII, params


def test_match_version_and_spec_version(amber: tuple[str, tuple[str, str]]) -> None:
    url, auth = amber
    objects = _get(f"{url}objects/", auth).json()["objects"]
    sighting = next(o for o in objects if o["type"] == "sighting")
    assert _get(f"{url}objects/", auth, **{"match[spec_version]": "2.0"}).json()["objects"] == []
    assert len(_get(f"{url}objects/", auth, **{"match[spec_version]": "2.0,2.1"}).json()["objects"]) == len(objects)
    exact = _get(f"{url}objects/", auth, **{"match[id]": sighting["id"], "match[version]": sighting["modified"]})
    assert [o["id"] for o in exact.json()["objects"]] == [sighting["id"]]
    other = _get(f"{url}objects/", auth, **{"match[id]": sighting["id"], "match[version]": "2001-01-01T00:00:00Z"})
    assert other.json()["objects"] == []
    for value in ("first", "last", "all"):
        one = _get(f"{url}objects/{sighting['id']}/", auth, **{"match[version]": value}).json()["objects"]
        assert [o["id"] for o in one] == [sighting["id"]], value


def test_limit_above_the_maximum_is_served_as_the_maximum() -> None:
    stamp = dt.datetime(2026, 12, 1)
    entries = [Entry({"id": f"note--{i:05d}", "type": "note"}, stamp, stamp) for i in range(2500)]
    filters = parse_filters(limit=2000)
    chunk, more, token = page(entries, filters)
    assert len(chunk) == MAX_PAGE and more and token == str(MAX_PAGE)
    rest = page(entries, parse_filters(limit=2000, next_=token))
    assert len(rest[0]) == MAX_PAGE and rest[2] == str(2 * MAX_PAGE)


@given(st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(9999, 12, 30)))
def test_timestamps_round_trip(value: dt.datetime) -> None:
    value = value.replace(microsecond=value.microsecond // 1000 * 1000)
    assert parse_timestamp(format_timestamp(value)) == value


@given(st.text(max_size=40))
def test_anything_else_is_invalid_input_not_a_crash(text: str) -> None:
    try:
        parsed = parse_timestamp(text)
    except InvalidInput:
        return
    assert isinstance(parsed, dt.datetime) and "T" in text.upper()


def _load(db: Path, path: Path) -> None:
    result = CliRunner().invoke(cli_app, ["--db", str(db), "load", "traces", str(path)])
    assert result.exit_code == 0, result.output


def test_a_late_trace_for_an_old_recovery_reaches_a_cursor_taken_before(tmp_path: Path) -> None:
    header, *rows = STOLEN_TRACES.read_text().splitlines()
    late_row = next(r for r in rows if r.startswith("S-2,2019-"))  # a 2019 recovery, traced late
    first, late = tmp_path / "first.csv", tmp_path / "late.csv"
    first.write_text("\n".join([header, *[r for r in rows if r != late_row]]) + "\n")
    late.write_text(f"{header}\n{late_row}\n")
    db = tmp_path / "store.lbug"
    assert CliRunner().invoke(cli_app, ["--db", str(db), "init"]).exit_code == 0
    _load(db, first)
    settings = Settings(db=db, api_keys_file=tmp_path / "keys.json", audit_log=tmp_path / "audit.jsonl")
    auth = _keys(settings)["analyst"]
    with serving(settings) as base:
        url = f"{base}/taxii2/api1/collections/{AMBER}/"
        before = _get(f"{url}objects/", auth, limit="1000")
        cursor = before.headers["X-TAXII-Date-Added-Last"]
        seen = {o["id"] for o in before.json()["objects"]}
        assert before.json()["more"] is False
        assert _get(f"{url}objects/", auth, added_after=cursor).json()["objects"] == []
    _load(db, late)
    with serving(settings) as base:
        url = f"{base}/taxii2/api1/collections/{AMBER}/"
        arrived = _get(f"{url}objects/", auth, added_after=cursor).json()["objects"]
    sightings = [o for o in arrived if o["type"] == "sighting"]
    assert len(sightings) == 1 and sightings[0]["id"] not in seen
    assert sightings[0]["first_seen"].startswith("2019-04-20")  # an old event, delivered after the cursor
