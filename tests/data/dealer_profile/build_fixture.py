"""Rebuild ``ffl-list-excerpt.txt`` from real ATF inspection-report records (run from the repository root).

Source: ../shared/data/ffl/thetrace_usatoday_atf_inspections_2015_2017.ndjson (The Trace + USA Today, ATF
inspection reports 2015-2017; hrbrmstr/2021-gun-dealer-inspections-data @ b51d4301). Each chosen record carries a
real full FFL number, proprietor, premises address and licence type; they are written in the 17-column,
tab-delimited layout of ATF's monthly "Listing of Federal Firearms Licensees" (dashes line under the header;
mail address = premises; no phone). The records' own inspection lines are copied to ``inspections.ndjson``.
"""

from __future__ import annotations

import json
from pathlib import Path

SOURCE = Path("../shared/data/ffl/thetrace_usatoday_atf_inspections_2015_2017.ndjson")
HERE = Path(__file__).parent
CHOSEN = ("8-52-005-01-9M-07182", "8-52-015-02-6A-01913", "3-37-147-01-6B-02495", "1-56-059-01-6F-21093",
          "4-31-025-01-8M-00941", "8-52-005-07-6M-03473")
HEADER = ["LIC_REGN", "LIC_DIST", "LIC_CNTY", "LIC_TYPE", "LIC_XPRDTE", "LIC_SEQN", "LICENSE_NAME",
          "BUSINESS_NAME", "PREMISE_STREET", "PREMISE_CITY", "PREMISE_STATE", "PREMISE_ZIP_CODE", "MAIL_STREET",
          "MAIL_CITY", "MAIL_STATE", "MAIL_ZIP_CODE", "VOICE_PHONE"]


def main() -> None:
    records = {}
    lines = {}
    for line in SOURCE.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        number = record.get("ffl_number")
        if number in CHOSEN and number not in records:
            records[number], lines[number] = record, line
    rows = []
    for number in CHOSEN:
        r = records[number]
        parts = number.split("-")
        street, city, state, zip_ = (r["ffl_address"].upper(), r["ffl_city"].upper(), r["ffl_state"], r["ffl_zip"])
        rows.append([*parts, r["ffl_proprietor"].upper(), (r.get("ffl_proprietor_2") or "").upper(), street, city,
                     state, zip_, street, city, state, zip_, ""])
    text = ["\t".join(HEADER), "\t".join("-" * len(h) for h in HEADER), *("\t".join(r) for r in rows)]
    (HERE / "ffl-list-excerpt.txt").write_text("\n".join(text) + "\n", encoding="utf-8")
    (HERE / "inspections.ndjson").write_text("\n".join(lines[n] for n in CHOSEN) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
