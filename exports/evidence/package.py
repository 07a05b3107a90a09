"""Evidence packages: one zip that a court can check without trusting the platform.

Layout::

    README.txt                                   what this is and how to check it by hand (not covered)
    manifest.json                                every covered file: path, size, SHA-256; the Merkle root
    package.json                                 case, creation time, audit-log head, counts      (covered)
    files/<evidence id>/<file name>              the evidence files                                (covered)
    credentials/<evidence id>/NNN-<type>.json    EvidenceCredential, then CustodyTransferCredentials (covered)
    analysis-runs/<run id>.json                  AnalysisRun records behind included analytics     (covered)
    keys/history.json                            the platform's did:keys and their service periods (covered)
    timestamp/merkle-root.tsr                    RFC 3161 TimeStampResp over the Merkle root

Verification (:func:`verify_package`) recomputes every digest and the root, verifies every credential proof and
each item's custody chain, and verifies the timestamp token against a trust anchor; it reports every check and
the first failure names the item.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from cryptography import x509

from exports.evidence import credentials, proofs, timestamp
from exports.evidence.checks import Check
from exports.evidence.merkle import RULE, manifest_root

FORMAT = "tracegraph-evidence-package/1"
MANIFEST = "manifest.json"
README = "README.txt"
TOKEN = "timestamp/merkle-root.tsr"  # noqa: S105 - a path in the zip
KEY_HISTORY = "keys/history.json"
UNCOVERED = {MANIFEST, README, TOKEN}
_CHUNK = 1 << 20
_DAMAGED = (zipfile.BadZipFile, OSError, EOFError, zlib.error)  # CRC or deflate damage to a member

Content = bytes | Path


@dataclass(frozen=True)
class BuiltPackage:
    path: Path
    merkle_root: str
    entries: int
    timestamp: dict[str, Any]


def _digest(content: Content) -> tuple[int, str]:
    if isinstance(content, bytes):
        return len(content), hashlib.sha256(content).hexdigest()
    sha, size = hashlib.sha256(), 0
    with content.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            sha.update(chunk)
            size += len(chunk)
    return size, sha.hexdigest()


def build_package(out: Path, members: Mapping[str, Content], *, timestamper: Callable[[bytes], bytes],
                  readme: Callable[[dict[str, Any], dict[str, Any]], str]) -> BuiltPackage:
    """Write the zip: manifest over ``members``, its Merkle root stamped by ``timestamper`` (root -> DER
    TimeStampResp), and a README rendered from the manifest and the token summary."""
    for name in members:
        _check_member_name(name)
    entries = [{"path": name, "size": size, "sha256": sha}
               for name, (size, sha) in sorted(((n, _digest(c)) for n, c in members.items()),
                                               key=lambda item: item[0].encode("utf-8"))]
    root = manifest_root(entries)
    manifest = {"format": FORMAT, "hash_algorithm": "sha256", "merkle_rule": RULE, "merkle_root": root.hex(),
                "entries": entries}
    token = timestamper(root)
    summary = timestamp.token_summary(token)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr(README, readme(manifest, summary))
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        for name in sorted(members):
            content = members[name]
            if isinstance(content, bytes):
                archive.writestr(name, content)
            else:
                archive.write(content, name)
        archive.writestr(TOKEN, token)
    tmp.replace(out)
    return BuiltPackage(out, root.hex(), len(entries), summary)


def _check_member_name(name: str) -> None:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or "\\" in name or name in UNCOVERED or not name:
        raise ValueError(f"unsafe or reserved package path {name!r}")


# --- verification -------------------------------------------------------------------------------------------


def verify_package(path: Path, anchors: list[x509.Certificate] | None) -> list[Check]:
    """Every check on a package, in order; the first failing one names the item at fault."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        return [Check("package is a readable zip", path.name, False, type(exc).__name__)]
    with archive:
        return _verify_open(archive, anchors)


def _read(archive: zipfile.ZipFile, name: str) -> bytes | None:
    """A member's bytes, None if absent; a damaged member (CRC, deflate) raises BadZipFile/OSError/EOFError."""
    try:
        return archive.read(name)
    except KeyError:
        return None


def _verify_open(archive: zipfile.ZipFile, anchors: list[x509.Certificate] | None) -> list[Check]:
    checks: list[Check] = []
    try:
        manifest = json.loads(_read(archive, MANIFEST) or b"null")
        entries = manifest["entries"]
        well_formed = manifest["format"] == FORMAT and isinstance(entries, list) and all(
            isinstance(e, dict) and set(e) == {"path", "size", "sha256"} and isinstance(e["path"], str)
            for e in entries)
    except (*_DAMAGED, ValueError, KeyError, TypeError):
        well_formed = False
    if not well_formed:
        return [Check("manifest is present and readable", MANIFEST, False, "missing, damaged or not a manifest")]
    checks.append(Check("manifest is present and readable", MANIFEST, True, f"{len(entries)} entries"))

    contents: dict[str, bytes] = {}
    for entry in entries:
        checks.append(_check_entry(archive, entry, contents))
    listed = {e["path"] for e in entries}
    for name in archive.namelist():
        if name not in listed and name not in UNCOVERED and not name.endswith("/"):
            checks.append(Check("every file is listed in the manifest", name, False, "file not in the manifest"))

    recomputed = manifest_root(entries).hex()
    checks.append(Check("Merkle root recomputed from the manifest", MANIFEST, recomputed == manifest.get("merkle_root"),
                        recomputed))

    checks.extend(_credential_checks(contents, {e["path"]: e for e in entries}))

    label = "timestamp token is a granted RFC 3161 token"
    try:
        token = _read(archive, TOKEN)
    except _DAMAGED:
        checks.append(Check(label, TOKEN, False, "damaged inside the zip (CRC or compression error)"))
        return checks
    if token is None:
        checks.append(Check(label, TOKEN, False, "missing"))
    else:
        checks.extend(timestamp.verify(token, anchors=anchors, digest=bytes.fromhex(recomputed), item=TOKEN))
    return checks


