"""Our RFC 3161 verifier on real TSA responses (timestamp.sigstage.dev, from trailofbits/rfc3161-client) and on
requests answered by the local OpenSSL TSA."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from asn1crypto import tsp
from evidence_fixtures import DATA, LocalTSA

from exports.evidence import timestamp
from exports.evidence.checks import first_failure
from graph.errors import InvalidInput

SIGSTAGE = DATA / "rfc3161_sigstage"


def _anchors(path: Path) -> list:  # type: ignore[type-arg]
    return timestamp.load_anchors(path.read_bytes())


@pytest.mark.parametrize("name", ["response-sha256.tsr", "response-sha384.tsr", "response-no-embedded-cert.tsr"])
def test_real_sigstage_tokens_over_hello_verify(name: str) -> None:
    checks = timestamp.verify((SIGSTAGE / name).read_bytes(), anchors=_anchors(SIGSTAGE / "ts_chain.pem"),
                              message=b"hello")
    assert first_failure(checks) is None, first_failure(checks)
    chain = next(c for c in checks if "chains" in c.check)
    assert "sigstore-tsa-selfsigned" in chain.detail  # the path ends at the self-signed root


def test_sigstage_token_with_a_bad_signature_fails_on_the_signature() -> None:
    checks = timestamp.verify((SIGSTAGE / "response-invalid-signature.tsr").read_bytes(),
                              anchors=_anchors(SIGSTAGE / "ts_chain.pem"), message=b"hello")
    failed = first_failure(checks)
    assert failed is not None and failed.check == "TSA signature"


def test_sigstage_token_does_not_cover_other_data() -> None:
    failed = first_failure(timestamp.verify((SIGSTAGE / "response-sha256.tsr").read_bytes(),
                                            anchors=_anchors(SIGSTAGE / "ts_chain.pem"), message=b"hello!"))
    assert failed is not None and "imprint" in failed.check


def test_sigstage_token_against_an_unrelated_anchor_fails_the_chain(local_tsa: LocalTSA) -> None:
    failed = first_failure(timestamp.verify((SIGSTAGE / "response-sha256.tsr").read_bytes(),
                                            anchors=_anchors(local_tsa.ca), message=b"hello"))
    assert failed is not None and "chain" in failed.check


def test_local_tsa_answers_our_request_with_our_nonce_and_digest(local_tsa: LocalTSA) -> None:
    digest = hashlib.sha256(b"merkle root stand-in").digest()
    reply = timestamp.request_timestamp(local_tsa.url, digest)
    assert tsp.TimeStampResp.load(reply)["status"]["status"].native == "granted"
    assert first_failure(timestamp.verify(reply, anchors=_anchors(local_tsa.ca), digest=digest)) is None
    summary = timestamp.token_summary(reply)
    assert summary["hash_algorithm"] == "sha256" and "tsa1" in summary["tsa"]


def test_unreachable_tsa_is_one_clear_error() -> None:
    with pytest.raises(InvalidInput, match="could not be reached"):
        timestamp.request_timestamp("http://127.0.0.1:9/tsa", bytes(32), timeout=2)


def test_request_carries_the_digest_itself_as_sha256_imprint() -> None:
    digest = bytes(range(32))
    body, nonce = timestamp.build_request(digest, nonce=12345)
    request = tsp.TimeStampReq.load(body)
    assert request["message_imprint"]["hash_algorithm"]["algorithm"].native == "sha256"
    assert request["message_imprint"]["hashed_message"].native == digest
    assert request["nonce"].native == nonce == 12345 and request["cert_req"].native is True
