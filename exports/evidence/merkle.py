"""The Merkle tree hash over an evidence package manifest (RFC 9162 section 2.1.1, as RFC 6962 section 2.1).

* Leaves: one per manifest entry ``{"path", "size", "sha256"}``, sorted by ``path`` (byte order of its UTF-8),
  each leaf's input being the entry's RFC 8785 canonical JSON.
* Hashes: ``leaf = SHA-256(0x00 || input)``, ``node = SHA-256(0x01 || left || right)`` (domain separation, so
  a leaf can never pass for an inner node).
* Shape: for n > 1 leaves, split at k, the largest power of two smaller than n; hash the first k and the
  remaining n - k recursively. An odd leaf is therefore never duplicated: it is carried up unpaired until it
  joins a subtree. The empty tree's hash is ``SHA-256("")``.

>>> merkle_root([]).hex()[:16]
'e3b0c44298fc1c14'
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from exports.canonical import canonical_json

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
RULE = ("RFC 9162 section 2.1.1 Merkle tree hash, SHA-256; leaf = SHA-256(0x00 || RFC 8785 JSON of the manifest "
        "entry {path,size,sha256}), node = SHA-256(0x01 || left || right); leaves sorted by path (UTF-8 byte "
        "order); split at the largest power of two below n, odd leaves carried up, never duplicated")


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """RFC 9162 Merkle tree hash of the leaf inputs, in the order given."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    return _subtree([leaf_hash(leaf) for leaf in leaves])


def _subtree(hashes: list[bytes]) -> bytes:
    if len(hashes) == 1:
        return hashes[0]
    split = 1 << ((len(hashes) - 1).bit_length() - 1)
    return node_hash(_subtree(hashes[:split]), _subtree(hashes[split:]))


def manifest_leaves(entries: Sequence[dict[str, Any]]) -> list[bytes]:
    """The leaf inputs of a manifest: canonical JSON of each entry, sorted by path."""
    ordered = sorted(entries, key=lambda e: str(e["path"]).encode("utf-8"))
    return [canonical_json({"path": e["path"], "size": e["size"], "sha256": e["sha256"]}) for e in ordered]


def manifest_root(entries: Sequence[dict[str, Any]]) -> bytes:
    return merkle_root(manifest_leaves(entries))
