"""The two credentials of the chain of custody, as W3C Verifiable Credentials 2.0.

* ``EvidenceCredential``: the platform (issuer, a ``did:key``) attests that an evidence item of a case is a file
  with this name, size and SHA-256, documenting a Recovery or a Firearm, recorded by an actor at a time.
* ``CustodyTransferCredential``: the item passed from one custodian to another for a reason at a time; it names
  the previous credential of the item and that credential's SHA-256 (over its RFC 8785 canonical JSON, proof
  included), so the credentials of one item form a hash chain.

Custom terms are defined in the product context (``context/v1.jsonld``, published at :data:`PRODUCT_CONTEXT`);
VC 2.0 has no default vocabulary, so undefined terms would vanish in JSON-LD processing.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from exports.canonical import TRACEGRAPH_NAMESPACE, canonical_sha256, uuid5_canonical
from exports.evidence import proofs
from exports.evidence.keys import Signer

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
PRODUCT_CONTEXT = "https://w3id.org/tracegraph/evidence/v1"
CONTEXT_FILE = Path(__file__).parent / "context" / "v1.jsonld"
EVIDENCE_TYPE = "EvidenceCredential"
TRANSFER_TYPE = "CustodyTransferCredential"


@cache
def product_context() -> dict[str, Any]:
    """The product JSON-LD context document (what :data:`PRODUCT_CONTEXT` serves)."""
    data: dict[str, Any] = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))
    return data


def evidence_urn(evidence_id: str) -> str:
    return f"urn:uuid:{evidence_id}"


def _envelope(kind: str, issuer: str, valid_from: str, subject: dict[str, Any]) -> dict[str, Any]:
    body = {"@context": [VC_CONTEXT, PRODUCT_CONTEXT], "type": ["VerifiableCredential", kind],
            "issuer": issuer, "validFrom": valid_from, "credentialSubject": subject}
    return {"@context": body["@context"], "id": f"urn:uuid:{uuid5_canonical(TRACEGRAPH_NAMESPACE, body)}",
            **{k: v for k, v in body.items() if k != "@context"}}


def evidence_credential(*, evidence_id: str, case_id: str, file_name: str, size_bytes: int, sha256: str,
                        documents: str, actor: str, time: str, issuer: str,
                        analysis_run: str | None = None) -> dict[str, Any]:
    """The unsigned EvidenceCredential; ``documents`` is ``recovery:TRACE_ID`` or ``firearm:KEY``."""
    subject: dict[str, Any] = {
        "id": evidence_urn(evidence_id), "type": "EvidenceItem", "caseId": case_id, "fileName": file_name,
        "sizeBytes": size_bytes, "sha256": sha256, "documents": documents, "recordedBy": actor,
        "recordedAt": time, "custodian": actor,
    }
    if analysis_run:
        subject["analysisRun"] = analysis_run
    return _envelope(EVIDENCE_TYPE, issuer, time, subject)


def custody_transfer_credential(*, evidence_id: str, case_id: str, transferor: str, transferee: str, reason: str,
                                time: str, issuer: str, sequence: int,
                                previous: dict[str, Any]) -> dict[str, Any]:
    """The unsigned CustodyTransferCredential, chained to ``previous`` (the item's latest signed credential)."""
    subject = {
        "id": evidence_urn(evidence_id), "type": "EvidenceItem", "caseId": case_id,
        "transferSequence": sequence, "transferredFrom": transferor, "transferredTo": transferee,
        "transferReason": reason, "transferredAt": time, "custodian": transferee,
        "previousCredential": previous["id"], "previousCredentialSha256": canonical_sha256(previous),
    }
    return _envelope(TRANSFER_TYPE, issuer, time, subject)


def issue(credential: dict[str, Any], signer: Signer) -> dict[str, Any]:
    """Sign with the current key; the proof is created at the credential's ``validFrom``."""
    return proofs.sign(credential, signer.key, created=credential["validFrom"],
                       verification_method=signer.verification_method)


def kind(credential: dict[str, Any]) -> str:
    types = credential.get("type", [])
    for name in (EVIDENCE_TYPE, TRANSFER_TYPE):
        if name in types:
            return name
    return "unknown"


@dataclass(frozen=True)
class ChainProblem:
    index: int
    reason: str


def check_chain(chain: list[dict[str, Any]]) -> ChainProblem | None:
    """The first break in one item's credential chain (evidence credential, then transfers in order), if any."""
    if not chain or kind(chain[0]) != EVIDENCE_TYPE:
        return ChainProblem(0, "the chain does not start with an EvidenceCredential")
    subject_id = chain[0]["credentialSubject"].get("id")
    custodian = chain[0]["credentialSubject"].get("custodian")
    for index, (previous, current) in enumerate(itertools.pairwise(chain), start=1):
        subject = current.get("credentialSubject", {})
        if kind(current) != TRANSFER_TYPE:
            return ChainProblem(index, "a later credential is not a CustodyTransferCredential")
        if subject.get("id") != subject_id:
            return ChainProblem(index, "transfer names a different evidence item")
        if subject.get("transferSequence") != index:
            return ChainProblem(index, "transfer sequence number is out of order")
        if subject.get("previousCredential") != previous.get("id"):
            return ChainProblem(index, "transfer does not name the previous credential")
        if subject.get("previousCredentialSha256") != canonical_sha256(previous):
            return ChainProblem(index, "previous credential's digest does not match")
        if subject.get("transferredFrom") != custodian:
            return ChainProblem(index, "transfer is not from the custodian of record")
        custodian = subject.get("transferredTo")
    return None
