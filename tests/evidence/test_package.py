"""Evidence packages against a real local TSA: build -> verify OK; any flipped byte -> verify fails naming it."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from evidence_fixtures import EvidenceWorld, LocalTSA, make_world

from exports.evidence import package, report, service, timestamp
from exports.evidence.checks import first_failure
from graph.errors import InvalidInput, NotFound


@dataclass(frozen=True)
class Built:
    zip: Path
    evidence_ids: list[str]
    merkle_root: str


def _stamp(tsa: LocalTSA):  # type: ignore[no-untyped-def]
    return lambda root: timestamp.request_timestamp(tsa.url, root)


def _add(world: EvidenceWorld, tmp_path: Path, name: str, content: bytes, of: str, actor: str = "Det. A") -> str:
    source = tmp_path / name
    source.write_bytes(content)
    result = service.add_evidence(world.store, world.paths, world.keys, world.audit, file=source, case_id="CASE-7",
                                  of=of, actor=actor)
    return str(result["evidence_id"])


def _package(world: EvidenceWorld, tsa: LocalTSA, out: Path) -> Built:
    built = service.package_case(world.store, world.paths, world.keys, world.audit, case_id="CASE-7", out=out,
                                 timestamper=_stamp(tsa), actor="clerk", readme=report.readme_renderer)
    ids = [row["evidence_id"] for row in world.store.query("evidence_by_case", {"case_id": "CASE-7"}).rows()]
    return Built(out, ids, built.merkle_root)


@pytest.fixture(scope="module")
def built(local_tsa: LocalTSA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """One package (two items, one transfer) shared by the read-only tests of this module."""
    folder = tmp_path_factory.mktemp("built")
    world = make_world(folder)
    try:
        photo = _add(world, folder, "photo.jpg", b"\xff\xd8\xff" + bytes(range(256)) * 40,
                     f"recovery:{world.trace_id}")
        _add(world, folder, "lab-report.txt", b"Serial restored: AB123\n", f"firearm:{world.firearm_key}")
        service.transfer_evidence(world.store, world.paths, world.keys, world.audit, evidence_id=photo,
                                  transferor="Det. A", transferee="Lab B", reason="analysis")
        yield _package(world, local_tsa, folder / "case.zip")
    finally:
        world.store.close()


def _rewrite(src: Path, dst: Path, member: str, change) -> None:  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(src) as old, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info.filename)
            new.writestr(info.filename, change(data) if info.filename == member else data)


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]


def test_package_verifies_offline_against_the_tsa_anchor(built: Built, local_tsa: LocalTSA) -> None:
    anchors = timestamp.load_anchors(local_tsa.ca.read_bytes())
    checks = package.verify_package(built.zip, anchors)
    assert first_failure(checks) is None, first_failure(checks)
    names = {c.check for c in checks}
    assert {"credential proof (eddsa-jcs-2022)", "custody chain unbroken", "TSA signature",
            "TSA certificate chains to the trust anchor", "Merkle root recomputed from the manifest"} <= names
    with zipfile.ZipFile(built.zip) as archive:
        members = set(archive.namelist())
        manifest = json.loads(archive.read(package.MANIFEST))
        readme = archive.read(package.README).decode()
    assert manifest["merkle_root"] == built.merkle_root
    assert {e["path"] for e in manifest["entries"]} == members - package.UNCOVERED
    assert sum(m.startswith("files/") for m in members) == 2
    assert sum(m.startswith("credentials/") for m in members) == 3  # two items, one transfer
    assert built.merkle_root in readme and "Lab B" in readme and "openssl ts -verify" in readme


def test_wrong_anchor_or_no_anchor_fails_on_the_token(built: Built, other_ca: Path) -> None:
    failed = first_failure(package.verify_package(built.zip, timestamp.load_anchors(other_ca.read_bytes())))
    assert failed is not None and failed.item == package.TOKEN and "chain" in failed.check
    failed = first_failure(package.verify_package(built.zip, None))
    assert failed is not None and failed.item == package.TOKEN and "anchor" in failed.detail


def test_openssl_accepts_our_token(built: Built, local_tsa: LocalTSA, tmp_path: Path) -> None:
    """Interop: the stamped Merkle root verifies with `openssl ts -verify -digest`."""
    token = tmp_path / "root.tsr"
    with zipfile.ZipFile(built.zip) as archive:
        token.write_bytes(archive.read(package.TOKEN))
    result = subprocess.run(["openssl", "ts", "-verify", "-digest", built.merkle_root, "-in", str(token),
                             "-CAfile", str(local_tsa.ca)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "Verification: OK" in result.stdout, result.stdout + result.stderr


def _member(built: Built, kind: str) -> str:
    with zipfile.ZipFile(built.zip) as archive:
        names = archive.namelist()
    prefix = {"file": "files/", "credential": "credentials/"}[kind]
    return sorted(n for n in names if n.startswith(prefix))[0]


@pytest.mark.parametrize("kind", ["file", "manifest entry", "credential", "token (TSTInfo)", "token (signature)"])
def test_one_flipped_byte_fails_and_is_named(built: Built, local_tsa: LocalTSA, tmp_path: Path, kind: str) -> None:
    tampered = tmp_path / "tampered.zip"
    if kind in ("file", "credential"):
        member = expected = _member(built, kind)
        _rewrite(built.zip, tampered, member, lambda data: _flip(data, len(data) // 2))
    elif kind == "manifest entry":
        expected = _member(built, "file")

        def change(data: bytes) -> bytes:
            manifest = json.loads(data)
            entry = next(e for e in manifest["entries"] if e["path"] == expected)
            at = data.index(entry["sha256"].encode()) + 10
            return _flip(data, at)
        _rewrite(built.zip, tampered, package.MANIFEST, change)
    else:
        expected = package.TOKEN
        with zipfile.ZipFile(built.zip) as archive:
            token = archive.read(package.TOKEN)
        # inside the signed TSTInfo (its serial number follows the imprint), or the signature's last byte
        at = token.index(bytes.fromhex(built.merkle_root)) + 34 if "TSTInfo" in kind else len(token) - 1
        _rewrite(built.zip, tampered, package.TOKEN, lambda data: _flip(data, at))
    failed = first_failure(package.verify_package(tampered, timestamp.load_anchors(local_tsa.ca.read_bytes())))
    assert failed is not None
    assert failed.item == expected, failed


@pytest.mark.parametrize("how", ["custodian edited", "sequence edited", "not JSON"])
def test_a_tampered_credential_is_named_not_the_next_one(built: Built, local_tsa: LocalTSA, tmp_path: Path,
                                                         how: str) -> None:
    with zipfile.ZipFile(built.zip) as archive:
        names = archive.namelist()
    transfer = next(n for n in sorted(names) if n.startswith("credentials/") and n.split("/")[-1].startswith("001"))
    chain = sorted(n for n in names if n.startswith(transfer.rsplit("/", 1)[0] + "/"))
    target = chain[0] if how != "sequence edited" else transfer

    def change(data: bytes) -> bytes:
        if how == "not JSON":
            return data[: len(data) // 2]
        document = json.loads(data)
        if how == "custodian edited":
            document["credentialSubject"]["custodian"] = "Someone Else"
        else:
            document["credentialSubject"]["transferSequence"] = 2
        return json.dumps(document).encode()

    tampered = tmp_path / "tampered.zip"
    _rewrite(built.zip, tampered, target, change)
    checks = package.verify_package(tampered, timestamp.load_anchors(local_tsa.ca.read_bytes()))
    failing = {c.item for c in checks if not c.ok and c.item.startswith("credentials/")}
    assert failing == {target}, [c for c in checks if not c.ok]
    chain_check = next(c for c in checks if c.check == "custody chain unbroken" and c.item in chain)
    assert chain_check.item == target and not chain_check.ok


def test_byte_flipped_in_the_raw_zip_names_the_damaged_member(built: Built, local_tsa: LocalTSA,
                                                              tmp_path: Path) -> None:
    member = _member(built, "file")
    raw = bytearray(built.zip.read_bytes())
    with zipfile.ZipFile(built.zip) as archive:
        info = archive.getinfo(member)
    header = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[header + info.compress_size // 2] ^= 0x01
    tampered = tmp_path / "raw.zip"
    tampered.write_bytes(bytes(raw))
    failed = first_failure(package.verify_package(tampered, timestamp.load_anchors(local_tsa.ca.read_bytes())))
    assert failed is not None and failed.item == member


def test_an_extra_file_slipped_into_the_zip_is_named(built: Built, local_tsa: LocalTSA, tmp_path: Path) -> None:
    tampered = tmp_path / "extra.zip"
    shutil.copy(built.zip, tampered)
    with zipfile.ZipFile(tampered, "a") as archive:
        archive.writestr("files/planted.txt", b"not evidence")
    failed = first_failure(package.verify_package(tampered, timestamp.load_anchors(local_tsa.ca.read_bytes())))
    assert failed is not None and failed.item == "files/planted.txt"


def test_rotation_keeps_earlier_credentials_verifiable(world: EvidenceWorld, local_tsa: LocalTSA,
                                                       tmp_path: Path) -> None:
    first = _add(world, tmp_path, "a.bin", b"first item", f"recovery:{world.trace_id}")
    old, new = world.keys.rotate()
    assert old is not None and old.did != new.did
    _add(world, tmp_path, "b.bin", b"second item", f"firearm:{world.firearm_key}")
    service.transfer_evidence(world.store, world.paths, world.keys, world.audit, evidence_id=first,
                              transferor="Det. A", transferee="Property room", reason="storage")
    built = _package(world, local_tsa, tmp_path / "rotated.zip")
    checks = package.verify_package(built.zip, timestamp.load_anchors(local_tsa.ca.read_bytes()))
    assert first_failure(checks) is None
    issuers = {c.detail for c in checks if c.check.startswith("credential issued by")}
    assert issuers == {old.did, new.did}


def test_analysis_run_records_travel_with_the_package(world: EvidenceWorld, local_tsa: LocalTSA,
                                                      tmp_path: Path) -> None:
    world.store.upsert_nodes("AnalysisRun", [{"run_id": "run-42", "seed": 7, "code_version": "0.1.0",
                                              "parameters": json.dumps({"resolution": 1.0})}])
    source = tmp_path / "network.png"
    source.write_bytes(b"PNG network figure")
    with pytest.raises(NotFound, match="AnalysisRun run-404"):
        service.add_evidence(world.store, world.paths, world.keys, world.audit, file=source, case_id="CASE-7",
                             of=f"recovery:{world.trace_id}", actor="Analyst C", analysis_run="run-404")
    service.add_evidence(world.store, world.paths, world.keys, world.audit, file=source, case_id="CASE-7",
                         of=f"recovery:{world.trace_id}", actor="Analyst C", analysis_run="run-42")
    built = _package(world, local_tsa, tmp_path / "runs.zip")
    with zipfile.ZipFile(built.zip) as archive:
        run = json.loads(archive.read("analysis-runs/run-42.json"))
        meta = json.loads(archive.read("package.json"))
    assert run["seed"] == 7 and meta["analysis_runs"] == ["run-42"]
    assert first_failure(package.verify_package(built.zip, timestamp.load_anchors(local_tsa.ca.read_bytes()))) is None


def test_packaging_refuses_a_held_file_that_changed(world: EvidenceWorld, local_tsa: LocalTSA,
                                                    tmp_path: Path) -> None:
    evidence_id = _add(world, tmp_path, "c.bin", b"original", f"recovery:{world.trace_id}")
    held = world.paths.evidence_dir / evidence_id / "c.bin"
    held.chmod(0o644)
    held.write_bytes(b"0riginal")
    with pytest.raises(InvalidInput, match=f"evidence {evidence_id}: the held file"):
        _package(world, local_tsa, tmp_path / "x.zip")
