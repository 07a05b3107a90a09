"""The signing-key store: encrypted at rest, passphrase required, rotation keeps old keys resolvable."""

from __future__ import annotations

from pathlib import Path

import pytest
from evidence_fixtures import PASSPHRASE, EvidenceWorld

from exports.evidence import did_key, service
from exports.evidence.keys import KeyStore
from exports.evidence.proofs import verify
from graph.errors import InvalidInput, NotFound


def test_keys_are_encrypted_at_rest_and_need_the_passphrase(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys", PASSPHRASE)
    signer = store.signer()
    record = store.current()
    assert record is not None and record.did == signer.did
    pem = (tmp_path / "keys" / record.file).read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in pem
    assert (tmp_path / "keys" / record.file).stat().st_mode & 0o077 == 0
    with pytest.raises(InvalidInput, match="wrong TRACEGRAPH_KEY_PASSPHRASE"):
        KeyStore(tmp_path / "keys", "not it").signer()
    with pytest.raises(InvalidInput, match="TRACEGRAPH_KEY_PASSPHRASE is not set"):
        KeyStore(tmp_path / "keys", None).signer()
    assert did_key.resolve(signer.verification_method) is not None


def test_rotation_retires_the_old_key_and_records_when(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys", PASSPHRASE)
    first = store.signer()
    old, new = store.rotate()
    assert old is not None and old.did == first.did
    history = store.history()
    assert [r.did for r in history] == [first.did, new.did]
    assert history[0].retired is not None and history[1].retired is None
    assert store.signer().did == new.did


def test_credential_signed_before_rotation_still_verifies(world: EvidenceWorld, tmp_path: Path) -> None:
    source = tmp_path / "f.bin"
    source.write_bytes(b"before rotation")
    added = service.add_evidence(world.store, world.paths, world.keys, world.audit, file=source, case_id="C",
                                 of=f"recovery:{world.trace_id}", actor="Det. A")
    world.keys.rotate()
    world.keys.rotate()
    assert verify(added["credential"]).ok
    assert added["credential"]["issuer"] == world.keys.history()[0].did


def test_add_guards(world: EvidenceWorld, tmp_path: Path) -> None:
    source = tmp_path / "f.bin"
    source.write_bytes(b"payload")
    args = {"file": source, "case_id": "C", "actor": "Det. A"}
    with pytest.raises(NotFound, match=f"Firearm {world.firearm_key}x not found"):
        service.add_evidence(world.store, world.paths, world.keys, world.audit, of=f"firearm:{world.firearm_key}x",
                             **args)  # type: ignore[arg-type]
    first = service.add_evidence(world.store, world.paths, world.keys, world.audit,
                                 of=f"firearm:{world.firearm_key}", **args)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="already holds this file"):
        service.add_evidence(world.store, world.paths, world.keys, world.audit,
                             of=f"firearm:{world.firearm_key}", **args)  # type: ignore[arg-type]
    node = service.get_evidence(world.store, first["evidence_id"])
    assert node["custodian"] == "Det. A" and node["sha256"] == first["sha256"]
    with pytest.raises(InvalidInput, match="not the custodian of record"):
        service.transfer_evidence(world.store, world.paths, world.keys, world.audit,
                                  evidence_id=first["evidence_id"], transferor="Someone", transferee="X",
                                  reason="r")
    with pytest.raises(NotFound):
        service.transfer_evidence(world.store, world.paths, world.keys, world.audit, evidence_id="nope",
                                  transferor="Det. A", transferee="X", reason="r")
    assert [e["action"] for e in world.audit.entries()] == ["evidence.add"]
