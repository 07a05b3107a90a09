"""The workspace's pages beyond the chart (issue 19): the corridor map SVG, the dealer's traces over time."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.api.conftest import Keys, auth

MAP = "/api/v1/corridors/map.svg"


def test_corridor_map_is_a_self_contained_svg(client: TestClient, keys: Keys) -> None:
    answer = client.get(MAP, params={"year": 2023}, headers=auth(keys.analyst))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/svg+xml"
    text = answer.text
    assert text.startswith("<svg") and text.rstrip().endswith("</svg>") and "2023" in text
    assert "GA" in text and "NY" in text  # the one corridor, Georgia into New York
    # nothing fetched from anywhere: the only URL is the SVG namespace
    assert re.findall(r"https?://[^\"' )]+", text) == ["http://www.w3.org/2000/svg"]
    assert "<script" not in text and "xlink:href" not in text
    assert client.get(MAP, headers=auth(keys.analyst)).status_code == 200  # every year


def test_corridor_map_refusals(client: TestClient, keys: Keys) -> None:
    assert client.get(MAP, headers=auth(keys.partner_green)).status_code == 403  # scores and hubs are AMBER
    assert client.get(MAP, headers=auth(keys.partner_amber)).status_code == 200
    missing = client.get(MAP, params={"year": 2019}, headers=auth(keys.analyst))
    assert missing.status_code == 404 and "2023" in missing.json()["detail"]
    for year in ("1800", "twenty", "2023.5"):
        assert client.get(MAP, params={"year": year}, headers=auth(keys.analyst)).status_code == 422
    assert client.get(MAP).status_code == 401


def test_dealer_page_has_traces_by_year(client: TestClient, keys: Keys) -> None:
    body = client.get("/api/v1/dealers/1-58-00001", headers=auth(keys.investigator)).json()
    assert body["traces_by_year"] == [{"year": 2023, "traces": 1}]
    assert body["transparency"] is not None and body["inspections"]
    quiet = client.get("/api/v1/dealers/1-58-00002", headers=auth(keys.investigator)).json()
    assert quiet["traces_by_year"] == []
    green = client.get("/api/v1/dealers/1-58-00001", headers=auth(keys.partner_green)).json()
    assert green["traces_by_year"] == []  # recoveries are AMBER
