"""Rebuild the FFL fixtures in this folder from the real ATF Virginia excerpt (run from the repository root).

The excerpt (../shared/data/ffl/atf_ffl_virginia_2025-01_derived.csv, ATF FFL list January 2025, Virginia) keeps
LIC_TYPE, LIC_CNTY and the names/premises of each licensee; ATF's other columns are filled in here: LIC_REGN 1
(Virginia is in ATF region 1), LIC_DIST 54, LIC_SEQN a made-up sequence number, LIC_XPRDTE from the row number,
PREMISE_STATE VA, mail address = premises. One business name gets an accented letter to exercise Windows-1252.
The February file is the January one with churn: one licensee dropped, one added, one renamed, one renewed.
"""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook

SOURCE = Path("../shared/data/ffl/atf_ffl_virginia_2025-01_derived.csv")
HERE = Path(__file__).parent
HEADER = ["LIC_REGN", "LIC_DIST", "LIC_CNTY", "LIC_TYPE", "LIC_XPRDTE", "LIC_SEQN", "LICENSE_NAME",
          "BUSINESS_NAME", "PREMISE_STREET", "PREMISE_CITY", "PREMISE_STATE", "PREMISE_ZIP_CODE", "MAIL_STREET",
          "MAIL_CITY", "MAIL_STATE", "MAIL_ZIP_CODE", "VOICE_PHONE"]


def january() -> list[list[str]]:
    with SOURCE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))[:40]
    out = []
    for i, row in enumerate(rows):
        expiry = f"{5 + i % 3}{'ABCDEFGHJKLM'[i % 12]}"
        business = "" if row["business_name"] == "No Business Name Provided" else row["business_name"]
        out.append(["1", "54", row["county_code"].zfill(3), row["type"].zfill(2), expiry, f"{20000 + i:05d}",
                    row["license_name"].upper(), business.upper(), row["premise_street"].upper(),
                    row["premise_city"].upper(), "VA", row["premise_zip_code"], row["premise_street"].upper(),
                    row["premise_city"].upper(), "VA", row["premise_zip_code"], ""])
    out[3][7] = "CAFÉ ARMS"
    return out


def february(jan: list[list[str]]) -> list[list[str]]:
    feb = [list(r) for r in jan]
    del feb[5]  # no longer listed
    feb[0][7] = "RENAMED OUTFITTERS"  # changed name
    feb[1][4] = "8C"  # renewed: new expiry, same REGN-DIST-SEQN
    feb[2][8] = "1 NEW PREMISES RD"  # changed address
    feb.append(["1", "54", "760", "01", "8D", "29999", "NEW LICENSEE LLC", "", "100 E MAIN ST", "RICHMOND", "VA",
                "23219", "100 E MAIN ST", "RICHMOND", "VA", "23219", ""])
    return feb


def write_txt(path: Path, rows: list[list[str]], encoding: str) -> None:
    dashes = ["-" * len(h) for h in HEADER]
    lines = ["\t".join(HEADER), "\t".join(dashes), *("\t".join(r) for r in rows)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))


def main() -> None:
    jan = january()
    write_txt(HERE / "0125-ffl-list-va-excerpt.txt", jan, "cp1252")
    write_txt(HERE / "0225-ffl-list-va-excerpt.txt", february(jan), "utf-8-sig")
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(["-" * len(h) for h in HEADER])
    for row in jan:
        sheet.append(row)
    book.save(HERE / "0125-ffl-list-va-excerpt.xlsx")


if __name__ == "__main__":
    main()
