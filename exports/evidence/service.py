"""Evidence operations against the store, the evidence folder, the key store and the audit log.

The evidence folder (default ``data/evidence/`` beside the store) holds, per item::

    <evidence id>/<file name>                        the copy taken into custody (read-only)
    <evidence id>/credentials/NNN-<type>.json        the signed credentials, in chain order

The graph holds the ``Evidence`` node (digest, credential id, custodian, custody state) and ``OF`` to the
Recovery or Firearm it documents. Every operation writes one audit entry (the CLI also records failures).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from exports.canonical import TRACEGRAPH_NAMESPACE, canonical_json, uuid5_canonical
from exports.evidence import credentials, package, proofs
from exports.evidence.keys import KeyStore, utc_now
from graph.errors import InvalidInput, NotFound
from graph.store import GraphStore

SUBJECTS = {"recovery": ("Recovery", "evidence_recovery_exists"), "firearm": ("Firearm", "evidence_firearm_exists")}
_CASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$")
_CHUNK = 1 << 20


class AuditSink(Protocol):
    def append(self, *, actor: str, action: str, target: str, outcome: str = "ok",
               details: dict[str, Any] | None = None, time: str | None = None) -> dict[str, Any]: ...

    def head(self) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class EvidencePaths:
    """Where keys, the audit log and evidence files live; unset ones default to folders beside the store."""

    key_dir: Path
    audit_log: Path
    evidence_dir: Path

    @classmethod
    def beside(cls, db: Path, *, key_dir: Path | None = None, audit_log: Path | None = None,
               evidence_dir: Path | None = None) -> EvidencePaths:
        base = Path(db).parent
        return cls(key_dir or base / "keys", audit_log or base / "audit.jsonl", evidence_dir or base / "evidence")


@dataclass(frozen=True)
class CaseItem:
    node: dict[str, Any]
    file: Path
    chain: list[tuple[Path, dict[str, Any]]] = field(default_factory=list)

    @property
    def evidence_id(self) -> str:
        return str(self.node["evidence_id"])

    @property
    def documents(self) -> str:
        return str(self.chain[0][1]["credentialSubject"].get("documents", "")) if self.chain else ""

    @property
    def analysis_run(self) -> str | None:
        run = self.chain[0][1]["credentialSubject"].get("analysisRun") if self.chain else None
        return str(run) if run else None


def parse_subject(of: str) -> tuple[str, str, str]:
    """``recovery:TRACE_ID`` / ``firearm:KEY`` -> (label, key, lookup statement)."""
    kind, _, key = of.partition(":")
    if kind.lower() not in SUBJECTS or not key.strip():
        raise InvalidInput("--of must be recovery:TRACE_ID or firearm:FIREARM_KEY")
    label, statement = SUBJECTS[kind.lower()]
    return label, key.strip(), statement


def file_digest(path: Path) -> tuple[int, str]:
    sha, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            sha.update(chunk)
            size += len(chunk)
    return size, sha.hexdigest()


def _naive_utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)


def add_evidence(store: GraphStore, paths: EvidencePaths, keys: KeyStore, audit: AuditSink, *, file: Path,
                 case_id: str, of: str, actor: str, analysis_run: str | None = None) -> dict[str, Any]:
    """Take a file into custody: copy, digest, Evidence node + OF, signed EvidenceCredential, audit entry."""
    if not _CASE_ID.match(case_id):
        raise InvalidInput("--case must be 1-128 letters, digits or . _ : / - (starting with a letter or digit)")
    if not actor.strip():
        raise InvalidInput("--by must name the actor")
    if not file.is_file():
        raise InvalidInput("the evidence file does not exist or is not a regular file")
    label, key, statement = parse_subject(of)
    if not len(store.query(statement, {"key": key})):
        raise NotFound(f"{label} {key} not found")
    if analysis_run and not len(store.query("evidence_analysis_runs", {"run_ids": [analysis_run]})):
        raise NotFound(f"AnalysisRun {analysis_run} not found")
    documents = f"{label.lower()}:{key}"
    size, sha256 = file_digest(file)
    evidence_id = str(uuid5_canonical(TRACEGRAPH_NAMESPACE, {"case": case_id, "of": documents, "sha256": sha256}))
    if len(store.query("evidence_get", {"evidence_id": evidence_id})):
        raise InvalidInput(f"evidence {evidence_id} already holds this file for this case and subject")
    signer = keys.signer()  # fails on a missing passphrase before anything is written
    folder = paths.evidence_dir / evidence_id
    now = utc_now()
    credential = credentials.issue(credentials.evidence_credential(
        evidence_id=evidence_id, case_id=case_id, file_name=file.name, size_bytes=size, sha256=sha256,
        documents=documents, actor=actor, time=now, issuer=signer.did, analysis_run=analysis_run), signer)
    try:
        (folder / "credentials").mkdir(parents=True)
        copy = folder / file.name
        shutil.copyfile(file, copy)
        if file_digest(copy) != (size, sha256):
            raise InvalidInput("the copy of the evidence file differs from the source (changed while copying?)")
        copy.chmod(0o444)
        _write_credential(folder, 0, credential)
        store.upsert_nodes("Evidence", [{
            "evidence_id": evidence_id, "case_id": case_id, "file_name": file.name, "sha256": sha256,
            "size_bytes": size, "credential_id": credential["id"], "custodian": actor,
            "custody_state": "in_custody", "added_at": _naive_utc(now), "added_by": actor}])
        store.upsert_relationships("OF", "Evidence", label, [{"from_key": evidence_id, "to_key": key}])
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    audit.append(actor=actor, action="evidence.add", target=f"evidence:{evidence_id}", time=now, details={
        "case_id": case_id, "of": documents, "sha256": sha256, "size_bytes": size,
        "credential_id": credential["id"], "analysis_run": analysis_run})
    return {"evidence_id": evidence_id, "sha256": sha256, "size_bytes": size, "credential": credential}


def _write_credential(folder: Path, index: int, credential: dict[str, Any]) -> Path:
    path = folder / "credentials" / f"{index:03d}-{credentials.kind(credential)}.json"
    with path.open("x", encoding="utf-8") as handle:
        handle.write(json.dumps(credential, indent=2, ensure_ascii=False) + "\n")
    return path


def load_chain(folder: Path) -> list[tuple[Path, dict[str, Any]]]:
    return [(p, json.loads(p.read_text(encoding="utf-8")))
            for p in sorted((folder / "credentials").glob("*.json"))]


def get_evidence(store: GraphStore, evidence_id: str) -> dict[str, Any]:
    rows = store.query("evidence_get", {"evidence_id": evidence_id}).rows()
    if not rows:
        raise NotFound(f"evidence {evidence_id} not found")
    return rows[0]


def transfer_evidence(store: GraphStore, paths: EvidencePaths, keys: KeyStore, audit: AuditSink, *,
                      evidence_id: str, transferor: str, transferee: str, reason: str,
                      actor: str | None = None) -> dict[str, Any]:
    """Hand an item from its custodian to another: signed CustodyTransferCredential, node updated, audit."""
    if not transferee.strip() or not reason.strip():
        raise InvalidInput("--to and --reason must not be empty")
    node = get_evidence(store, evidence_id)
    if node["custodian"] != transferor:
        raise InvalidInput(f"evidence {evidence_id}: --from is not the custodian of record")
    if transferee == transferor:
        raise InvalidInput(f"evidence {evidence_id}: --to is already the custodian")
    folder = paths.evidence_dir / evidence_id
    chain = load_chain(folder)
    if not chain:
        raise InvalidInput(f"evidence {evidence_id}: its credentials are missing from {paths.evidence_dir}")
    signer = keys.signer()
    now = utc_now()
    credential = credentials.issue(credentials.custody_transfer_credential(
        evidence_id=evidence_id, case_id=node["case_id"], transferor=transferor, transferee=transferee,
        reason=reason, time=now, issuer=signer.did, sequence=len(chain), previous=chain[-1][1]), signer)
    _write_credential(folder, len(chain), credential)
    store.upsert_nodes("Evidence", [{"evidence_id": evidence_id, "custodian": transferee,
                                     "custody_state": "transferred"}])
    audit.append(actor=actor or transferor, action="evidence.transfer", target=f"evidence:{evidence_id}",
                 time=now, details={"case_id": node["case_id"], "sequence": len(chain),
                                    "credential_id": credential["id"]})
    return {"evidence_id": evidence_id, "sequence": len(chain), "credential": credential}


def case_items(store: GraphStore, paths: EvidencePaths, case_id: str) -> list[CaseItem]:
    rows = store.query("evidence_by_case", {"case_id": case_id}).rows()
    if not rows:
        raise NotFound(f"case {case_id} has no evidence")
    items = []
    for row in rows:
        folder = paths.evidence_dir / row["evidence_id"]
        items.append(CaseItem(row, folder / row["file_name"], load_chain(folder)))
    return items


def check_held(item: CaseItem) -> None:
    """Refuse to package an item whose held file or credentials no longer match what was recorded."""
    if not item.file.is_file() or file_digest(item.file) != (item.node["size_bytes"], item.node["sha256"]):
        raise InvalidInput(f"evidence {item.evidence_id}: the held file is missing or no longer matches its SHA-256")
    if not item.chain:
        raise InvalidInput(f"evidence {item.evidence_id}: its credentials are missing")
    for path, document in item.chain:
        if not proofs.verify(document):
            raise InvalidInput(f"evidence {item.evidence_id}: credential {path.name} does not verify")
    if credentials.check_chain([doc for _, doc in item.chain]) is not None:
        raise InvalidInput(f"evidence {item.evidence_id}: its custody chain is broken")


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)[:120] or "_"


def package_case(store: GraphStore, paths: EvidencePaths, keys: KeyStore, audit: AuditSink, *, case_id: str,
                 out: Path, timestamper: Callable[[bytes], bytes], actor: str,
                 readme: Callable[[str, list[CaseItem]], Callable[[dict[str, Any], dict[str, Any]], str]],
                 ) -> package.BuiltPackage:
    """Build the evidence package of a case (see :mod:`exports.evidence.package`)."""
    items = case_items(store, paths, case_id)
    for item in items:
        check_held(item)
    members: dict[str, package.Content] = {}
    for item in items:
        members[f"files/{item.evidence_id}/{item.file.name}"] = item.file
        for path, _ in item.chain:
            members[f"credentials/{item.evidence_id}/{path.name}"] = path
    run_ids = sorted({run_id for item in items if (run_id := item.analysis_run)})
    runs = store.query("evidence_analysis_runs", {"run_ids": run_ids}).rows() if run_ids else []
    for run in runs:
        members[f"analysis-runs/{_safe_name(str(run['run_id']))}.json"] = (
            json.dumps(run, indent=2, sort_keys=True, default=str) + "\n").encode("utf-8")
    members[package.KEY_HISTORY] = canonical_json(keys.history_document())
    members["package.json"] = (json.dumps({
        "format": package.FORMAT, "case_id": case_id, "created": utc_now(), "items": len(items),
        "analysis_runs": [r["run_id"] for r in runs], "audit_head": audit.head()}, indent=2) + "\n").encode()
    built = package.build_package(out, members, timestamper=timestamper, readme=readme(case_id, items))
    audit.append(actor=actor, action="evidence.package", target=f"case:{case_id}", details={
        "items": len(items), "merkle_root": built.merkle_root, "evidence_ids": [i.evidence_id for i in items]})
    return built
