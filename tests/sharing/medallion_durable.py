"""A real OASIS medallion 3.0.0 TAXII server on 127.0.0.1 that can be stopped and started again on the same port
and keeps its collection across the restart (its memory backend, saved to its data file after every add: a
server's store outlives an outage). The one medallion setup of the TAXII tests: the alert sightings start and stop
it themselves, the others take the ``medallion`` fixture (conftest.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from medallion.backends.memory_backend import MemoryBackend

COLLECTION = "9c2b4a7e-51d3-4c0e-8a55-0f4f7e1f2a10"
USER, PASSWORD = "bpd-cgic", "s3cret-taxii-pass"


class DurableMemoryBackend(MemoryBackend):  # type: ignore[misc]
    """medallion's memory backend, written back to its file after each add (loaded from it at start)."""

    def __init__(self, **kwargs: Any) -> None:
        self.path = kwargs.get("filename")
        super().__init__(**kwargs)

    def add_objects(self, *args: Any, **kwargs: Any) -> Any:
        status = super().add_objects(*args, **kwargs)
        self.save_data_to_file(self.path)
        return status


class Medallion:
    """One medallion process at a time on a fixed port; ``collection_url`` stays valid across restarts."""

    def __init__(self, root: Path, *, port: int | None = None) -> None:
        from tests.net import free_port  # not at the top: the medallion process imports this module on its own

        self.root, self.port = root, port or free_port()
        root.mkdir(parents=True, exist_ok=True)
        self.api_root = f"http://127.0.0.1:{self.port}/api1/"
        self.collection_url = f"{self.api_root}collections/{COLLECTION}/"
        self.proc: subprocess.Popen[bytes] | None = None
        data = {"/discovery": {"title": "test", "default": self.api_root, "api_roots": [self.api_root]},
                "api1": {"information": {"title": "CGIC partners", "max_content_length": 10_000_000,
                                         "versions": ["application/taxii+json;version=2.1"]},
                         "status": [],
                         "collections": [{"id": COLLECTION, "title": "alerts from partners", "can_read": True,
                                          "can_write": True, "media_types": ["application/stix+json;version=2.1"],
                                          "objects": [], "manifest": []}]}}
        (root / "data.json").write_text(json.dumps(data))
        config = {"backend": {"module": "medallion_durable", "module_class": "DurableMemoryBackend",
                              "filename": str(root / "data.json")},
                  "users": {USER: PASSWORD}, "taxii": {"max_page_size": 100}}
        (root / "config.json").write_text(json.dumps(config))

    def start(self) -> None:
        from tests.net import wait_for_port

        binary = Path(sys.executable).parent / "medallion"
        env = {"PYTHONPATH": str(Path(__file__).parent), "PATH": "/usr/bin:/bin"}
        with (self.root / "medallion.log").open("ab") as log:
            self.proc = subprocess.Popen([str(binary), "--host", "127.0.0.1", "--port", str(self.port),
                                          str(self.root / "config.json")], stdout=subprocess.DEVNULL, stderr=log,
                                         env=env)
        try:
            wait_for_port(self.port, process=self.proc, timeout_s=30, what="medallion")
        except RuntimeError as failed:
            raise RuntimeError(f"{failed}: {(self.root / 'medallion.log').read_text()[-500:]}") from None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    def objects(self) -> list[dict[str, Any]]:
        """Every object version the collection holds (all versions, paged)."""
        from taxii2client.v21 import Collection, as_pages

        collection = Collection(self.collection_url, user=USER, password=PASSWORD)
        out: list[dict[str, Any]] = []
        for envelope in as_pages(collection.get_objects, per_request=100, version="all"):
            out.extend(envelope.get("objects", []))
        return out
