"""Every loader kind alone, as a new user would try it: init -> load that kind -> analyze -> every read command and
API list route. No crash anywhere; each answer is either data or one line saying what is missing and which load
brings it (or, for a lookup of something absent, one clear error line).

Runs in-process (typer's CliRunner) so the matrix stays quick; the commands are the real ones.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app
from graph.errors import TracegraphError

DATA = Path(__file__).resolve().parents[1] / "data"
FILES = {
    "ffl": DATA / "loaders" / "0125-ffl-list-va-excerpt.txt",
    "traces": DATA / "stolen" / "traces.csv",
    "multiple-sales": DATA / "loaders" / "multiple_sales.csv",
    "nibin": DATA / "loaders" / "nibin_leads.csv",
    "inspections": DATA / "loaders" / "atf_inspections_2015_2017_excerpt.ndjson",
    "violations": DATA / "loaders" / "violations.csv",
    "state-traces": DATA / "loaders" / "final_source_recovery_by_state-cy_2016.xlsx",
    "hotspots": DATA / "loaders" / "hotspots.csv",
    "stolen": DATA / "stolen" / "stolen.csv",
    "stix": DATA / "sharing" / "poisonivy.json",
}
READS = (["straw"], ["dealers"], ["dealers", "--near-hotspots", "100"], ["communities"], ["corridors"],
         ["corridors", "--into", "NY", "--year", "2016", "--top", "5"], ["path", "person:NOBODY", "dealer:1-54-00001"],
         ["stolen", "hits"], ["firearms", "batches"], ["firearms", "match", "--serial", "AB*"], ["chokepoints"],
         ["dealer", "profiles"], ["stats"])


def test_every_kind_has_a_file() -> None:
    from loaders.kinds import KINDS

    assert set(FILES) == set(KINDS)


def invoke(runner: CliRunner, db: Path, args: list[str]) -> tuple[str, str, BaseException | None]:
    result = runner.invoke(app, ["--db", str(db), *args], catch_exceptions=True)
    error = result.exception if not isinstance(result.exception, SystemExit) else None
    if error is not None and not isinstance(error, TracegraphError):
        raise AssertionError(f"{args} crashed: {type(error).__name__}: {error}") from error
    assert result.exit_code in (0, 1) if error is not None else result.exit_code == 0, (args, result.output)
    return result.stdout, result.stderr, error


def meaningful(stdout: str, stderr: str, error: BaseException | None) -> bool:
    """Data rows, or the one line saying what is missing (or a clear error for a lookup of something absent)."""
    if error is not None:
        return bool(str(error).strip()) and "\n" not in str(error).strip()
    rows = [line for line in stdout.strip().splitlines() if line.strip()]
    data = len(rows) > 1 or (len(rows) == 1 and rows[0].startswith(("[{", "{")) and rows[0] not in ("[]", "{}"))
    said = [line for line in stderr.splitlines() if line.startswith(("needs ", "no "))]
    return data or bool(said)


@pytest.mark.parametrize("kind", sorted(FILES))
def test_load_one_kind_then_analyze_and_read_everything(kind: str, tmp_path: Path) -> None:
    runner = CliRunner()
    db = tmp_path / "graph.lbug"
    for args in (["init"], ["load", kind, str(FILES[kind]), "--rejects-dir", str(tmp_path / "rejects")],
                 ["analyze"], ["analyze", "--incremental"]):  # nothing new since the analysis: a no-op, no error
        _, stderr, error = invoke(runner, db, args)
        assert error is None, (args, error)
    empty = []
    for args in READS:
        stdout, stderr, error = invoke(runner, db, args)
        if not meaningful(stdout, stderr, error):
            empty.append((args, stdout[:200], stderr[:200]))
    stdout, stderr, error = invoke(runner, db, ["trace-requests", "--out", str(tmp_path / "requests.csv")])
    assert error is None and (tmp_path / "requests.csv").exists()
    stdout, stderr, error = invoke(runner, db, ["report", "corridors", "--region", "NY", "--out",
                                                str(tmp_path / "reports"), "--no-pdf"])
    if kind == "state-traces":
        assert error is None and list((tmp_path / "reports").glob("*.html"))
    else:
        assert isinstance(error, TracegraphError) and "needs state tables" in str(error)
    assert not empty, f"{kind}: empty answers without a word on what is missing: {empty}"
    check_api(db)


def check_api(db: Path) -> None:
    from api.app import create_app
    from api.security import KeyFile
    from api.settings import Settings

    settings = Settings(db=db)
    record, secret = KeyFile.for_settings(settings).create("analyst", "matrix", None)
    headers = {"X-API-Key": f"{record.key_id}.{secret}"}
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        for route in ("/api/v1/straw-queue", "/api/v1/dealer-anomalies", "/api/v1/corridors",
                      "/api/v1/corridors?into=NY&year=2016&top=5", "/api/v1/health"):
            answer = client.get(route, headers=headers)
            assert answer.status_code == 200, (route, answer.status_code, answer.text[:300])
        corridors = client.get("/api/v1/corridors", headers=headers).json()
        assert corridors["items"] or corridors["note"]