def _check_entry(archive: zipfile.ZipFile, entry: dict[str, Any], contents: dict[str, bytes]) -> Check:
    name, label = entry["path"], "file matches its manifest entry (size, SHA-256)"
    keep = not name.startswith("files/")  # credentials, records and key history are small JSON read later
    sha, size, kept = hashlib.sha256(), 0, bytearray()
    try:
        _check_member_name(name)
        with archive.open(name) as member:  # streamed: evidence files may be large
            while chunk := member.read(_CHUNK):
                sha.update(chunk)
                size += len(chunk)
                if keep:
                    kept += chunk
    except ValueError:
        return Check(label, name, False, "unsafe path in the manifest")
    except KeyError:
        return Check(label, name, False, "file listed in the manifest is missing")
    except _DAMAGED:
        return Check(label, name, False, "file is damaged inside the zip (CRC or compression error)")
    if size != entry["size"]:
        return Check(label, name, False, f"size {size} != manifest {entry['size']}")
    digest = sha.hexdigest()
    if digest != entry["sha256"]:
        return Check(label, name, False, f"SHA-256 {digest} != manifest {entry['sha256']}")
    if keep:
        contents[name] = bytes(kept)
    return Check(label, name, True, digest)


def _credential_checks(contents: dict[str, bytes], entries: dict[str, dict[str, Any]]) -> list[Check]:
    checks: list[Check] = []
    history = _json(contents.get(KEY_HISTORY)) or {}
    platform_keys = {k.get("verification_method") for k in history.get("keys", []) if isinstance(k, dict)}
    chains: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    broken: dict[str, str] = {}  # credentials that do not verify: the chain breaks at them, not after them
    listed = {n for n in entries if n.startswith("credentials/")}
    for name in sorted(listed | {n for n in contents if n.startswith("credentials/")}):
        if name not in contents:  # failed its manifest check above (changed, damaged or missing)
            chains.setdefault(PurePosixPath(name).parent.name, []).append((name, {}))
            broken[name] = "this credential differs from its manifest entry"
            continue
        document = _json(contents[name])
        if not isinstance(document, dict):
            checks.append(Check("credential proof (eddsa-jcs-2022)", name, False, "not a JSON credential"))
            chains.setdefault(PurePosixPath(name).parent.name, []).append((name, {}))
            broken[name] = "this credential is not JSON"
            continue
        result = proofs.verify(document)
        if not result.ok:
            broken[name] = "this credential's proof does not verify"
        checks.append(Check("credential proof (eddsa-jcs-2022)", name, result.ok, result.reason or "signature valid"))
        issuer_ok = result.verification_method in platform_keys and \
            result.verification_method.split("#")[0] == document.get("issuer")
        checks.append(Check("credential issued by a platform key (keys/history.json)", name, issuer_ok,
                            document.get("issuer", "") if issuer_ok else "issuer is not a recorded platform key"))
        chains.setdefault(PurePosixPath(name).parent.name, []).append((name, document))
    for evidence_id, chain in sorted(chains.items()):
        first_broken = next((name for name, _ in chain if name in broken), None)
        if first_broken is not None:  # a later link's digest check would blame the next credential instead
            checks.append(Check("custody chain unbroken", first_broken, False, broken[first_broken]))
        else:
            problem = credentials.check_chain([doc for _, doc in chain])
            item = chain[problem.index][0] if problem and problem.index < len(chain) else \
                f"credentials/{evidence_id}/"
            checks.append(Check("custody chain unbroken", item, problem is None,
                                problem.reason if problem else f"{len(chain)} credential(s)"))
        if chain[0][0] not in broken:
            checks.append(_attests_file(evidence_id, chain[0], entries))
    return checks


def _attests_file(evidence_id: str, first: tuple[str, dict[str, Any]], entries: dict[str, dict[str, Any]]) -> Check:
    name, document = first
    subject = document.get("credentialSubject", {})
    path = f"files/{evidence_id}/{subject.get('fileName', '')}"
    entry = entries.get(path)
    ok = entry is not None and entry["sha256"] == subject.get("sha256") and entry["size"] == subject.get("sizeBytes")
    return Check("credential attests the packaged file (SHA-256, size)", name, ok,
                 path if ok else "credential digest or size differs from the packaged file")


def _json(data: bytes | None) -> Any:
    if data is None:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None
