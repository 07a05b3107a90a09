"""TAXII collections are built once per TLP level and shared by every key (issue 23, TAXII cold start), and each
key still receives exactly the bundle its own pseudonym salt gives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import taxii_collections
from api.app import create_app
from api.security import ApiKeyRecord, KeyFile
from api.settings import Settings
from api.taxii import COLLECTIONS, TAXII
from exports.stix import bundle_dict, to_stix_dated
from exports.stix_scope import ScopeRecords, collect_scope
from exports.tlp import clearance
from graph.embedded_store import EmbeddedStore

LEVEL_ID = {lvl: cid for cid, lvl in COLLECTIONS.items()}
ROOT = "/taxii2/api1/collections"


@pytest.fixture(params=[False], ids=["lazy"])
def served(request: pytest.FixtureRequest, sharing_store: EmbeddedStore, tmp_path: Path
           ) -> Iterator[tuple[TestClient, list[tuple[ApiKeyRecord, str]], ScopeRecords]]:
    records = collect_scope(sharing_store, "all")
    db = sharing_store.path
    sharing_store.close()
    settings = Settings(db=db, api_keys_file=tmp_path / "keys.json", audit_log=tmp_path / "audit.jsonl",
                        api_taxii_warm=request.param)
    key_file = KeyFile.for_settings(settings)
    partners = [key_file.create("partner", f"partner {n}", "amber", purpose="TAXII tests") for n in range(5)]
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client, partners, records


def _headers(key: tuple[ApiKeyRecord, str]) -> dict[str, str]:
    return {"X-API-Key": f"{key[0].key_id}.{key[1]}", "Accept": TAXII}


def _objects(client: TestClient, key: tuple[ApiKeyRecord, str], lvl: str, **params: str) -> list[dict[str, Any]]:
    got = client.get(f"{ROOT}/{LEVEL_ID[lvl]}/objects/", headers=_headers(key), params=params)
    assert got.status_code == 200, got.text
    objects: list[dict[str, Any]] = got.json()["objects"]
    return objects


def _person_ids(objects: list[dict[str, Any]]) -> set[str]:
    return {o["id"] for o in objects if o["type"] == "identity" and o.get("identity_class") == "individual"}


def test_five_partner_keys_share_one_build_per_level_and_each_gets_its_own_pseudonyms(served) -> None:  # type: ignore[no-untyped-def]
    client, partners, records = served
    polled = {key[0].key_id: _objects(client, key, "amber") for key in partners}
    for key in partners:
        _objects(client, key, "green")
    shared = taxii_collections.for_context(client.app.state.context)  # type: ignore[attr-defined]
    assert shared.builds == 2  # amber once and green once, for five keys

    person_ids = [_person_ids(objects) for objects in polled.values()]
    assert all(len(ids) == 2 for ids in person_ids)  # the two planted persons, masked
    assert len(set().union(*person_ids)) == 10  # no two keys share a person's id: unlinkable across partners
    for key in partners:  # each key receives exactly what the export gives for its own salt
        bundle, _added = to_stix_dated(records, tlp="amber", clearance=clearance("partner", "amber"),
                                       salt=key[0].pseudonym_salt)
        expected = {o["id"]: o for o in bundle_dict(bundle)["objects"]}
        got = {o["id"]: o for o in polled[key[0].key_id]}
        assert got == expected
    assert sorted(shared.levels()) == [("amber", True), ("green", True)]


def test_a_key_finds_its_own_person_by_id_and_never_another_keys(served) -> None:  # type: ignore[no-untyped-def]
    client, partners, _records = served
    first, second = partners[0], partners[1]
    mine = sorted(_person_ids(_objects(client, first, "amber")))
    theirs = sorted(_person_ids(_objects(client, second, "amber")))
    one = client.get(f"{ROOT}/{LEVEL_ID['amber']}/objects/{mine[0]}/", headers=_headers(first))
    assert one.status_code == 200, one.text
    assert [o["id"] for o in one.json()["objects"]] == [mine[0]]
    assert _objects(client, first, "amber", **{"match[id]": ",".join(mine)}) and \
        _person_ids(_objects(client, first, "amber", **{"match[id]": ",".join(mine)})) == set(mine)
    assert _objects(client, first, "amber", **{"match[id]": theirs[0]}) == []
    other = client.get(f"{ROOT}/{LEVEL_ID['amber']}/objects/{theirs[0]}/", headers=_headers(first))
    assert other.status_code == 404
    manifest = client.get(f"{ROOT}/{LEVEL_ID['amber']}/manifest/", headers=_headers(first))
    assert {row["id"] for row in manifest.json()["objects"]} >= set(mine)
    assert not {row["id"] for row in manifest.json()["objects"]} & set(theirs)


@pytest.mark.parametrize("served", [True], ids=["warm"], indirect=True)
def test_the_server_builds_what_partners_read_in_the_background_so_no_key_waits_for_a_build(served) -> None:  # type: ignore[no-untyped-def]
    client, partners, _records = served
    context = client.app.state.context  # type: ignore[attr-defined]
    context.__dict__["taxii_warm"].join(timeout=120)
    shared = taxii_collections.for_context(context)
    # amber partners read CLEAR, GREEN and AMBER; nobody asked yet, and RED (investigators') is left to its request
    assert sorted(shared.levels()) == [("amber", True), ("clear", True), ("green", True)]
    for key in partners:
        assert _person_ids(_objects(client, key, "amber"))
    assert shared.builds == 3  # the warm-up's three, none for the requests
