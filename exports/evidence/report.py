"""Human-readable outputs: the README inside a package and the chain-of-custody report (HTML, PDF) of a case.

The HTML is self-contained (inline CSS, no scripts, no external resources) so it opens offline and prints as
is; the PDF is rendered from the same HTML by WeasyPrint when it is installed (it needs Debian's pango).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from exports.evidence import credentials, proofs
from exports.evidence.service import CaseItem, file_digest


def custody_events(item: CaseItem) -> list[dict[str, Any]]:
    """The item's custody history from its credentials: who held it from when, and why it moved."""
    events = []
    for path, document in item.chain:
        subject = document.get("credentialSubject", {})
        check = proofs.verify(document)
        if credentials.kind(document) == credentials.EVIDENCE_TYPE:
            events.append({"time": subject.get("recordedAt", ""), "event": "taken into custody",
                           "from": "", "to": subject.get("recordedBy", ""), "reason": "",
                           "credential": path.name, "verified": check.ok})
        else:
            events.append({"time": subject.get("transferredAt", ""), "event": "transfer",
                           "from": subject.get("transferredFrom", ""), "to": subject.get("transferredTo", ""),
                           "reason": subject.get("transferReason", ""), "credential": path.name,
                           "verified": check.ok})
    return events


def readme_renderer(case_id: str, items: list[CaseItem]) -> Callable[[dict[str, Any], dict[str, Any]], str]:
    """The README.txt of a package, rendered once the manifest and the timestamp are known."""

    def render(manifest: dict[str, Any], stamp: dict[str, Any]) -> str:
        lines = [
            f"EVIDENCE PACKAGE - case {case_id}",
            "",
            f"Merkle root (SHA-256) over manifest.json: {manifest['merkle_root']}",
            f"Time-stamped at {stamp['gen_time']} by {stamp['tsa'] or 'the time-stamp authority'} "
            f"(RFC 3161, serial {stamp['serial_number']}, policy {stamp['policy']})",
            f"Files covered: {len(manifest['entries'])}",
            "",
            "ITEMS",
        ]
        for number, item in enumerate(items, start=1):
            lines += [
                f"{number}. evidence {item.evidence_id}",
                f"   file      files/{item.evidence_id}/{item.file.name} ({item.node['size_bytes']} bytes)",
                f"   SHA-256   {item.node['sha256']}",
                f"   documents {item.documents}",
            ]
            for event in custody_events(item):
                moved = f"{event['from']} -> {event['to']}" if event["from"] else f"by {event['to']}"
                reason = f" ({event['reason']})" if event["reason"] else ""
                lines.append(f"   {event['time']}  {event['event']} {moved}{reason}")
        lines += [
            "",
            "HOW TO CHECK THIS PACKAGE",
            "With tracegraph (offline):  tracegraph evidence verify THIS.zip --tsa-ca TSA-CA.pem",
            "By hand:",
            "  1. The SHA-256 and size of every file must equal its entry in manifest.json.",
            "  2. The Merkle root recomputed by the rule in manifest.json ('merkle_rule') must equal 'merkle_root'.",
            "  3. openssl ts -verify -digest <merkle_root> -in timestamp/merkle-root.tsr -CAfile TSA-CA.pem",
            "     must print 'Verification: OK' (the token's message imprint is the Merkle root itself).",
            "  4. Each file in credentials/ is a W3C Verifiable Credential 2.0 with a Data Integrity proof",
            "     (cryptosuite eddsa-jcs-2022, issuer a did:key listed in keys/history.json); any conforming",
            "     verifier checks it without contacting the platform.",
            "README.txt, manifest.json and the token are not themselves in the manifest.",
        ]
        return "\n".join(lines) + "\n"

    return render


