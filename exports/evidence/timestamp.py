"""RFC 3161 time-stamping: build a request, ask a TSA over HTTP, and verify a token offline.

Requests are built with asn1crypto (``rfc3161ng`` labels SHA-1 digests as SHA-256; see LIBRARY_NOTES 8): the
message imprint is the digest we pass in (for a package, the Merkle root itself, hash algorithm SHA-256), a
random 64-bit nonce, and ``certReq`` so the TSA embeds its certificate.

Offline verification of a TimeStampResp (or a bare token), each step reported as a :class:`Check`:

1. the response is granted and the token parses (CMS SignedData holding a TSTInfo);
2. the message imprint equals the expected digest;
3. the CMS signature: content-type and message-digest signed attributes match the TSTInfo, the ESS
   signing-certificate(-v2) attribute names the signer certificate, and the signature over the signed attributes
   verifies with that certificate's key;
4. the signer certificate chains, through certificates in the token or the anchor file, to a certificate in the
   anchor file, every certificate valid at the token's genTime and every issuer a CA;
5. the signer certificate's extended key usage is timeStamping only, marked critical (RFC 3161 section 2.3).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

import httpx
from asn1crypto import cms, tsp
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID

from exports.evidence.checks import Check
from graph.errors import InvalidInput

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256, "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
ITEM = "timestamp token"


def build_request(digest: bytes, *, hash_name: str = "sha256", nonce: int | None = None) -> tuple[bytes, int]:
    """DER TimeStampReq over a precomputed digest, and the nonce it carries."""
    nonce = secrets.randbits(63) if nonce is None else nonce
    request = tsp.TimeStampReq({
        "version": 1,
        "message_imprint": {"hash_algorithm": {"algorithm": hash_name}, "hashed_message": digest},
        "nonce": nonce,
        "cert_req": True,
    })
    return request.dump(), nonce


def request_timestamp(url: str, digest: bytes, *, timeout: float = 30.0,
                      transport: httpx.BaseTransport | None = None) -> bytes:
    """POST a request to the TSA at ``url``; return the DER TimeStampResp after checking status, nonce, imprint."""
    body, nonce = build_request(digest)
    try:
        with httpx.Client(timeout=timeout, transport=transport) as client:
            reply = client.post(url, content=body, headers={"Content-Type": "application/timestamp-query"})
    except httpx.HTTPError as exc:
        raise InvalidInput(f"time-stamp authority {url} could not be reached: {type(exc).__name__}") from exc
    if reply.status_code != 200:
        raise InvalidInput(f"time-stamp authority {url} answered HTTP {reply.status_code}")
    try:
        response = tsp.TimeStampResp.load(reply.content)
        status = response["status"]["status"].native
        info = _tst_info(response["time_stamp_token"])
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidInput(f"time-stamp authority {url} sent a reply that is not a TimeStampResp") from exc
    if status not in ("granted", "granted_with_mods"):
        raise InvalidInput(f"time-stamp authority {url} refused the request (status {status})")
    if info["nonce"].native != nonce:
        raise InvalidInput(f"time-stamp authority {url} answered with a different nonce")
    if info["message_imprint"]["hashed_message"].native != digest:
        raise InvalidInput(f"time-stamp authority {url} stamped a different digest")
    return reply.content


def _tst_info(token: cms.ContentInfo) -> tsp.TSTInfo:
    signed = token["content"]
    if token["content_type"].native != "signed_data" or signed["encap_content_info"]["content_type"].native \
            != "tst_info":
        raise ValueError("not a time-stamp token")
    info: tsp.TSTInfo = signed["encap_content_info"]["content"].parsed
    return info


def token_summary(data: bytes) -> dict[str, Any]:
    """Gen time, serial, policy, TSA name of a response or token (for reports); raises ValueError if unreadable."""
    info = _tst_info(_token(data))
    tsa = info["tsa"]
    return {"gen_time": info["gen_time"].native.isoformat(), "serial_number": info["serial_number"].native,
            "policy": info["policy"].dotted, "tsa": tsa.chosen.human_friendly if tsa.native else "",
            "hash_algorithm": info["message_imprint"]["hash_algorithm"]["algorithm"].native}


def _token(data: bytes) -> cms.ContentInfo:
    try:
        response = tsp.TimeStampResp.load(data)
        status = response["status"]["status"].native
        if status not in ("granted", "granted_with_mods"):
            raise ValueError(f"response status is {status}")
        token: cms.ContentInfo = response["time_stamp_token"]
        token.native  # noqa: B018 - forces a full parse so damage shows here
        return token
    except (ValueError, TypeError, KeyError):
        token = cms.ContentInfo.load(data)
        token.native  # noqa: B018
        return token


def verify(data: bytes, *, anchors: list[x509.Certificate] | None, digest: bytes | None = None,
           message: bytes | None = None, item: str = ITEM) -> list[Check]:
    """Verify a TimeStampResp or token offline; see the module docstring for the steps."""
    checks: list[Check] = []
    try:
        token = _token(data)
        info = _tst_info(token)
        signed: cms.SignedData = token["content"]
        signer_info = signed["signer_infos"][0]
        gen_time: datetime = info["gen_time"].native
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        return [Check("timestamp token is a granted RFC 3161 token", item, False, f"cannot be parsed: {exc}")]
    checks.append(Check("timestamp token is a granted RFC 3161 token", item, True, f"genTime {gen_time.isoformat()}"))

    imprint = info["message_imprint"]
    hash_name = imprint["hash_algorithm"]["algorithm"].native
    expected = digest
    if expected is None and message is not None and hash_name in _HASHES:
        expected = hashlib.new(hash_name, message).digest()
    matches = expected is not None and imprint["hashed_message"].native == expected
    checks.append(Check("timestamp covers the Merkle root (message imprint)", item, matches,
                        f"{hash_name} {imprint['hashed_message'].native.hex()}"))

    embedded = [x509.load_der_x509_certificate(c.chosen.dump()) for c in signed["certificates"] or []
                if c.name == "certificate"]
    trusted = list(anchors or [])
    signer = _find_signer(signer_info, embedded + trusted)
    if signer is None:
        checks.append(Check("TSA signature", item, False, "the signer certificate is neither embedded nor given"))
        return checks
    checks.append(Check("TSA signature", item, *_check_signature(signed, signer_info, signer)))
    if anchors is None:
        checks.append(Check("TSA certificate chains to the trust anchor", item, False,
                            "no trust anchor given (--tsa-ca)"))
    else:
        checks.append(Check("TSA certificate chains to the trust anchor", item,
                            *_check_chain(signer, embedded + trusted, trusted, gen_time)))
    checks.append(Check("TSA certificate is for time-stamping (critical EKU)", item, *_check_usage(signer)))
    return checks


def _find_signer(signer_info: cms.SignerInfo, candidates: list[x509.Certificate]) -> x509.Certificate | None:
    sid = signer_info["sid"]
    for cert in candidates:
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            parsed = cms.Certificate.load(cert.public_bytes(Encoding.DER))
            if parsed.issuer == wanted["issuer"] and parsed.serial_number == wanted["serial_number"].native:
                return cert
        else:
            try:
                ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
            except x509.ExtensionNotFound:
                continue
            if ski == sid.chosen.native:
                return cert
    return None


def _check_signature(signed: cms.SignedData, signer_info: cms.SignerInfo,
                     signer: x509.Certificate) -> tuple[bool, str]:
    digest_name = signer_info["digest_algorithm"]["algorithm"].native
    if digest_name not in _HASHES:
        return False, f"unsupported digest {digest_name}"
    content = signed["encap_content_info"]["content"].contents
    attributes = signer_info["signed_attrs"]
    if not attributes.native:
        return False, "token has no signed attributes"
    values = {a["type"].native: a["values"][0] for a in attributes}
    if values.get("content_type") is None or values["content_type"].native != "tst_info":
        return False, "content-type attribute is not TSTInfo"
    if values.get("message_digest") is None or \
            values["message_digest"].native != hashlib.new(digest_name, content).digest():
        return False, "message-digest attribute does not match the TSTInfo"
    if not _ess_names_signer(values, signer):
        return False, "signing-certificate attribute does not name the signer certificate"
    signed_bytes = b"\x31" + attributes.dump()[1:]  # signed over the DER SET OF, not the [0] IMPLICIT form
    signature = signer_info["signature"].native
    try:
        _verify_with(signer.public_key(), signature, signed_bytes, _HASHES[digest_name](),
                     signer_info["signature_algorithm"])
    except InvalidSignature:
        return False, "signature does not verify with the TSA certificate"
    except (ValueError, TypeError) as exc:
        return False, f"signature cannot be checked: {exc}"
    return True, signer.subject.rfc4514_string()


def _ess_names_signer(values: dict[str, Any], signer: x509.Certificate) -> bool:
    der = signer.public_bytes(Encoding.DER)
    if values.get("signing_certificate_v2") is not None:
        cert_id = values["signing_certificate_v2"]["certs"][0]
        name = cert_id["hash_algorithm"]["algorithm"].native
        return bool(cert_id["cert_hash"].native == hashlib.new(name, der).digest())
    if values.get("signing_certificate") is not None:
        return bool(values["signing_certificate"]["certs"][0]["cert_hash"].native == hashlib.sha1(der).digest())  # noqa: S324 - ESSCertID is SHA-1 by definition (RFC 2634)
    return False


def _verify_with(key: Any, signature: bytes, data: bytes, hash_algorithm: hashes.HashAlgorithm,
                 algorithm: cms.SignedDigestAlgorithm) -> None:
    if isinstance(key, rsa.RSAPublicKey):
        if algorithm.signature_algo == "rsassa_pss":
            params = algorithm["parameters"]
            pss = padding.PSS(mgf=padding.MGF1(_HASHES[params["mask_gen_algorithm"]["parameters"]["algorithm"]
                                                       .native]()), salt_length=params["salt_length"].native)
            key.verify(signature, data, pss, _HASHES[params["hash_algorithm"]["algorithm"].native]())
        else:
            key.verify(signature, data, padding.PKCS1v15(), hash_algorithm)
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(signature, data, ec.ECDSA(hash_algorithm))
    elif isinstance(key, ed25519.Ed25519PublicKey):
        key.verify(signature, data)
    else:
        raise ValueError(f"unsupported key type {type(key).__name__}")


def _check_chain(leaf: x509.Certificate, candidates: list[x509.Certificate], anchors: list[x509.Certificate],
                 at: datetime) -> tuple[bool, str]:
    if not _valid_at(leaf, at):
        return False, "TSA certificate was not valid at the time of stamping"
    path = _path(leaf, candidates, anchors, at, depth=0)
    if path is None:
        return False, "TSA certificate does not chain to the given trust anchor"
    return True, " <- ".join(c.subject.rfc4514_string() for c in path)


def _path(cert: x509.Certificate, candidates: list[x509.Certificate], anchors: list[x509.Certificate],
          at: datetime, depth: int) -> list[x509.Certificate] | None:
    # Like OpenSSL: a path should end at a self-signed anchor; a non-self-signed anchor ends it only when no
    # issuer of it is at hand (a pinned intermediate or TSA certificate).
    if cert in anchors and cert.issuer == cert.subject:
        return [cert]
    if depth > 8:
        return None
    for issuer in candidates:
        if issuer == cert or issuer.subject != cert.issuer or not _is_ca(issuer) or not _valid_at(issuer, at):
            continue
        try:
            cert.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature):
            continue
        rest = _path(issuer, candidates, anchors, at, depth + 1)
        if rest is not None:
            return [cert, *rest]
    return [cert] if cert in anchors else None


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _valid_at(cert: x509.Certificate, at: datetime) -> bool:
    return cert.not_valid_before_utc <= at <= cert.not_valid_after_utc


def _check_usage(cert: x509.Certificate) -> tuple[bool, str]:
    try:
        extension = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        return False, "TSA certificate has no extended key usage"
    usages = list(extension.value)
    if usages != [ExtendedKeyUsageOID.TIME_STAMPING]:
        return False, "extended key usage is not timeStamping alone"
    if not extension.critical:
        return False, "timeStamping extended key usage is not marked critical"
    return True, "timeStamping, critical"


def load_anchors(data: bytes) -> list[x509.Certificate]:
    """Every certificate in a PEM file (or the one certificate of a DER file); each is trusted as an anchor."""
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise InvalidInput("the trust anchor file holds no certificate (PEM or DER)") from exc

