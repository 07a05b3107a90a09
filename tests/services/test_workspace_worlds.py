"""The workspace API (issue 19) on the simulated world and on the store loaded from the real public files
(tests/services/conftest.py: Virginia FFL list excerpts, ATF inspection reports, ATF state tables, UCR hotspots).

Each module works on its own byte copy of the API store (reviews write to it)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from tests.keys import api_key, auth
from tests.services.conftest import World


@dataclass(frozen=True)
class Workspace:
    client: TestClient
    investigator: dict[str, str]
    admin: dict[str, str]
    partner: dict[str, str]  # cleared for AMBER: sees masked persons

    def get(self, url: str, who: dict[str, str], **params: Any) -> Any:
        answer = self.client.get(url, params=params, headers=who)
        assert answer.status_code == 200, answer.text
        return answer.json()


def _workspace(world: World, root: Path) -> Iterator[Workspace]:
    copy = root / "api"
    shutil.copytree(world.api_db.parent, copy)
    settings = Settings(db=copy / world.api_db.name)

    def key(role: str, tlp: str | None = None) -> dict[str, str]:
        return auth(api_key(settings, role, tlp, name=f"workspace {role}", purpose="workspace tests"))

    with TestClient(create_app(settings), raise_server_exceptions=True) as client:
        yield Workspace(client, key("investigator"), key("admin"), key("partner", "amber"))


@pytest.fixture(scope="module")
def demo(demo_world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    yield from _workspace(demo_world, tmp_path_factory.mktemp("ws-demo"))


@pytest.fixture(scope="module")
def public(public_world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    yield from _workspace(public_world, tmp_path_factory.mktemp("ws-public"))


def personal_words(persons: list[dict[str, Any]]) -> set[str]:
    """Names, dates of birth and streets of persons as an investigator sees them (3 characters or more)."""
    words = set()
    for person in persons:
        for field in ("last_name", "first_name", "dob", "street"):
            value = person["props"].get(field)
            if value and len(str(value)) >= 3:
                words.add(str(value))
    return words


def leaked(words: set[str], text: str) -> list[str]:
    """The words that stand in ``text`` as whole tokens (a first name "lowe" is not leaked by a JSON key
    ``relative_risk_lower_5pct``)."""
    return [w for w in sorted(words) if re.search(rf"(?<![A-Za-z0-9]){re.escape(w)}(?![A-Za-z0-9])", text)]


def test_leaked_finds_a_name_as_a_value_not_inside_another_word() -> None:
    assert leaked({"lowe", "2183 MADISON RD #24"}, '{"first_name":"lowe","street":"2183 MADISON RD #24"}') == [
        "2183 MADISON RD #24", "lowe"]
    assert leaked({"lowe"}, '{"indicator":"relative_risk_lower_5pct"}') == []


def test_demo_chart_expand_and_path(demo: Workspace) -> None:
    top = demo.get("/api/v1/straw-queue", demo.investigator, limit=1)["items"][0]["person_key"]
    chart = demo.get("/api/v1/graph/neighbourhood", demo.investigator, label="Person", key=top, depth=2)
    ids = {n["id"] for n in chart["nodes"]}
    assert chart["nodes"][0]["id"] == f"Person:{top}" and chart["nodes"][0]["score"] is not None
    assert {"Firearm", "Dealer"} <= {n["label"] for n in chart["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids for e in chart["edges"])
    gun = next(n for n in chart["nodes"] if n["label"] == "Firearm")
    expanded = demo.get("/api/v1/graph/neighbourhood", demo.investigator, label="Firearm", key=gun["key"])
    assert f"Person:{top}" in {n["id"] for n in expanded["nodes"]}
    dealer = next(n for n in chart["nodes"] if n["label"] == "Dealer")
    path = demo.get("/api/v1/graph/paths", demo.investigator, **{"from": f"Person:{top}", "to": dealer["id"]})
    assert path["nodes"][0]["id"] == f"Person:{top}" and path["nodes"][-1]["id"] == dealer["id"]
    assert len(path["edges"]) == len(path["nodes"]) - 1
    props = chart["nodes"][0]["props"]
    found = demo.get("/api/v1/search", demo.investigator, q=f"{props['last_name']}, {props['first_name']}",
                     limit=100)
    assert f"Person:{top}" in {h["id"] for h in found["results"]}


def test_demo_partner_sees_no_personal_data(demo: Workspace) -> None:
    network = demo.get("/api/v1/networks", demo.investigator, limit=1)["items"][0]["network_id"]
    full = demo.get("/api/v1/graph/neighbourhood", demo.investigator, label="Network", key=network, depth=2)
    words = personal_words([n for n in full["nodes"] if n["label"] == "Person"])
    assert words
    seen = demo.client.get("/api/v1/graph/neighbourhood", params={"label": "Network", "key": network, "depth": 2},
                           headers=demo.partner)
    assert seen.status_code == 200
    persons = [n for n in seen.json()["nodes"] if n["label"] == "Person"]
    assert persons and all(p["masked"] for p in persons)
    assert not leaked(words, seen.text)
    a, b = persons[0]["id"], persons[-1]["id"]
    between = demo.client.get("/api/v1/graph/paths", params={"from": a, "to": b}, headers=demo.partner)
    assert between.status_code in (200, 403, 404)
    assert not leaked(words, between.text)
    for word in sorted(words)[:5]:
        found = demo.client.get("/api/v1/search", params={"q": word}, headers=demo.partner)
        assert found.status_code == 200 and not leaked(words, found.text)
        assert not any(h["label"] == "Person" for h in found.json()["results"])


def test_demo_review_survives_a_rebuild(demo: Workspace) -> None:
    top = demo.get("/api/v1/straw-queue", demo.investigator, limit=1)["items"][0]["person_key"]
    made = demo.client.post(f"/api/v1/straw-queue/{top}/reviews", headers=demo.investigator,
                            json={"decision": "escalated", "reason": "simulated scheme, case opened"})
    assert made.status_code == 201, made.text
    assert demo.client.post("/api/v1/admin/snapshot", headers=demo.admin).status_code == 200
    again = demo.get("/api/v1/straw-queue", demo.investigator, limit=1)["items"][0]
    assert again["last_review"]["decision"] == "escalated"
    masked = demo.get("/api/v1/straw-queue", demo.partner, limit=1)["items"][0]
    assert masked["last_review"] is None


def test_public_dealer_search_chart_and_page(public: Workspace) -> None:
    found = public.get("/api/v1/search", public.investigator, q="1-54-107-01-5A-20000")["results"]
    assert found[0]["id"] == "Dealer:1-54-20000" and found[0]["detail"] == "license number"
    by_name = public.get("/api/v1/search", public.partner, q="PHALANGE")["results"]
    assert "Dealer:1-54-20001" in {h["id"] for h in by_name}
    chart = public.get("/api/v1/graph/neighbourhood", public.partner, label="Dealer", key="1-54-20000")
    assert chart["nodes"][0]["caption"].startswith("RENAMED OUTFITTERS")
    assert any(n["label"] == "Place" for n in chart["nodes"])
    page = public.get("/api/v1/dealers/1-54-20000", public.investigator)
    assert page["traces_by_year"] == []  # state tables only: no trace of this dealer's guns
    assert public.get("/api/v1/search", public.investigator, q="VA")["results"][0]["id"] == "Place:state:US-VA"


def test_public_corridor_map_from_atf_tables(public: Workspace) -> None:
    for year in (2013, 2016):
        answer = public.client.get("/api/v1/corridors/map.svg", params={"year": year}, headers=public.investigator)
        assert answer.status_code == 200 and answer.headers["content-type"] == "image/svg+xml"
        assert str(year) in answer.text and answer.text.count("<line") + answer.text.count("<path") > 50
