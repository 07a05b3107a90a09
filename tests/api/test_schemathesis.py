"""Schemathesis (4.x CLI) against the app's own OpenAPI document, served by uvicorn on loopback.

Zero server errors and zero schema violations. One check is left out, ``positive_data_acceptance``: it expects
every schema-valid request to succeed, but some inputs are valid in form and still wrong in meaning (a cursor
this API never issued, an unknown reference kind, a placeholder serial, ``52.0`` for an integer that the strict
request models refuse on purpose) and are answered 400/422 by design. The run covers every route: ``/api/v1``
(exports included) and the TAXII 2.1 routes (``application/taxii+json;version=2.1``, 406 on a refused
``Accept``; collection ids are declared as examples so the run reaches real collections). The stateful phase is
left out and ``--max-time 35`` bounds the run (about 45 s with start-up).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from api.settings import Settings
from tests.api.conftest import Keys
from tests.api.server import serving


def test_schemathesis_finds_no_server_errors_or_schema_violations(api_env: tuple[Settings, Keys],
                                                                  tmp_path: Path) -> None:
    settings, keys = api_env
    # the run sends hundreds of invalid credentials from one address on purpose: the failed-authentication
    # limit (429 after 20 a minute, tested in test_limits.py) would answer most of them instead of the routes
    settings = settings.model_copy(update={"api_auth_failures_per_minute": 1_000_000})
    st = shutil.which("st", path=str(Path(sys.executable).parent)) or "st"
    with serving(settings) as base_url:
        result = subprocess.run(
            [st, "run", f"{base_url}/openapi.json", "--header", f"X-API-Key: {keys.investigator}",
             "--include-path-regex", "^/(api/v1|taxii2)/", "--phases", "examples,coverage,fuzzing",
             "--checks", "all", "--exclude-checks", "positive_data_acceptance", "--max-examples", "10",
             "--seed", "6", "--no-shrink", "--workers", "1", "--max-time", "35", "--request-timeout", "10",
             "--report-dir", str(tmp_path)],
            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
