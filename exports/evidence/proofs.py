"""Data Integrity proofs with the cryptosuite ``eddsa-jcs-2022`` (W3C vc-di-eddsa, section 3.3).

Create (Add Proof): the proof configuration (type, cryptosuite, created, verificationMethod, proofPurpose, and
the document's ``@context``) and the document without ``proof`` are each canonicalised with JCS (RFC 8785) and
hashed with SHA-256; the Ed25519 signature over ``proofConfigHash || documentHash`` becomes ``proofValue``
(multibase base58btc).

Verify: take ``proof`` off, take ``proofValue`` out of it, check the document's ``@context`` starts with the
proof's ``@context``, recompute both hashes, resolve the ``did:key`` locally and check the signature. Nothing
is fetched.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from exports.canonical import canonical_json
from exports.evidence import did_key
from graph.errors import InvalidInput, TracegraphError

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"


@dataclass(frozen=True)
class ProofCheck:
    """The outcome of verifying one proof; ``reason`` says what failed (empty when ``ok``)."""

    ok: bool
    reason: str = ""
    verification_method: str = ""

    def __bool__(self) -> bool:
        return self.ok


def proof_config(document: dict[str, Any], *, verification_method: str, created: str,
                 proof_purpose: str = "assertionMethod") -> dict[str, Any]:
    """The proof options in the order the W3C vectors use; ``@context`` copied from the document if it has one."""
    config: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    if "@context" in document:
        config["@context"] = copy.deepcopy(document["@context"])
    return config


def hash_data(document: dict[str, Any], config: dict[str, Any]) -> bytes:
    """``SHA-256(JCS(proof config)) || SHA-256(JCS(document without proof))``: the bytes that are signed."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    return hashlib.sha256(canonical_json(config)).digest() + hashlib.sha256(canonical_json(unsecured)).digest()


def sign(document: dict[str, Any], key: Ed25519PrivateKey, *, created: str,
         verification_method: str | None = None, proof_purpose: str = "assertionMethod") -> dict[str, Any]:
    """A copy of ``document`` with an ``eddsa-jcs-2022`` proof added (the signer's ``did:key`` by default)."""
    if "proof" in document:
        raise InvalidInput("document already carries a proof")
    method = verification_method or did_key.verification_method(did_key.did_from_public_key(key.public_key()))
    config = proof_config(document, verification_method=method, created=created, proof_purpose=proof_purpose)
    signature = key.sign(hash_data(document, config))
    secured = copy.deepcopy(document)
    secured["proof"] = {**config, "proofValue": did_key.multibase_encode(signature)}
    return secured


def verify(document: dict[str, Any], *, expected_purpose: str = "assertionMethod") -> ProofCheck:
    """Verify the single ``eddsa-jcs-2022`` proof on a secured document, offline."""
    proof = document.get("proof")
    if not isinstance(proof, dict):
        return ProofCheck(False, "no proof (or a proof set, which is not supported)")
    method = str(proof.get("verificationMethod", ""))
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        return ProofCheck(False, f"proof is not a {PROOF_TYPE} with cryptosuite {CRYPTOSUITE}", method)
    if proof.get("proofPurpose") != expected_purpose:
        return ProofCheck(False, f"proof purpose is not {expected_purpose}", method)
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    if "@context" in options:
        ours, theirs = _as_list(options["@context"]), _as_list(unsecured.get("@context"))
        if theirs[: len(ours)] != ours:
            return ProofCheck(False, "document @context does not start with the proof's @context", method)
        unsecured["@context"] = options["@context"]
    try:
        signature = did_key.multibase_decode(str(proof.get("proofValue", "")))
        public_key = did_key.resolve(method)
        public_key.verify(signature, hash_data(unsecured, options))
    except InvalidSignature:
        return ProofCheck(False, "signature does not match the credential", method)
    except TracegraphError as exc:
        return ProofCheck(False, str(exc), method)
    return ProofCheck(True, "", method)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]
