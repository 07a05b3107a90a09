"""Schemathesis (4.x CLI) against the app's own OpenAPI document, served by uvicorn on loopback.

Every check, ``positive_data_acceptance`` included: zero server errors, zero schema violations and zero
schema-valid requests refused (issue 23). A schema-valid request is never a 400; where a rule cannot be stated in
the document (two query parameters that exclude each other, a cursor this API never issued, a placeholder serial)
it is a 422 like any validation error, allowed per operation in tests/api/schemathesis.toml. The run covers every
route: ``/api/v1`` (exports included) and the TAXII 2.1 routes (``application/taxii+json;version=2.1``, 406 on a
refused ``Accept``, 400 for what their schema does not allow; collection ids are declared as examples so the run
reaches real collections). The stateful phase is left out and ``--max-time 35`` bounds the run (about 45 s with
start-up). ``bench/schema_truth.py`` runs the same for longer or on another store.
"""

from __future__ import annotations

from pathlib import Path

from api.settings import Settings
from tests.api.conftest import Keys
from tests.api.schemathesis_run import failures, run, summary
from tests.api.server import serving


def test_schemathesis_finds_no_server_errors_schema_violations_or_refused_valid_requests(
        api_env: tuple[Settings, Keys], tmp_path: Path) -> None:
    settings, keys = api_env
    # the run sends hundreds of invalid credentials from one address on purpose: the failed-authentication
    # limit (429 after 20 a minute, tested in test_limits.py) would answer most of them instead of the routes
    settings = settings.model_copy(update={"api_auth_failures_per_minute": 1_000_000})
    with serving(settings) as base_url:
        result = run(base_url, keys.investigator, tmp_path, max_time=35, seed=6)
    output = result.stdout + result.stderr
    assert result.returncode == 0, "\n".join(failures(output)) + "\n" + summary(output)[-3000:]
