"""The CLI and the HTTP API give the same answer to every question they share (issue #17).

Each question runs through the real CLI (typer's CliRunner, JSON output, over the store file) and the real API
(TestClient with an investigator's key, over a byte copy of the same store, answering from its snapshot), on
the simulated world and on the store loaded from real public files where the question applies. Numbers are
compared at the CLI's printed precision (4 decimals).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.security import KeyFile
from api.settings import Settings
from tests.services.conftest import World

TOP = 20


class Surfaces:
    """One world seen through the CLI and through the API."""

    def __init__(self, world: World, client: TestClient, key: str) -> None:
        self.world, self.client, self.key = world, client, key

    def cli(self, *args: str) -> Any:
        from api.cli import app

        result = CliRunner().invoke(app, ["--db", str(self.world.cli_db), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout.strip().splitlines()[-1]) if result.stdout.strip() else None

    def post(self, url: str, body: dict[str, Any]) -> Any:
        response = self.client.post(url, json=body, headers={"X-API-Key": self.key})
        assert response.status_code == 200, response.text
        return response.json()

    def api(self, url: str) -> Any:
        response = self.client.get(url, headers={"X-API-Key": self.key})
        assert response.status_code == 200, response.text
        return response.json()


def _surfaces(world: World) -> Iterator[Surfaces]:
    settings = Settings(db=world.api_db)
    record, secret = KeyFile.for_settings(settings).create("investigator", "cli-api equality")
    with TestClient(create_app(settings), raise_server_exceptions=True) as client:
        yield Surfaces(world, client, f"{record.key_id}.{secret}")


@pytest.fixture(scope="module")
def demo(demo_world: World) -> Iterator[Surfaces]:
    yield from _surfaces(demo_world)


@pytest.fixture(scope="module")
def public(public_world: World) -> Iterator[Surfaces]:
    yield from _surfaces(public_world)


def num(value: Any) -> Any:
    return None if value is None else round(float(value), 4)


def test_straw_queue(demo: Surfaces) -> None:
    cli = demo.cli("straw", "--top", str(TOP), "--format", "json")
    api = demo.api(f"/api/v1/straw-queue?limit={TOP}")["items"]
    assert len(cli) == TOP
    assert [(r["rank"], r["person_key"], num(r["score"]), r["network_id"]) for r in cli] == [
        (i, p["person_key"], num(p["straw_score"]), p["network_id"]) for i, p in enumerate(api, start=1)]
    assert [r["indicators"] for r in cli] == [p["indicators"] for p in api]


def test_straw_queue_api_pages_are_slices_of_the_cli_list(demo: Surfaces) -> None:
    cli = demo.cli("straw", "--top", "30", "--format", "json")
    first = demo.api("/api/v1/straw-queue?limit=12")
    second = demo.api(f"/api/v1/straw-queue?limit=18&cursor={first['next_cursor']}")
    assert [p["person_key"] for p in first["items"] + second["items"]] == [r["person_key"] for r in cli]


def test_dealer_anomalies(demo: Surfaces) -> None:
    cli = demo.cli("dealers", "--top", str(TOP), "--format", "json")
    api = demo.api(f"/api/v1/dealer-anomalies?limit={TOP}")["items"]
    assert len(cli) == TOP
    assert [(r["rank"], r["license_number"], num(r["score"]), r["indicators"]) for r in cli] == [
        (i, d["license_number"], num(d["anomaly_score"]), d["indicators"]) for i, d in enumerate(api, start=1)]


def test_networks(demo: Surfaces) -> None:
    cli = demo.cli("communities", "--format", "json")
    api = demo.api("/api/v1/networks?limit=500")["items"]
    assert cli and [(r["review_rank"], r["network_id"], num(r["score"]), r["size"]) for r in cli] == [
        (n["review_rank"], n["network_id"], num(n["score"]), n["size"]) for n in api]


CORRIDOR_QUESTIONS = [("--top", str(TOP)), ("--level", "city", "--top", str(TOP)),
                      ("--into", "NY", "--top", "10"), ("--from", "VA", "--years", "2019-2023", "--top", "10")]


def _corridor_api_url(args: tuple[str, ...]) -> str:
    names = {"--top": "top", "--level": "level", "--into": "into", "--from": "from", "--years": "years",
             "--year": "year", "--basis": "basis"}
    pairs = dict(zip(args[::2], args[1::2], strict=True))
    return "/api/v1/corridors?" + "&".join(f"{names[k]}={v}" for k, v in pairs.items())


def _corridors_agree(surfaces: Surfaces, args: tuple[str, ...]) -> int:
    cli = surfaces.cli("corridors", *args, "--format", "json") or []
    api = surfaces.api(_corridor_api_url(args))["items"]
    assert [(r["rank"], r["src"], r["dst"], r["year"], r["basis"], r["firearms"], num(r["score"])) for r in cli] == [
        (c["rank"], c["src"]["key"], c["dst"]["key"], c["year"], c["basis"], c["firearms"], num(c["score"]))
        for c in api]
    return len(cli)


@pytest.mark.parametrize("args", CORRIDOR_QUESTIONS, ids=["state", "city", "into-ny", "from-va"])
def test_corridors(demo: Surfaces, args: tuple[str, ...]) -> None:
    assert _corridors_agree(demo, args)


@pytest.mark.parametrize("args", [("--into", "NY", "--year", "2016", "--top", "10"),
                                  ("--from", "GA", "--years", "2013-2016", "--top", "50"), ("--top", "25")],
                         ids=["into-ny-2016", "from-ga", "all"])
def test_corridors_on_atf_tables(public: Surfaces, args: tuple[str, ...]) -> None:
    assert _corridors_agree(public, args)


def _profile_agrees(surfaces: Surfaces, license_number: str) -> None:
    cli = surfaces.cli("dealer", "profile", license_number, "--format", "json")
    api = surfaces.api(f"/api/v1/dealers/{license_number}")["transparency"]
    api.pop("withheld")
    assert cli == api


def test_dealer_profile(demo: Surfaces) -> None:
    for row in demo.cli("dealers", "--top", "5", "--format", "json"):
        _profile_agrees(demo, row["license_number"])


def test_dealer_profile_on_real_ffl_list_and_inspections(public: Surfaces) -> None:
    from graph.embedded_store import EmbeddedStore

    with EmbeddedStore(public.world.cli_db) as store:
        inspected = sorted(set(store.edge_list("INSPECTED", "Dealer", "Inspection").column("src").to_pylist()))
        listed = store.node_table("Dealer", ("license_number",)).column("license_number").to_pylist()
    assert inspected and listed
    for reference in [*inspected[:3], *[n for n in listed if n][:3]]:
        _profile_agrees(public, reference)


def test_path(demo: Surfaces) -> None:
    persons = [r["person_key"] for r in demo.cli("straw", "--top", "5", "--format", "json")]
    dealers = [r["license_number"] for r in demo.cli("dealers", "--top", "2", "--format", "json")]
    found = 0
    for person in persons:
        for dealer in dealers:
            # no --max-hops / max_hops: the two faces share one default too
            cli = demo.cli("path", f"person:{person}", f"dealer:{dealer}")
            api = demo.api(f"/api/v1/paths?source=person:{person}&target=dealer:{dealer}")
            assert (cli["found"], cli["hops"]) == (api["found"], api["hops"])
            assert [(n["label"], n["key"]) for n in cli["nodes"]] == [(n["label"], n["key"]) for n in api["nodes"]]
            found += cli["found"]
    assert found


def test_firearm_chain(demo: Surfaces) -> None:
    """Recovered guns bought by the top of the straw queue: the CLI's chain and the API's are the same."""
    from graph.embedded_store import EmbeddedStore

    with EmbeddedStore(demo.world.cli_db) as store:
        recovered = store.edge_list("RECOVERED_IN", "Firearm", "Recovery").column("src").to_pylist()
        linked = store.edge_list("NIBIN_LINK", "Recovery", "Recovery").column("src").to_pylist()
        by_trace = dict(zip(store.edge_list("RECOVERED_IN", "Firearm", "Recovery").column("dst").to_pylist(),
                            recovered, strict=True))
    keys = sorted(set(recovered))[:8] + [by_trace[t] for t in sorted(set(linked))[:4] if t in by_trace]
    assert len(keys) >= 10
    for key in keys:
        cli = demo.cli("firearms", "chain", f"firearm:{key}")
        api = demo.api(f"/api/v1/firearms/{quote(key, safe='')}")
        assert cli["firearm_key"] == api["firearm"]["firearm_key"] == key
        assert [(s["dealer_key"], s["sale_date"]) for s in cli["sales"]] == [
            (s["dealer_key"], s["sale_date"]) for s in api["sales"]]
        assert [(p["person_key"], p["sale_id"], p["purchase_date"]) for p in cli["purchases"]] == [
            (p["purchaser"]["person_key"], p["sale_id"], p["purchase_date"]) for p in api["purchases"]]
        assert [(r["trace_id"], [x["person_key"] for x in r["possessors"]]) for r in cli["recoveries"]] == [
            (r["trace_id"], [x["person_key"] for x in r["possessors"]]) for r in api["recoveries"]]
        assert [n["lead_id"] for n in cli["nibin_links"]] == [n["lead_id"] for n in api["nibin_links"]]


def test_search(demo: Surfaces) -> None:
    """Names (last name alone and 'LAST, FIRST'), serials and license numbers: the same hits in the same order."""
    from graph.embedded_store import EmbeddedStore

    with EmbeddedStore(demo.world.cli_db) as store:
        serials = [s for s in store.node_table("Firearm", ("serial_number",)).column("serial_number").to_pylist()
                   if s][:5]
    persons = demo.cli("straw", "--top", "5", "--format", "json")
    dealers = [r["license_number"] for r in demo.cli("dealers", "--top", "3", "--format", "json")]
    questions = ([("name", p["last_name"].lower()) for p in persons]
                 + [("name", f"{p['last_name']}, {p['first_name'][:2]}") for p in persons]
                 + [("serial", s) for s in serials] + [("license", d) for d in dealers] + [("name", "NOSUCHNAME")])
    found: dict[str, int] = {}
    for kind, text in questions:
        cli = demo.cli("search", kind, text, "--limit", "50")
        api = demo.post("/api/v1/search", {"kind": kind, "q": text, "limit": 50})["items"]
        assert cli == api, (kind, text)
        found[kind] = found.get(kind, 0) + bool(cli)
    assert found["name"] >= 5 and found["serial"] >= 3 and found["license"] == len(dealers), found


def _stix_members(bundle: dict[str, Any], network_id: str) -> set[str]:
    members = set()
    for obj in bundle["objects"]:
        if obj["type"] != "identity":
            continue
        for ext in (obj.get("extensions") or {}).values():
            if ext.get("network_id") == network_id:
                members.add(ext["person_key"])
    return members


def test_network_members_are_one_fact_in_stix_and_the_api(demo: Surfaces, tmp_path: Path) -> None:
    """MEMBER_OF is the membership: the CLI's STIX export, the API's STIX export and the API's network view
    list the same persons (every member, scored or not)."""
    networks = demo.api("/api/v1/networks?all=true&limit=500")["items"]
    assert networks
    for network in networks[:5]:
        network_id = network["network_id"]
        members = demo.api(f"/api/v1/networks/{network_id}?limit=1000")["members"]
        assert {p["network_id"] for p in members} == {network_id}  # scored or not, each member says so
        api_members = {p["person_key"] for p in members}
        out = tmp_path / f"{network_id}.json"
        demo.cli("export", "stix", "--tlp", "red", "--role", "investigator", "--scope", f"network:{network_id}",
                 "--out", str(out))
        cli_members = _stix_members(json.loads(out.read_text(encoding="utf-8")), network_id)
        api_stix = demo.api(f"/api/v1/exports/stix?network={network_id}&tlp=red")
        assert len(api_members) == network["size"]
        assert api_members == cli_members == _stix_members(api_stix, network_id)
