"""ATF FFL listings: the raw .txt layout (dashes line, cp1252 and UTF-8-BOM), .xlsx, renewals, churn, reloads."""

from __future__ import annotations

import datetime as dt

from loader_helpers import FIXTURES, rejects

from graph.embedded_store import EmbeddedStore


def dealers(store: EmbeddedStore) -> dict[str, dict]:
    props = ("license_number", "status", "business_name", "premise_street", "last_verified_date", "lat",
             "geocode_precision", "license_type_name")
    return {row["key"]: row for row in store.node_table("Dealer", props).to_pylist()}


def test_cp1252_txt_loads_every_licensee_with_its_accented_name(load, embedded_store: EmbeddedStore) -> None:
    report = load("ffl", "0125-ffl-list-va-excerpt.txt")
    assert (report.read, report.loaded, report.rejected, report.skipped) == (41, 40, 0, 1)  # + the dashes line
    assert report.details["encoding"] == "cp1252"
    assert report.details["last_verified_date"] == "2025-01-01"
    assert report.details["last_verified_source"] == "file name"
    found = dealers(embedded_store)
    assert len(found) == 40
    assert "CAFÉ ARMS" in {d["business_name"] for d in found.values()}
    assert all(d["status"] == "LISTED" and d["geocode_precision"] in ("zip", "city") for d in found.values())
    assert {d["license_type_name"] for d in found.values()} >= {"Dealer in Firearms Other Than Destructive Devices"}


def test_xlsx_and_txt_give_the_same_dealers(load, embedded_store: EmbeddedStore, tmp_path) -> None:
    load("ffl", "0125-ffl-list-va-excerpt.xlsx")
    from_xlsx = dealers(embedded_store)
    other = EmbeddedStore(tmp_path / "other.lbug")
    other.init_schema()
    from loaders.base import LoadOptions, run_load
    from loaders.ffl import FFLLoader
    run_load(FFLLoader, other, FIXTURES / "0125-ffl-list-va-excerpt.txt", LoadOptions(rejects_dir=tmp_path))
    assert dealers(other) == from_xlsx
    other.close()


def test_next_month_renewal_updates_the_same_dealer_and_churn_is_reported(load, embedded_store: EmbeddedStore) -> None:
    load("ffl", "0125-ffl-list-va-excerpt.txt")
    report = load("ffl", "0225-ffl-list-va-excerpt.txt")
    assert report.details["encoding"] == "utf-8-sig"
    churn = report.details["churn"]
    assert (churn["new"], churn["no_longer_listed"], churn["changed_name"], churn["changed_address"]) == (1, 1, 1, 1)
    assert churn["compared_with"] == "2025-01-01"
    found = dealers(embedded_store)
    assert len(found) == 41
    assert found["1-54-20001"]["license_number"] == "1-54-107-07-8C-20001"  # renewed, same identity
    assert found["1-54-20005"]["status"] == "NOT_LISTED"
    assert found["1-54-20000"]["last_verified_date"] == dt.date(2025, 2, 1)
    again = load("ffl", "0225-ffl-list-va-excerpt.txt")
    assert again.details["churn"]["new"] == 1 and again.details["churn"]["changed_name"] == 1


def test_reloading_a_list_changes_nothing(load, embedded_store: EmbeddedStore) -> None:
    load("ffl", "0125-ffl-list-va-excerpt.txt")
    before = embedded_store.counts()
    load("ffl", "0125-ffl-list-va-excerpt.txt")
    assert embedded_store.counts() == before


def test_as_of_option_wins_over_the_file_name(load) -> None:
    report = load("ffl", "0125-ffl-list-va-excerpt.txt", as_of=dt.date(2025, 1, 15))
    assert report.details["last_verified_date"] == "2025-01-15"
    assert report.details["last_verified_source"] == "option --as-of"


def test_bad_license_parts_and_states_are_rejected_with_reasons(load, tmp_path) -> None:
    raw = (FIXTURES / "0125-ffl-list-va-excerpt.txt").read_bytes().decode("cp1252").split("\r\n")
    fields = raw[2].split("\t")
    bad_type, bad_state, bad_seq = list(fields), list(fields), list(fields)
    bad_type[3], bad_type[5] = "42", "30001"
    bad_state[10], bad_state[5] = "QQ", "30002"
    bad_seq[5] = "12A45"
    raw[3:3] = ["\t".join(bad_type), "\t".join(bad_state), "\t".join(bad_seq), "\t".join(fields)]
    path = tmp_path / "0325-ffl-list.txt"
    path.write_bytes("\r\n".join(raw).encode("cp1252"))
    report = load("ffl", path)
    reasons = {r["reason"] for r in rejects(report)}
    assert report.rejected == 4
    assert reasons == {"unknown license type (LIC_TYPE)", "bad PREMISE_STATE",
                       "unparseable license number (LIC_REGN..LIC_SEQN)", "duplicate licensee (REGN-DIST-SEQN) in file"}
