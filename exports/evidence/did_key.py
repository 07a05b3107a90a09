"""``did:key`` for Ed25519 (W3C CCG did:key method) and multibase base58btc, resolved locally.

A ``did:key`` carries its public key: ``did:key:z`` + base58btc(0xed 0x01 || 32-byte public key). Resolving
one needs no network and no registry, so credentials verify offline and keep verifying after the signing key
is rotated away. Private keys use the multicodec ``ed25519-priv`` (0x1300, varint 0x80 0x26), as in the W3C
vc-di-eddsa test vectors.

>>> did = did_from_public_key(bytes(32))
>>> did.startswith("did:key:z6Mk")
True
>>> public_key_bytes(resolve(did)) == bytes(32)
True
"""

from __future__ import annotations

import base58
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from graph.errors import InvalidInput

ED25519_PUB = b"\xed\x01"  # multicodec ed25519-pub (0xed) as an unsigned varint
ED25519_PRIV = b"\x80\x26"  # multicodec ed25519-priv (0x1300) as an unsigned varint
DID_KEY_PREFIX = "did:key:"


def multibase_encode(data: bytes) -> str:
    """Multibase base58btc: ``z`` + base58 (Bitcoin alphabet)."""
    return "z" + base58.b58encode(data).decode("ascii")


def multibase_decode(text: str) -> bytes:
    if not text.startswith("z"):
        raise InvalidInput("multibase value is not base58btc (must start with 'z')")
    try:
        return base58.b58decode(text[1:])
    except ValueError as exc:
        raise InvalidInput("multibase value is not valid base58btc") from exc


def public_key_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_multibase(key: Ed25519PublicKey | bytes) -> str:
    raw = key if isinstance(key, bytes) else public_key_bytes(key)
    return multibase_encode(ED25519_PUB + raw)


def did_from_public_key(key: Ed25519PublicKey | bytes) -> str:
    return DID_KEY_PREFIX + public_key_multibase(key)


def verification_method(did: str) -> str:
    """The key's verification method id: ``did:key:z…#z…`` (the fragment repeats the multibase key)."""
    return f"{did}#{did[len(DID_KEY_PREFIX):]}"


def resolve(did_or_method: str) -> Ed25519PublicKey:
    """The Ed25519 public key a ``did:key`` (or one of its verification-method ids) stands for."""
    did, _, fragment = did_or_method.partition("#")
    if not did.startswith(DID_KEY_PREFIX):
        raise InvalidInput("verification method is not a did:key")
    encoded = did[len(DID_KEY_PREFIX):]
    if fragment and fragment != encoded:
        raise InvalidInput("did:key fragment does not repeat the key")
    raw = multibase_decode(encoded)
    if not raw.startswith(ED25519_PUB) or len(raw) != len(ED25519_PUB) + 32:
        raise InvalidInput("did:key is not an Ed25519 public key")
    return Ed25519PublicKey.from_public_bytes(raw[len(ED25519_PUB):])


def private_key_from_multibase(text: str) -> Ed25519PrivateKey:
    raw = multibase_decode(text)
    if not raw.startswith(ED25519_PRIV) or len(raw) != len(ED25519_PRIV) + 32:
        raise InvalidInput("privateKeyMultibase is not an Ed25519 private key")
    return Ed25519PrivateKey.from_private_bytes(raw[len(ED25519_PRIV):])


def private_key_multibase(key: Ed25519PrivateKey) -> str:
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                            serialization.NoEncryption())
    return multibase_encode(ED25519_PRIV + raw)
