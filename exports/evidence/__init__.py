"""Evidence chain of custody: W3C VC 2.0 credentials (eddsa-jcs-2022), a Merkle manifest, RFC 3161 timestamps.

Modules, each small and named after the spec it speaks:

* :mod:`exports.evidence.did_key`     — ``did:key`` for Ed25519 and multibase base58btc
* :mod:`exports.evidence.proofs`      — Data Integrity proofs, cryptosuite ``eddsa-jcs-2022``
* :mod:`exports.evidence.keys`        — the encrypted signing-key store and its rotation history
* :mod:`exports.evidence.credentials` — EvidenceCredential and CustodyTransferCredential
* :mod:`exports.evidence.merkle`      — RFC 9162 Merkle tree hash over the package manifest
* :mod:`exports.evidence.timestamp`   — RFC 3161 requests, responses and offline token verification
* :mod:`exports.evidence.package`     — build and verify an evidence package (zip)
* :mod:`exports.evidence.service`     — add / transfer / gather against the store, the files and the audit log
* :mod:`exports.evidence.report`      — chain-of-custody report (HTML, PDF)

See ``docs/evidence.md`` for the method.
"""
