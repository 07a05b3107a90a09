"""Retention of personal data: the policy a store carries, what it removes as of a date, and the purge.

The rules and their sources are in ``docs/compliance.md``. In short:

* ``atf`` (ATF's own policy, GAO-96-174): the purchaser named on a multiple-sale report is removed 730 days after the
  sale unless a firearm of the report was traced (the trace quotes the report id, or a recovered gun carries one of
  the report's serials) or a hold keeps the person.
* ``cleo`` (a chief law enforcement officer's copy, 18 U.S.C. 923(g)(3)(B)): the same 20 days after receipt (counted
  from the sale, which is never later than the receipt), with the same exceptions; a ``prohibited_person`` hold is
  the statute's own exception.
* both: a reasonable-suspicion subject (28 CFR 23.20) lapses when its review-by date passes without validation.
* a custom JSON file (:func:`policy_from_file`) sets other periods, never longer than the law's.

What a purge keeps: the sale itself. A report whose purchaser goes keeps its PURCHASED relationships (dates,
dealer, ``multiple_sale``, ``report_id``) on a stand-in ``Person`` (key ``purged:msr:<report_id>``, ``purged`` true,
no name, date of birth or address), so the sale still counts for its dealer and dealer analytics are unchanged.
The purchaser's own node goes (with its addresses, scores, network memberships and partner references) once
nothing else keeps it: a trace naming the person as purchaser or possessor, another report still within the
policy, a hold or an active subject status. Trace records are ATF's records and are never purged.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from graph.errors import InvalidInput, NotFound
from graph.schema import SCHEMA
from graph.store import GraphStore, version_stamp

POLICY_ID = "store"
PURGED_PREFIX = "purged:msr:"
SUBJECT_MAX_DAYS = 5 * 365 + 1  # 28 CFR 23.20(h): five years (one leap day)
HOLD_KINDS = ("hold", "prohibited_person")


@dataclass(frozen=True)
class Rule:
    """One rule as the plan reports it."""

    rule: str
    basis: str
    text: str


@dataclass(frozen=True)
class Policy:
    """A retention policy: periods in days and where they count from."""

    name: str
    multiple_sale_purchaser_days: int
    counted_from: str  # sale | receipt
    subject_review_days: int = SUBJECT_MAX_DAYS

    @property
    def msr_rule(self) -> Rule:
        basis = {"atf": "GAO-96-174 (ATF Multiple Sales System purge policy)",
                 "cleo": "18 U.S.C. 923(g)(3)(B)"}.get(self.name, "custom policy file")
        return Rule(f"{self.name}.multiple_sale_purchaser", basis,
                    f"a multiple-sale purchaser's identity goes {self.multiple_sale_purchaser_days} days after the "
                    f"{self.counted_from} unless a firearm of the report was traced (report id or serial) or a hold "
                    "keeps the person" + (" (a prohibited-person hold is the statute's exception)"
                                          if self.name == "cleo" else ""))

    @property
    def subject_rule(self) -> Rule:
        return Rule(f"{self.name}.subject_review", "28 CFR 23.20(h)",
                    f"subject status lapses {self.subject_review_days} days after the last validation "
                    "(the review-by date) unless validated again")

    @property
    def rules(self) -> tuple[Rule, ...]:
        return (self.msr_rule, self.subject_rule)

    def as_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


POLICIES: dict[str, Policy] = {
    "atf": Policy("atf", 730, "sale"),
    "cleo": Policy("cleo", 20, "receipt"),
}
DEFAULT_POLICY = "atf"


def policy_named(name: str) -> Policy:
    try:
        return POLICIES[name]
    except KeyError:
        raise InvalidInput(f"unknown retention policy {name!r}: use atf, cleo or a policy file (.json)") from None


def policy_from_file(path: Path) -> Policy:
    """A custom policy: ``{"multiple_sale_purchaser_days": N, "subject_review_days": M}`` (JSON). Periods longer
    than the law allows are refused (730 days, ATF's own rule, and five years for subjects)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"cannot read retention policy file {path.name}: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path.name}: a retention policy file holds one JSON object")
    unknown = set(data) - {"multiple_sale_purchaser_days", "subject_review_days", "counted_from"}
    if unknown:
        raise InvalidInput(f"{path.name}: unknown keys {sorted(unknown)}")
    days = data.get("multiple_sale_purchaser_days", 730)
    review = data.get("subject_review_days", SUBJECT_MAX_DAYS)
    counted = data.get("counted_from", "sale")
    for name, value, limit in (("multiple_sale_purchaser_days", days, 730),
                               ("subject_review_days", review, SUBJECT_MAX_DAYS)):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= limit:
            raise InvalidInput(f"{path.name}: {name} must be a whole number of days from 1 to {limit}")
    if counted not in ("sale", "receipt"):
        raise InvalidInput(f"{path.name}: counted_from must be sale or receipt")
    return Policy("custom", days, counted, review)


def current_policy(store: GraphStore) -> Policy:
    """The policy the store carries (``atf`` when none was set)."""
    table = store.node_table("RetentionPolicy", ("rules",)).to_pylist()
    for row in table:
        if row["key"] == POLICY_ID and row["rules"]:
            return Policy(**json.loads(row["rules"]))
    return POLICIES[DEFAULT_POLICY]


def has_policy(store: GraphStore) -> bool:
    return any(r["key"] == POLICY_ID for r in store.node_table("RetentionPolicy").to_pylist())


def set_policy(store: GraphStore, policy: Policy) -> None:
    store.upsert_nodes("RetentionPolicy", [{"policy_id": POLICY_ID, "name": policy.name,
                                            "rules": policy.as_json(), "set_at": version_stamp()}])


def change_stamp(store: GraphStore) -> Any:
    """When personal data last changed by a purge, hold or subject change (None: never). The API compares it
    with the stamp its snapshot was built at."""
    try:
        rows = store.node_table("RetentionPolicy", ("changed_at",)).to_pylist()
    except InvalidInput:  # a store opened read-only before `init` created the table: nothing purged yet
        return None
    for row in rows:
        if row["key"] == POLICY_ID:
            return row["changed_at"]
    return None


def touch(store: GraphStore, **props: Any) -> None:
    store.upsert_nodes("RetentionPolicy", [{"policy_id": POLICY_ID, "changed_at": version_stamp(), **props}])


# --- the plan -------------------------------------------------------------------------------------------------

PURCHASE_PROPS = SCHEMA.relationship("PURCHASED").property_names
PERSON_STATE = ("purged", "hold_reason", "hold_until", "subject_predicate", "subject_review_by")


@dataclass(frozen=True)
class RetentionPlan:
    """What the policy removes as of a date. ``sales``: the multiple-sale purchases to detach from their purchaser
    (src = person, dst = firearm, the PURCHASED properties); ``persons``: identities removed whole;
    ``subjects``: subject statuses that lapse; ``kept``: expired reports kept, by the first reason that keeps them."""

    as_of: dt.date
    policy: Policy
    sales: pd.DataFrame
    persons: list[str]
    subjects: list[str]
    kept: dict[str, int] = field(default_factory=dict)

    @property
    def reports(self) -> int:
        return int(self.sales["report_id"].nunique()) if len(self.sales) else 0

    def summary(self) -> dict[str, Any]:
        """The JSON the CLI prints: as_of, policy, rules (rule, basis, records), total (identities removed)."""
        return {"as_of": self.as_of.isoformat(), "policy": self.policy.name,
                "rules": [{"rule": self.policy.msr_rule.rule, "basis": self.policy.msr_rule.basis,
                           "records": self.reports},
                          {"rule": self.policy.subject_rule.rule, "basis": self.policy.subject_rule.basis,
                           "records": len(self.subjects)}],
                "total": len(self.persons), "kept": dict(self.kept)}


def _frame(table: Any) -> pd.DataFrame:
    return table.to_pandas()


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce").dt.date


def plan(store: GraphStore, as_of: dt.date, policy: Policy | None = None) -> RetentionPlan:
    """What :func:`apply` would do as of ``as_of`` under ``policy`` (default: the store's). Reads only."""
    policy = policy or current_policy(store)
    purchases = _frame(store.edge_list("PURCHASED", "Person", "Firearm", PURCHASE_PROPS))
    persons = _frame(store.node_table("Person", PERSON_STATE)).set_index("key")
    purged = set(persons.index[persons["purged"].fillna(False).astype(bool)])
    held = _active(persons, "hold_reason", "hold_until", as_of, inclusive_none=True)
    subject_keys = persons.index[persons["subject_predicate"].notna()]
    review = _dates(persons.loc[subject_keys, "subject_review_by"])
    lapsed = sorted(str(k) for k, d in review.items() if d is None or pd.isna(d) or d < as_of)
    subjects = set(subject_keys) - set(lapsed)

    is_msr = purchases["sale_id"].astype(str).str.startswith("msr:") & ~purchases["src"].isin(purged)
    msr = purchases[is_msr & purchases["report_id"].notna()].copy()
    sale_day = _dates(msr["purchase_date"])
    report_day = sale_day.groupby(msr["report_id"]).transform("min")
    limit = dt.timedelta(days=policy.multiple_sale_purchaser_days)
    expired = msr[report_day.map(lambda d: d is not None and not pd.isna(d) and d + limit <= as_of).astype(bool)]

    traced = _traced_reports(store, purchases)
    reasons = pd.Series("", index=expired.index, dtype=object)
    reasons[expired["src"].isin(subjects)] = "subject"
    reasons[expired["src"].isin(held)] = "hold"
    reasons[expired["report_id"].isin(traced)] = "traced"
    kept_rows = expired[reasons != ""]
    kept = {reason: int(kept_rows.loc[reasons[reasons == reason].index, "report_id"].nunique())
            for reason in ("traced", "hold", "subject") if (reasons == reason).any()}
    go = expired[reasons == ""].sort_values(["report_id", "sale_id"]).reset_index(drop=True)

    # a person goes whole when nothing else keeps them: no other purchase, no possession, no hold, no subject
    touched = set(go["src"])
    remaining = purchases[purchases["src"].isin(touched) & ~purchases["sale_id"].isin(set(go["sale_id"]))]
    possessors = set(_frame(store.edge_list("POSSESSED_BY", "Recovery", "Person"))["dst"])
    keep = set(remaining["src"]) | possessors | held | subjects
    removed = sorted(str(k) for k in touched - keep)
    return RetentionPlan(as_of, policy, go, removed, lapsed, kept)


def overdue(store: GraphStore, today: dt.date) -> str | None:
    """One line when the store holds records past its policy (what ``analyze`` prints), else None."""
    found = plan(store, today)
    if not (len(found.sales) or found.subjects):
        return None
    return (f"retention: {found.reports:,} multiple-sale reports and {len(found.subjects):,} subjects are past the "
            f"{found.policy.name} policy ({found.summary()['total']:,} identities to remove): run `tracegraph "
            f"retention apply --as-of {today.isoformat()}`")


def _active(persons: pd.DataFrame, reason: str, until: str, as_of: dt.date, *, inclusive_none: bool) -> set[str]:
    has = persons[persons[reason].notna()]
    ends = _dates(has[until])
    return {str(k) for k, d in ends.items() if ((d is None or pd.isna(d)) and inclusive_none) or
            (d is not None and not pd.isna(d) and d >= as_of)}


def _traced_reports(store: GraphStore, purchases: pd.DataFrame) -> set[str]:
    """Report ids a trace links: quoted by a trace (Recovery or a trace's PURCHASED), or naming a firearm that was
    recovered (the same Firearm node, or the same normalised serial on a recovered gun)."""
    recoveries = _frame(store.node_table("Recovery", ("multiple_sale_report_id",)))
    traced = set(recoveries["multiple_sale_report_id"].dropna().astype(str))
    from_traces = purchases[~purchases["sale_id"].astype(str).str.startswith("msr:")]
    traced |= set(from_traces["report_id"].dropna().astype(str))
    recovered = set(_frame(store.edge_list("RECOVERED_IN", "Firearm", "Recovery"))["src"])
    firearms = _frame(store.node_table("Firearm", ("serial_normalized",)))
    serials = set(firearms.loc[firearms["key"].isin(recovered), "serial_normalized"].dropna())
    serials.discard("")
    by_serial = set(firearms.loc[firearms["serial_normalized"].isin(serials), "key"])
    msr = purchases[purchases["sale_id"].astype(str).str.startswith("msr:") & purchases["report_id"].notna()]
    traced |= set(msr.loc[msr["dst"].isin(recovered | by_serial), "report_id"].astype(str))
    return traced


# --- the purge ------------------------------------------------------------------------------------------------

def apply(store: GraphStore, as_of: dt.date, policy: Policy | None = None) -> RetentionPlan:
    """Carry out :func:`plan`. Idempotent: a second run as of the same date finds nothing. Order matters for a
    crash midway: the sales are copied to their stand-ins before they leave the purchaser, so a rerun completes
    the purge and no sale is ever lost."""
    done = plan(store, as_of, policy)
    sales = done.sales
    if len(sales):
        standins = pd.DataFrame({"person_key": PURGED_PREFIX + sales["report_id"].astype(str), "purged": True})
        store.upsert_nodes("Person", standins.drop_duplicates("person_key"))
        props = [p for p in PURCHASE_PROPS if p in sales.columns]
        moved = sales[props].assign(from_key=standins["person_key"].to_numpy(), to_key=sales["dst"].to_numpy())
        store.upsert_relationships("PURCHASED", "Person", "Firearm", moved)
        store.query("retention_unlink_sales", {"sale_ids": sorted(set(sales["sale_id"])),
                                               "person_keys": sorted(set(sales["src"]))})
    if done.subjects:
        store.query("retention_lapse_subjects", {"keys": done.subjects})
    if done.persons:
        store.query("retention_delete_reviews", {"keys": done.persons})  # review reasons may name them
        store.query("retention_delete_persons", {"keys": done.persons})
    changed = bool(len(sales) or done.subjects or done.persons)
    if len(sales) or done.persons:  # rows left the analysed groups: the next analysis is a full one (an
        # incremental run takes groups as only growing, algorithms/straw_groups.py)
        from algorithms.runs import mark_latest_analysis

        mark_latest_analysis(store, "rows_removed")
    row: dict[str, Any] = {"policy_id": POLICY_ID, "last_applied_as_of": as_of}
    if not has_policy(store):
        row.update(name=done.policy.name, rules=done.policy.as_json(), set_at=version_stamp())
    if changed:
        row["changed_at"] = version_stamp()
    store.upsert_nodes("RetentionPolicy", [row])
    return done


# --- holds ----------------------------------------------------------------------------------------------------

def person_state(store: GraphStore, person_key: str) -> dict[str, Any]:
    found = store.query("retention_person", {"key": person_key}).rows()
    if not found or found[0].get("purged"):
        raise NotFound(f"no person {person_key!r} in the store")
    return found[0]


def hold(store: GraphStore, person_key: str, *, reason: str, until: dt.date | None = None, kind: str = "hold",
         today: dt.date | None = None) -> dict[str, Any]:
    """Keep one identity past the policy (until ``until``, else until released)."""
    if not reason.strip():
        raise InvalidInput("a hold needs a reason (--reason)")
    if kind not in HOLD_KINDS:
        raise InvalidInput(f"hold kind must be one of {', '.join(HOLD_KINDS)}")
    if until is not None and until < (today or dt.date.today()):
        raise InvalidInput(f"--until {until.isoformat()} is in the past")
    person_state(store, person_key)
    store.upsert_nodes("Person", [{"person_key": person_key, "hold_reason": reason.strip(), "hold_kind": kind,
                                   "hold_until": until}])
    touch(store)
    return {"person_key": person_key, "kind": kind, "until": until.isoformat() if until else None}
