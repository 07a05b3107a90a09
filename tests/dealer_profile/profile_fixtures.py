"""Helpers for the dealer-profile tests: the fixtures in tests/data/dealer_profile (real ATF records) loaded through
the real CLI. (A uniquely named module: every test folder has a conftest, so `from conftest import` is ambiguous.)"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from api.cli import app

DATA = Path(__file__).parents[1] / "data" / "dealer_profile"
NC_DEALER = "1-56-059-01-6F-21093"  # Advance NC: the 2019 and 2022 zero-tolerance citations are on this one
MD_DEALER = "8-52-005-01-9M-07182"  # Baltimore MD (assault-weapon ban state)
OH_DEALER = "4-31-025-01-8M-00941"  # Amelia OH (no ban)


def cli(db: Path, *args: str) -> str:
    result = CliRunner().invoke(app, ["--db", str(db), *args])
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.stdout


def load_fixtures(db: Path, as_of: str = "2025-01-01") -> None:
    cli(db, "init")
    cli(db, "load", "ffl", str(DATA / "ffl-list-excerpt.txt"), "--as-of", as_of)
    cli(db, "load", "inspections", str(DATA / "inspections.ndjson"))
    cli(db, "load", "inspections", str(DATA / "inspections.csv"))
    cli(db, "load", "violations", str(DATA / "violations.csv"))
    cli(db, "load", "hotspots", str(DATA / "hotspots.csv"))
