"""The retention engine on a real store: each rule, its exceptions, idempotence, what stays."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from algorithms import retention
from algorithms.straw_features import purchase_events
from algorithms.tables import load_tables
from graph.embedded_store import EmbeddedStore
from graph.errors import InvalidInput, NotFound
from tests.retention.retention_world import AS_OF


def person_keys(store: EmbeddedStore) -> set[str]:
    return set(store.node_table("Person").column("key").to_pylist())


def purchasers(store: EmbeddedStore, report_id: str) -> set[str]:
    rows = store.edge_list("PURCHASED", "Person", "Firearm", ("report_id",)).to_pylist()
    return {r["src"] for r in rows if r["report_id"] == report_id}


def test_a_new_store_carries_atf(cases: EmbeddedStore) -> None:
    assert retention.current_policy(cases).name == "atf"
    assert retention.current_policy(cases).multiple_sale_purchaser_days == 730


def test_plan_names_what_goes_and_changes_nothing(cases: EmbeddedStore) -> None:
    before = cases.counts()
    plan = retention.plan(cases, AS_OF)
    assert cases.counts() == before
    assert sorted(set(plan.sales["report_id"])) == ["MS-GONE", "MS-LAPSED", "MS-OLD", "MS-POS"]
    assert plan.persons == ["gone", "lapsed"]
    assert plan.subjects == ["lapsed"]
    assert plan.kept == {"traced": 2, "hold": 1, "subject": 1}
    summary = plan.summary()
    assert summary["as_of"] == "2024-06-01" and summary["policy"] == "atf" and summary["total"] == 2
    assert [(r["rule"], r["records"]) for r in summary["rules"]] == [("atf.multiple_sale_purchaser", 4),
                                                                      ("atf.subject_review", 1)]
    assert all(r["basis"] for r in summary["rules"])
    json.dumps(summary)


def test_apply_removes_the_identity_and_keeps_the_sale(cases: EmbeddedStore) -> None:
    events_before = purchase_events(load_tables(cases)).drop(columns="person_key")
    done = retention.apply(cases, AS_OF)
    assert done.summary()["total"] == 2
    keys = person_keys(cases)
    assert {"gone", "lapsed"}.isdisjoint(keys)
    assert {"traced_by_id", "traced_by_serial", "held", "possessor", "recent", "subject", "other"} <= keys
    # the report's sales stay, on a stand-in with no personal data
    assert purchasers(cases, "MS-GONE") == {"purged:msr:MS-GONE"}
    assert purchasers(cases, "MS-POS") == {"purged:msr:MS-POS"}
    assert purchasers(cases, "MS-OLD") == {"purged:msr:MS-OLD"}
    assert purchasers(cases, "MS-NEW") == {"recent"}
    assert purchasers(cases, "MS-ID") == {"traced_by_id"}
    assert purchasers(cases, "MS-SER") == {"traced_by_serial"}
    assert purchasers(cases, "MS-HOLD") == {"held"}
    assert purchasers(cases, "MS-SUBJ") == {"subject"}
    standin = cases.query("retention_person", {"key": "purged:msr:MS-GONE"}).rows()[0]
    assert standin["purged"] is True
    people = {r["key"]: r for r in cases.node_table("Person", ("last_name", "dob", "street", "zip")).to_pylist()}
    assert all(v is None for k, v in people["purged:msr:MS-GONE"].items() if k != "key")
    # nothing personal left on the edges either, and no address links for removed people
    lives = {r["src"] for r in cases.edge_list("LIVES_AT", "Person", "Location").to_pylist()}
    assert {"gone", "lapsed"}.isdisjoint(lives) and not any(k.startswith("purged:") for k in lives)
    # every sale still counts for its dealer: same (firearm, date, dealer, multiple-sale) events
    events_after = purchase_events(load_tables(cases)).drop(columns="person_key")
    key = ["firearm_key"]
    assert events_after.sort_values(key).reset_index(drop=True).equals(
        events_before.sort_values(key).reset_index(drop=True))


def test_apply_is_idempotent_and_stamps_the_store(cases: EmbeddedStore) -> None:
    assert retention.change_stamp(cases) is None
    retention.apply(cases, AS_OF)
    stamp = retention.change_stamp(cases)
    assert stamp is not None
    counts = cases.counts()
    again = retention.apply(cases, AS_OF)
    assert again.summary()["total"] == 0
    assert [r["records"] for r in again.summary()["rules"]] == [0, 0]
    assert cases.counts() == counts
    assert retention.change_stamp(cases) == stamp  # nothing changed: the API keeps its snapshot


def test_lapsed_subject_loses_status_and_active_one_keeps_it(cases: EmbeddedStore) -> None:
    retention.apply(cases, AS_OF)
    subject = cases.query("retention_person", {"key": "subject"}).rows()[0]
    assert subject["subject_predicate"] and subject["subject_review_by"] == dt.date(2025, 1, 1)


def test_a_lapsed_subject_with_a_live_purchase_keeps_the_identity_but_not_the_status(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "s.lbug")
    store.init_schema()
    store.upsert_nodes("Person", [{"person_key": "p", "last_name": "P", "subject_predicate": "x",
                                   "subject_review_by": dt.date(2020, 1, 1)}])
    done = retention.apply(store, AS_OF)
    assert done.subjects == ["p"] and done.persons == []
    assert store.query("retention_person", {"key": "p"}).rows()[0]["subject_predicate"] is None
    store.close()


def test_cleo_goes_after_twenty_days(cases: EmbeddedStore) -> None:
    near = dt.date(2023, 12, 25)  # MS-NEW sold 2023-12-01: 24 days
    assert "MS-NEW" not in set(retention.plan(cases, near).sales["report_id"])
    cleo = retention.policy_named("cleo")
    assert "MS-NEW" in set(retention.plan(cases, near, cleo).sales["report_id"])
    assert "MS-NEW" not in set(retention.plan(cases, dt.date(2023, 12, 20), cleo).sales["report_id"])


def test_the_store_carries_the_policy_it_was_set_to(cases: EmbeddedStore, tmp_path: Path) -> None:
    retention.set_policy(cases, retention.policy_named("cleo"))
    assert retention.current_policy(cases).name == "cleo"
    custom = tmp_path / "policy.json"
    custom.write_text(json.dumps({"multiple_sale_purchaser_days": 365}), encoding="utf-8")
    retention.set_policy(cases, retention.policy_from_file(custom))
    policy = retention.current_policy(cases)
    assert (policy.name, policy.multiple_sale_purchaser_days) == ("custom", 365)


@pytest.mark.parametrize("text", ['{"multiple_sale_purchaser_days": 800}', '{"subject_review_days": 0}',
                                  '{"days": 3}', "[1]", "not json", '{"multiple_sale_purchaser_days": true}'])
def test_a_policy_file_longer_than_the_law_or_malformed_is_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "p.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput):
        retention.policy_from_file(path)


def test_a_hold_keeps_a_person_until_its_date(cases: EmbeddedStore) -> None:
    with pytest.raises(NotFound):
        retention.hold(cases, "nobody", reason="x")
    with pytest.raises(InvalidInput):
        retention.hold(cases, "gone", reason="  ")
    retention.hold(cases, "gone", reason="grand jury", until=dt.date(2024, 12, 31), today=dt.date(2024, 1, 1))
    assert retention.plan(cases, AS_OF).persons == ["lapsed"]
    assert "gone" in retention.plan(cases, dt.date(2025, 1, 1)).persons
    assert retention.change_stamp(cases) is not None


