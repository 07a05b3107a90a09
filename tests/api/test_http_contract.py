"""HTTP details clients rely on: TAXII media types and 406, Allow on 405, audit entries durable on demand."""

from __future__ import annotations

import threading
from pathlib import Path

from fastapi.testclient import TestClient

from api.audit import AuditLog, GroupCommitWriter
from api.taxii import TAXII
from tests.api.conftest import Keys, auth


def test_taxii_answers_its_media_type_and_406_otherwise(client: TestClient, keys: Keys) -> None:
    headers = auth(keys.investigator)
    plain = client.get("/taxii2/", headers=headers)
    assert plain.status_code == 200 and plain.headers["content-type"] == TAXII
    asked = client.get("/taxii2/api1/collections/", headers={**headers, "Accept": TAXII})
    assert asked.status_code == 200 and asked.json()["collections"]
    refused = client.get("/taxii2/api1/", headers={**headers, "Accept": "application/xml"})
    assert refused.status_code == 406 and refused.headers["content-type"] == TAXII
    assert refused.json()["http_status"] == "406" and refused.json()["title"]
    old = client.get("/taxii2/api1/", headers={**headers, "Accept": "application/taxii+json;version=2.0"})
    assert old.status_code == 406


def test_405_lists_every_method_of_the_path(client: TestClient, keys: Keys) -> None:
    response = client.delete("/api/v1/exports/stix", headers=auth(keys.investigator))
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"


def test_group_commit_keeps_one_chain_across_threads_and_other_writers(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    writer = GroupCommitWriter(log)

    def hammer(n: int) -> None:
        for i in range(200):
            writer.submit(actor=f"t{n}", action="GET /x", target=f"x:{i}", details={"status": 200})

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    log.append(actor="cli", action="evidence.add", target="evidence:1")  # another writer, same file
    for thread in threads:
        thread.join()
    writer.flush()
    assert len(list(log.entries())) == 801 and log.verify().ok
    AuditLog(log.path).append(actor="cli", action="evidence.add", target="evidence:2")  # the writer's head is stale
    writer.submit(actor="t9", action="GET /x", target="x:next")
    writer.submit(actor="t9", action="GET /x", target="x:last")
    writer.flush()
    assert [e["target"] for e in list(log.entries())[-3:]] == ["evidence:2", "x:next", "x:last"]
    assert log.verify().ok
    writer.submit(actor="t9", action="GET /x", target="x:last")
    writer.close()  # shutdown writes what is queued
    entries = list(log.entries())
    assert entries[-1]["target"] == "x:last" and len(entries) == 805 and log.verify().ok
    writer.submit(actor="t9", action="GET /x", target="x:after")  # after close: written at once
    assert list(log.entries())[-1]["target"] == "x:after" and log.verify().ok


def test_a_single_valued_parameter_given_twice_is_422(client: TestClient, keys: Keys) -> None:
    headers = auth(keys.investigator)
    assert client.get("/api/v1/straw-queue?limit=1&limit=900", headers=headers).status_code == 422
    lists = "/api/v1/paths?source=dealer:1-58-00001&target=person:P-STRAW&types=SOLD&types=PURCHASED"
    assert client.get(lists, headers=headers).json()["found"]  # list parameters repeat by design
