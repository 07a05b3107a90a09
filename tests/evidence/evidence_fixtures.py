"""Helpers and fixtures for the evidence tests (re-exported by conftest.py): a real local RFC 3161 TSA
(``openssl ts -reply`` behind http.server on 127.0.0.1, with a CA and a TSA certificate generated at test time
from OpenSSL's own CAtsa.cnf), a second CA for "wrong anchor" checks, and a store holding a Recovery and a
Firearm to attach evidence to."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from api.audit import AuditLog
from exports.evidence.keys import KeyStore
from exports.evidence.service import EvidencePaths
from graph.embedded_store import EmbeddedStore

DATA = Path(__file__).parents[1] / "data" / "evidence"
PASSPHRASE = "correct horse battery staple"


def _openssl(*args: str, cwd: Path, env: dict[str, str] | None = None) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, **(env or {})}, timeout=60)


def make_ca(folder: Path, name: str = "tsaca") -> Path:
    """A self-signed CA (the [v3_ca] section of CAtsa.cnf, DN [ts_ca_dn]) with an EC P-256 key."""
    folder.mkdir(parents=True, exist_ok=True)
    _openssl("req", "-config", str(DATA / "CAtsa.cnf"), "-new", "-x509", "-noenc", "-days", "30",
             "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-out", f"{name}.pem", "-keyout", f"{name}key.pem", cwd=folder, env={"TSDNSECT": "ts_ca_dn"})
    return folder / f"{name}.pem"


@dataclass(frozen=True)
class LocalTSA:
    url: str
    ca: Path
    folder: Path


class _TSAHandler(BaseHTTPRequestHandler):
    folder: Path

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with tempfile.TemporaryDirectory() as work:
            query, reply = Path(work) / "q.tsq", Path(work) / "r.tsr"
            query.write_bytes(body)
            result = subprocess.run(["openssl", "ts", "-reply", "-config", str(self.folder / "CAtsa.cnf"),
                                     "-queryfile", str(query), "-out", str(reply)],
                                    cwd=self.folder, capture_output=True, timeout=60,
                                    env={**os.environ, "TSDNSECT": "ts_cert_dn", "INDEX": "1"})
            payload = reply.read_bytes() if result.returncode == 0 and reply.exists() else b""
        self.send_response(200 if payload else 500)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass


@pytest.fixture(scope="session")
def local_tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTSA]:
    """A real TSA: test CA, TSA certificate with critical timeStamping EKU ([tsa_cert]), openssl ts -reply."""
    folder = tmp_path_factory.mktemp("tsa")
    shutil.copy(DATA / "CAtsa.cnf", folder / "CAtsa.cnf")
    ca = make_ca(folder)
    env = {"TSDNSECT": "ts_cert_dn", "INDEX": "1"}
    _openssl("req", "-config", "CAtsa.cnf", "-new", "-noenc", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:P-256", "-out", "tsa_req1.pem", "-keyout", "tsa_key1.pem", cwd=folder, env=env)
    _openssl("x509", "-req", "-in", "tsa_req1.pem", "-out", "tsa_cert1.pem", "-CA", "tsaca.pem", "-CAkey",
             "tsacakey.pem", "-CAcreateserial", "-days", "30", "-extfile", "CAtsa.cnf", "-extensions", "tsa_cert",
             cwd=folder, env=env)
    (folder / "tsa_serial").write_text("01\n")
    handler = type("Handler", (_TSAHandler,), {"folder": folder})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LocalTSA(f"http://127.0.0.1:{server.server_address[1]}/tsa", ca, folder)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA with the same name as the TSA's CA but another key: must not be accepted as the anchor."""
    return make_ca(tmp_path_factory.mktemp("other-ca"))


@dataclass
class EvidenceWorld:
    store: EmbeddedStore
    paths: EvidencePaths
    keys: KeyStore
    audit: AuditLog
    db: Path
    trace_id: str = "T-2024-000123"
    firearm_key: str = "GLOCK|AB123|PISTOL"


def make_world(folder: Path) -> EvidenceWorld:
    """An initialised store with one Recovery and one Firearm, and evidence paths beside it."""
    db = folder / "data" / "graph.lbug"
    store = EmbeddedStore(db)
    store.init_schema()
    paths = EvidencePaths.beside(db)
    w = EvidenceWorld(store, paths, KeyStore(paths.key_dir, PASSPHRASE), AuditLog(paths.audit_log), db)
    store.upsert_nodes("Recovery", [{"trace_id": w.trace_id, "recovery_state": "NY"}])
    store.upsert_nodes("Firearm", [{"firearm_key": w.firearm_key, "serial_number": "AB123"}])
    return w


@pytest.fixture
def world(tmp_path: Path) -> Iterator[EvidenceWorld]:
    w = make_world(tmp_path)
    yield w
    w.store.close()
