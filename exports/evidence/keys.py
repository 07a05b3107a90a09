"""The signing-key store: Ed25519 keys encrypted at rest, one current, with a public rotation history.

Layout of the key directory (default ``data/keys/`` beside the store)::

    history.json                 public: every key's did:key, created and retired times, which is current
    ed25519-<created>.pem        PKCS#8 PEM, encrypted with the passphrase (BestAvailableEncryption)

The passphrase comes from ``TRACEGRAPH_KEY_PASSPHRASE`` and is required to sign. Verifying never needs it: a
credential names its ``did:key``, which carries the public key, so credentials signed before a rotation keep
verifying; the history records which keys were ours and when they were in service.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from exports.evidence import did_key
from graph.errors import InvalidInput

PASSPHRASE_VARIABLE = "TRACEGRAPH_KEY_PASSPHRASE"  # noqa: S105 - the variable name, not a secret
HISTORY_FILE = "history.json"


def utc_now() -> str:
    """Now as an XML Schema dateTime in UTC with second precision (the form VC 2.0 examples use)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class KeyRecord:
    did: str
    verification_method: str
    file: str
    created: str
    retired: str | None = None


@dataclass(frozen=True)
class Signer:
    """The current signing key, ready to use."""

    key: Ed25519PrivateKey
    did: str
    verification_method: str


class KeyStore:
    def __init__(self, key_dir: Path, passphrase: str | None) -> None:
        self.key_dir = Path(key_dir)
        self._passphrase = passphrase

    # --- public history ---------------------------------------------------------------------------------------

    def history(self) -> list[KeyRecord]:
        path = self.key_dir / HISTORY_FILE
        if not path.exists():
            return []
        data = json.loads(path.read_text(encoding="utf-8"))
        return [KeyRecord(**entry) for entry in data.get("keys", [])]

    def history_document(self) -> dict[str, Any]:
        """The public history as shipped inside evidence packages (no private material)."""
        return {"keys": [asdict(r) for r in self.history()]}

    def current(self) -> KeyRecord | None:
        active = [r for r in self.history() if r.retired is None]
        return active[-1] if active else None

    # --- signing ----------------------------------------------------------------------------------------------

    def signer(self) -> Signer:
        """The current key, decrypted; the first call in an empty directory creates the first key."""
        passphrase = self._require_passphrase()
        record = self.current() or self._create(passphrase)
        pem = (self.key_dir / record.file).read_bytes()
        try:
            key = serialization.load_pem_private_key(pem, password=passphrase)
        except (ValueError, TypeError) as exc:
            raise InvalidInput(f"cannot decrypt signing key {record.file}: wrong {PASSPHRASE_VARIABLE}?") from exc
        if not isinstance(key, Ed25519PrivateKey) or did_key.did_from_public_key(key.public_key()) != record.did:
            raise InvalidInput(f"signing key {record.file} does not match its did:key in {HISTORY_FILE}")
        return Signer(key, record.did, record.verification_method)

    def rotate(self) -> tuple[KeyRecord | None, KeyRecord]:
        """Make a new key current; the previous one is marked retired (its public key stays in the history)."""
        passphrase = self._require_passphrase()
        previous = self.current()
        if previous is not None:
            self.signer()  # proves the passphrase opens the current key before anything changes
        new = self._create(passphrase, retire=previous)
        return previous, new

    # --- internals --------------------------------------------------------------------------------------------

    def _require_passphrase(self) -> bytes:
        if not self._passphrase:
            raise InvalidInput(f"{PASSPHRASE_VARIABLE} is not set: signing keys are stored encrypted and need it")
        return self._passphrase.encode("utf-8")

    def _create(self, passphrase: bytes, retire: KeyRecord | None = None) -> KeyRecord:
        self.key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = Ed25519PrivateKey.generate()
        did = did_key.did_from_public_key(key.public_key())
        created = utc_now()
        file_name = f"ed25519-{created.replace(':', '').replace('-', '')}-{did[-8:]}.pem"
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.BestAvailableEncryption(passphrase))
        path = self.key_dir / file_name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        record = KeyRecord(did, did_key.verification_method(did), file_name, created)
        records = [KeyRecord(**{**asdict(r), "retired": created}) if retire and r.did == retire.did else r
                   for r in self.history()]
        self._write_history([*records, record])
        return record

    def _write_history(self, records: list[KeyRecord]) -> None:
        path = self.key_dir / HISTORY_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"keys": [asdict(r) for r in records]}, indent=2) + "\n", encoding="utf-8")
        tmp.replace(path)