_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Chain of custody - case {{ case_id }}</title>
<style>
 body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10.5pt; margin: 2em; color: #111; }
 h1 { font-size: 16pt; } h2 { font-size: 13pt; margin-top: 1.6em; border-bottom: 1px solid #999; }
 table { border-collapse: collapse; width: 100%; margin: .5em 0 1em; }
 th, td { border: 1px solid #bbb; padding: 3px 6px; text-align: left; vertical-align: top; }
 th { background: #eee; } .mono { font-family: "DejaVu Sans Mono", monospace; font-size: 8.5pt;
 word-break: break-all; } .ok { color: #075e07; font-weight: bold; } .failed { color: #a00; font-weight: bold; }
 @page { size: A4; margin: 1.5cm; }
</style></head><body>
<h1>Chain-of-custody report &mdash; case {{ case_id }}</h1>
<p>Generated {{ generated }} by tracegraph. {{ items|length }} evidence item(s).
Audit log: <span class="{{ 'ok' if audit.ok else 'failed' }}">{{ audit.describe() }}</span></p>
{% for row in items %}
<h2>Item {{ loop.index }}: {{ row.item.evidence_id }}</h2>
<table>
<tr><th>File</th><td>{{ row.item.file.name }} ({{ row.item.node.size_bytes }} bytes)</td></tr>
<tr><th>SHA-256 recorded</th><td class="mono">{{ row.item.node.sha256 }}</td></tr>
<tr><th>Held file matches</th>
 <td class="{{ 'ok' if row.intact else 'failed' }}">{{ 'OK' if row.intact else 'FAILED' }}</td></tr>
<tr><th>Documents</th><td>{{ row.item.documents }}</td></tr>
<tr><th>Current custodian</th><td>{{ row.item.node.custodian }} ({{ row.item.node.custody_state }})</td></tr>
<tr><th>Credential</th><td class="mono">{{ row.item.node.credential_id }}</td></tr>
</table>
<table><tr><th>Time (UTC)</th><th>Event</th><th>From</th><th>To</th><th>Reason</th><th>Credential</th>
 <th>Proof</th></tr>
{% for e in row.events %}<tr><td>{{ e.time }}</td><td>{{ e.event }}</td><td>{{ e.from }}</td><td>{{ e.to }}</td>
<td>{{ e.reason }}</td><td class="mono">{{ e.credential }}</td>
<td class="{{ 'ok' if e.verified else 'failed' }}">{{ 'OK' if e.verified else 'FAILED' }}</td></tr>{% endfor %}
</table>
{% endfor %}
<h2>Audit trail</h2>
<table><tr><th>#</th><th>Time (UTC)</th><th>Actor</th><th>Action</th><th>Target</th><th>Outcome</th>
 <th>Entry hash</th></tr>
{% for a in audit_entries %}<tr><td>{{ a.seq }}</td><td>{{ a.time }}</td><td>{{ a.actor }}</td><td>{{ a.action }}</td>
<td class="mono">{{ a.target }}</td><td>{{ a.outcome }}</td><td class="mono">{{ a.hash }}</td></tr>{% endfor %}
</table>
<h2>Signing keys</h2>
<table><tr><th>did:key</th><th>In service from</th><th>Retired</th></tr>
{% for k in keys %}<tr><td class="mono">{{ k.did }}</td><td>{{ k.created }}</td><td>{{ k.retired or '' }}</td>
</tr>{% endfor %}
</table>
<p>Credentials are W3C Verifiable Credentials 2.0 with Data Integrity proofs (cryptosuite eddsa-jcs-2022);
each transfer names the SHA-256 of the credential before it. Entries of the audit log are hash-chained.</p>
</body></html>
"""


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    pdf: Path | None
    pdf_skipped: str = ""


def render_html(*, case_id: str, items: list[CaseItem], audit: Any, audit_entries: list[dict[str, Any]],
                keys: list[dict[str, Any]], generated: str) -> str:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    rows = [{"item": item, "events": custody_events(item),
             "intact": item.file.is_file() and file_digest(item.file) == (item.node["size_bytes"],
                                                                          item.node["sha256"])}
            for item in items]
    return env.from_string(_TEMPLATE).render(case_id=case_id, items=rows, audit=audit,
                                             audit_entries=audit_entries, keys=keys, generated=generated)


def write_report(html: str, out_dir: Path, case_id: str) -> ReportFiles:
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = "custody-report-" + "".join(c if c.isalnum() or c in "-_." else "_" for c in case_id)
    html_path = out_dir / f"{stem}.html"
    html_path.write_text(html, encoding="utf-8")
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: pango libraries missing
        return ReportFiles(html_path, None, f"PDF not written: WeasyPrint cannot load ({type(exc).__name__})")
    pdf_path = out_dir / f"{stem}.pdf"
    HTML(string=html).write_pdf(pdf_path)
    return ReportFiles(html_path, pdf_path)
