"""``tracegraph serve --tls-cert/--tls-key``: the real command serves TAXII 2.1 over HTTPS, and the OASIS
taxii2-client's object, versions and big-page calls work against it."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from taxii2client.v21 import Collection, as_pages
from typer.testing import CliRunner

from api.cli import app as cli_app
from api.taxii import COLLECTIONS
from graph.embedded_store import EmbeddedStore
from tests.api.server import free_port


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_serve_over_tls_and_taxii2_client_calls(sharing_store: EmbeddedStore, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):  # requests lets these override a session's own verify
        monkeypatch.delenv(name, raising=False)
    db = sharing_store.path
    sharing_store.close()
    cert, key = _self_signed(tmp_path)
    created = CliRunner().invoke(cli_app, ["--db", str(db), "apikey", "create", "--role", "analyst", "--json"])
    assert created.exit_code == 0, created.output
    secret = json.loads(created.output.strip().splitlines()[-1])
    user, password = secret["api_key"].split(".", 1)
    tracegraph = shutil.which("tracegraph", path=str(Path(sys.executable).parent)) or "tracegraph"
    port = free_port()
    server = subprocess.Popen([tracegraph, "--db", str(db), "serve", "--port", str(port), "--tls-cert", str(cert),
                               "--tls-key", str(key)], env=os.environ.copy(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    base = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # start-up builds the snapshot: slow on a loaded machine
        while True:
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            try:
                requests.get(f"{base}/taxii2/", verify=str(cert), timeout=30)
                break
            except (requests.ConnectionError, requests.Timeout):
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.5)
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(f"{base}/taxii2/", timeout=5)  # an unknown certificate is refused, as it should be
        amber = next(cid for cid, lvl in COLLECTIONS.items() if lvl == "amber")
        collection = Collection(f"{base}/taxii2/api1/collections/{amber}/", user=user, password=password,
                                verify=str(cert))
        objects = [o for env in as_pages(collection.get_objects, per_request=2000) for o in env.get("objects", [])]
        firearm = next(o for o in objects if o["type"] == "firearm")
        assert collection.get_object(firearm["id"])["objects"] == [firearm]
        assert collection.object_versions(firearm["id"])["versions"] == [firearm["modified"]]
        collection.close()  # uvicorn waits out open TLS keep-alive connections at shutdown
    finally:
        server.terminate()
        try:
            server.wait(timeout=90)
        except subprocess.TimeoutExpired:
            server.kill()  # never leave a server behind
            server.wait(timeout=30)
            raise


def test_serve_refuses_half_or_bad_tls_material_in_one_line(tmp_path: Path) -> None:
    tracegraph = shutil.which("tracegraph", path=str(Path(sys.executable).parent)) or "tracegraph"
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("not a certificate\n")
    for args, message in ((["--tls-cert", str(bogus)], "--tls-cert and --tls-key go together"),
                          (["--tls-cert", str(bogus), "--tls-key", str(bogus)], "not a PEM certificate")):
        run = subprocess.run([tracegraph, "--db", str(tmp_path / "s.lbug"), "serve", "--port", str(free_port()),
                              *args], capture_output=True, text=True, timeout=60, check=False)
        assert run.returncode == 2 and message in run.stderr and len(run.stderr.strip().splitlines()) == 1
