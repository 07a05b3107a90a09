"""TAXII collections are built once per level and clearance and shared by every key: a new partner key's first
page comes at once, and each key still receives exactly what ``to_stix`` makes with its own pseudonym salt."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

from api.security import KeyFile
from api.settings import Settings
from api.taxii import COLLECTIONS, TAXII, _added
from exports.stix import bundle_dict, to_stix
from exports.stix_scope import collect_scope
from exports.tlp import clearance
from graph.embedded_store import EmbeddedStore
from tests.api.server import serving


def all_objects(http: httpx.Client, collection: str, key: tuple[str, str]) -> list[dict[str, object]]:
    objects: list[dict[str, object]] = []
    token: str | None = None
    while True:
        params = {"limit": "7", **({"next": token} if token else {})}
        page = http.get(f"/taxii2/api1/collections/{collection}/objects/", params=params, auth=key,
                        headers={"Accept": TAXII})
        assert page.status_code == 200, page.text
        body = page.json()
        objects += body["objects"]
        token = body.get("next")
        if not body["more"]:
            return objects


def test_two_partner_keys_share_one_build_and_each_gets_its_own_pseudonyms(sharing_store: EmbeddedStore,
                                                                          tmp_path: Path) -> None:
    amber = next(cid for cid, lvl in COLLECTIONS.items() if lvl == "amber")  # masked persons are shared here
    reference_records = collect_scope(sharing_store, "all")
    db = sharing_store.path
    sharing_store.close()
    settings = Settings(db=db, api_keys_file=tmp_path / "keys.json", audit_log=tmp_path / "audit.jsonl")
    keys = [KeyFile.for_settings(settings).create("partner", f"partner {i}", "amber") for i in range(3)]
    with serving(settings) as base, httpx.Client(base_url=base, timeout=120) as http:
        first = all_objects(http, amber, (keys[0][0].key_id, keys[0][1]))
        started = time.monotonic()
        page = http.get(f"/taxii2/api1/collections/{amber}/objects/", params={"limit": "50"},
                        auth=(keys[1][0].key_id, keys[1][1]), headers={"Accept": TAXII})
        assert page.status_code == 200 and time.monotonic() - started < 3  # the build is shared
        second = all_objects(http, amber, (keys[1][0].key_id, keys[1][1]))
    for (record, _), got in ((keys[0], first), (keys[1], second)):
        expected = bundle_dict(to_stix(reference_records, tlp="amber", clearance=clearance("partner", "amber"),
                                       salt=record.pseudonym_salt))["objects"]
        assert sorted(map(json.dumps, got)) == sorted(map(json.dumps, expected))
        assert [_added(o) for o in got] == sorted(_added(o) for o in got)
    masked = {o["id"] for o in first if o.get("identity_class") == "individual"}
    assert masked and masked.isdisjoint({o["id"] for o in second})  # pseudonyms differ between the keys
