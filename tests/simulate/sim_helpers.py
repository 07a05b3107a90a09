"""Helpers for the simulate tests: reading the files the way a user would, with pandas."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

SEED = 20240117


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def parse_dates(values: pd.Series) -> pd.Series:
    """ISO ``YYYY-MM-DD`` or US ``MM/DD/YYYY``; anything else becomes NaT."""
    iso = pd.to_datetime(values.where(values.str.fullmatch(r"\d{4}-\d{2}-\d{2}")), format="%Y-%m-%d",
                         errors="coerce")
    us = pd.to_datetime(values.where(values.str.fullmatch(r"\d{2}/\d{2}/\d{4}")), format="%m/%d/%Y",
                        errors="coerce")
    return iso.fillna(us)


def read_ffl(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, skiprows=[1])
    return frame


LICENSE = re.compile(r"^\d-\d{2}-\d{3}-\d{2}-\d[A-HJ-M]-\d{5}$")


def dealer_key(license_number: pd.Series) -> pd.Series:
    """REGN-DIST-SEQN: the part of a full licence number that survives renewals."""
    parts = license_number.str.split("-", expand=True)
    return parts[0] + "-" + parts[1] + "-" + parts[5]
