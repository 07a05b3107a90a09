"""One schemathesis (4.x CLI) run against the served OpenAPI document: every ``/api/v1`` and ``/taxii2``
operation, every check (``positive_data_acceptance`` included, with the 422s tests/api/schemathesis.toml allows),
with a real key. Used by tests/api/test_schemathesis.py and bench/schema_truth.py."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

CONFIG = Path(__file__).with_name("schemathesis.toml")


def run(base_url: str, key: str, report_dir: Path, *, max_time: int, seed: int, max_examples: int = 10,
        continue_on_failure: bool = True) -> subprocess.CompletedProcess[str]:
    st = shutil.which("st", path=str(Path(sys.executable).parent)) or "st"
    command = [st, "--config-file", str(CONFIG), "run", f"{base_url}/openapi.json", "--header", f"X-API-Key: {key}",
               "--include-path-regex", "^/(api/v1|taxii2)/", "--phases", "examples,coverage,fuzzing",
               "--checks", "all", "--max-examples", str(max_examples), "--seed", str(seed), "--no-shrink",
               "--workers", "1", "--max-time", str(max_time), "--request-timeout", "20",
               "--report", "junit", "--report-dir", str(report_dir)]
    if continue_on_failure:
        command.append("--continue-on-failure")
    return subprocess.run(command, capture_output=True, text=True, timeout=max_time + 600, check=False)


def failures(output: str) -> list[str]:
    """One line per failure in schemathesis' output: operation | check | status and the start of the answer."""
    lines, operation, check, status = [], "", "", ""
    for line in output.splitlines():
        if line.startswith("__") and line.rstrip().endswith("__"):
            operation = line.strip("_ ").strip()
        elif line.startswith("- "):
            check = line[2:].strip()
        elif line.startswith("[") and "]" in line[:6]:
            status = line.split("]")[0] + "]"
        elif line.startswith("    `") and operation:
            lines.append(f"{operation} | {check} | {status} {line.strip()[:160]}")
    return lines


def summary(output: str) -> str:
    start = output.rfind("=== SUMMARY ===")
    return output[start:] if start >= 0 else output[-4000:]
