"""did:key and eddsa-jcs-2022 against the W3C vc-di-eddsa test vectors; our credentials and their context."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from evidence_fixtures import DATA

from exports.canonical import canonical_json
from exports.evidence import credentials, did_key, proofs
from exports.evidence.keys import Signer

VECTORS = DATA / "w3c_vc-di-eddsa"
JCS = VECTORS / "eddsa-jcs-2022"


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_w3c_signed_vector_verifies() -> None:
    check = proofs.verify(_load(JCS / "signedJCS.json"))
    assert check.ok, check.reason


def test_w3c_key_pair_is_one_did_key() -> None:
    pair = _load(VECTORS / "keyPair.json")
    key = did_key.private_key_from_multibase(pair["privateKeyMultibase"])
    assert did_key.public_key_multibase(key.public_key()) == pair["publicKeyMultibase"]
    did = did_key.did_from_public_key(key.public_key())
    assert did_key.public_key_bytes(did_key.resolve(did_key.verification_method(did))) == \
        did_key.public_key_bytes(key.public_key())


def test_signer_reproduces_the_w3c_signed_vector_byte_for_byte() -> None:
    pair, config = _load(VECTORS / "keyPair.json"), _load(JCS / "proofConfigJCS.json")
    key = did_key.private_key_from_multibase(pair["privateKeyMultibase"])
    signed = proofs.sign(_load(VECTORS / "unsigned.json"), key, created=config["created"],
                         verification_method=config["verificationMethod"], proof_purpose=config["proofPurpose"])
    assert json.dumps(signed, indent=2, ensure_ascii=False).encode() == (JCS / "signedJCS.json").read_bytes()


def test_intermediate_values_match_the_vectors() -> None:
    unsigned, config = _load(VECTORS / "unsigned.json"), _load(JCS / "proofConfigJCS.json")
    assert canonical_json(unsigned).decode() == (JCS / "canonDocJCS.txt").read_text().strip()
    assert canonical_json(config).decode() == (JCS / "proofCanonJCS.txt").read_text().strip()
    data = proofs.hash_data(unsigned, config)
    assert data.hex() == (JCS / "combinedHashJCS.txt").read_text().strip()
    assert data[32:] == hashlib.sha256(canonical_json(unsigned)).digest()


@pytest.mark.parametrize("tamper", ["subject", "issuer", "proof created", "proof value", "context order"])
def test_any_change_breaks_the_w3c_proof(tamper: str) -> None:
    doc = _load(JCS / "signedJCS.json")
    if tamper == "subject":
        doc["credentialSubject"]["alumniOf"] = "Another School"
    elif tamper == "issuer":
        doc["issuer"] = "https://vc.example/issuers/9999"
    elif tamper == "proof created":
        doc["proof"]["created"] = "2023-02-24T23:36:39Z"
    elif tamper == "proof value":
        value = doc["proof"]["proofValue"]
        doc["proof"]["proofValue"] = value[:-2] + ("1" if value[-2] != "1" else "2") + value[-1]
    else:
        doc["@context"].reverse()
    assert not proofs.verify(doc)


def _signer() -> Signer:
    key = Ed25519PrivateKey.generate()
    did = did_key.did_from_public_key(key.public_key())
    return Signer(key, did, did_key.verification_method(did))


def _evidence(signer: Signer) -> dict[str, Any]:
    return credentials.issue(credentials.evidence_credential(
        evidence_id="1b4e28ba-2fa1-11d2-883f-0016d3cca427", case_id="CASE-1", file_name="photo.jpg",
        size_bytes=1234, sha256="ab" * 32, documents="recovery:T-1", actor="Det. A",
        time="2026-01-02T03:04:05Z", issuer=signer.did), signer)


def test_transfer_chain_holds_and_breaks_where_tampered() -> None:
    signer = _signer()
    first = _evidence(signer)
    second = credentials.issue(credentials.custody_transfer_credential(
        evidence_id="1b4e28ba-2fa1-11d2-883f-0016d3cca427", case_id="CASE-1", transferor="Det. A",
        transferee="Lab B", reason="analysis", time="2026-01-03T00:00:00Z", issuer=signer.did, sequence=1,
        previous=first), signer)
    assert proofs.verify(first) and proofs.verify(second)
    assert credentials.check_chain([first, second]) is None
    altered = copy.deepcopy(first)
    altered["credentialSubject"]["sha256"] = "cd" * 32
    problem = credentials.check_chain([altered, second])
    assert problem is not None and problem.index == 1 and "digest" in problem.reason
    problem = credentials.check_chain([first, second, second])
    assert problem is not None and problem.index == 2


def test_credentials_use_vc2_and_the_product_context_defines_every_term() -> None:
    """JSON-LD expansion (pyld, offline loader) keeps every property: nothing vanishes for lack of a term."""
    jsonld = pytest.importorskip("pyld.jsonld")
    doc = _evidence(_signer())
    assert doc["@context"] == [credentials.VC_CONTEXT, credentials.PRODUCT_CONTEXT]
    contexts = {credentials.VC_CONTEXT: _load(DATA / "credentials_v2_context.jsonld"),
                credentials.PRODUCT_CONTEXT: credentials.product_context()}

    def loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"contextUrl": None, "documentUrl": url, "document": contexts[url]}

    expanded = jsonld.expand({k: v for k, v in doc.items() if k != "proof"}, {"documentLoader": loader})[0]
    subject = expanded["https://www.w3.org/2018/credentials#credentialSubject"][0]
    custom = {k for k in doc["credentialSubject"] if k not in ("id", "type")}
    vocab = "https://w3id.org/tracegraph/evidence/vocab#"
    assert {k.removeprefix(vocab) for k in subject if k.startswith(vocab)} == custom
    assert f"{vocab}EvidenceCredential" in expanded["@type"]
