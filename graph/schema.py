"""The property-graph model, declared once.

Everything else is generated from :data:`SCHEMA`: the Kùzu DDL, the Neo4j constraints and indexes, the
model documentation (``docs/graph-model.md``), the Arrow schemas the loaders hand to the stores, and (later)
the Bloom perspective. Add a property here and every output follows.

Conventions
-----------
* One label per node; every label has one key property (unique, never null).
* ``computed=True`` marks properties written back by ``algorithms/`` rather than loaded from inputs, so
  documentation and exports can label verified facts and derived estimates apart.
* A relationship type may join several (from, to) label pairs (``AT`` joins Dealer and Recovery to Location).
  ``key`` names the relationship properties that, with the two endpoints, identify one relationship; an
  empty key means at most one relationship of that type between two nodes.
* Lists and nested values are stored as JSON text (``STRING``) so both backends hold them the same way.
"""

from __future__ import annotations

from graph.schema_model import NodeLabel, P, Property, PropertyType, RelType, Schema

__all__ = ["DATE_ADDED", "INTERNAL_PROPERTIES", "SCHEMA", "NodeLabel", "P", "Property", "PropertyType", "RelType",
           "Schema"]

_RUN = P("load_run_id", doc="run id of the load that last wrote this node")
DATE_ADDED = "date_added"
_ADDED = P(DATE_ADDED, "TIMESTAMP", "when the graph learned this version of the node (UTC): set by the store when a "
           "load or an analysis creates the node or changes one of its properties; TAXII date_added")

DEALER = NodeLabel(
    "Dealer", "dealer_key",
    "A federal firearms licensee. Identity is REGN-DIST-SEQN, stable across renewals (the expiry part of "
    "the license number changes at each renewal).",
    (
        P("dealer_key", doc="REGN-DIST-SEQN, e.g. 1-54-12345"),
        P("license_number", doc="latest full license number REGN-DIST-CNTY-TYPE-XPRDTE-SEQN", indexed=True),
        P("license_region"), P("license_district"), P("license_county", doc="county FIPS (3 digits)"),
        P("license_type", doc="two-digit ATF license type"),
        P("license_type_name", doc="decoded license type, e.g. 'Dealer in firearms'"),
        P("license_expiry_code", doc="LIC_XPRDTE: last digit of year + month letter"),
        P("license_expiry_month", doc="expiry month decoded as YYYY-MM (year resolved near the list date)"),
        P("license_name", indexed=True), P("business_name", indexed=True),
        P("premise_street"), P("premise_city"), P("premise_state", indexed=True), P("premise_zip"),
        P("mail_street"), P("mail_city"), P("mail_state"), P("mail_zip"), P("voice_phone"),
        P("status", doc="LISTED while on the latest ATF list, NOT_LISTED once it drops off, UNLISTED if only "
          "seen in traces"),
        P("first_seen_date", "DATE"), P("last_verified_date", "DATE", "date of the ATF list that last "
                                         "carried this licensee"),
        P("lat", "DOUBLE"), P("lon", "DOUBLE"),
        P("premise_county", doc="county name of the premises, as a source gave it"),
        P("geocode_precision", doc="address (coordinates given by the source, e.g. inspection reports) | zip | "
                                   "city | county | state | none"),
        P("trace_count", "INT64", "distinct traces of the guns it sold first (the anomaly model's count, below: "
          "the full analysis writes them for every dealer with a trace or a sale, an incremental one recounts the "
          "dealers its new rows touch and refits the model over these stored counts)", computed=True),
        P("recent_traces", "INT64", "traces recovered within 3 years of sale", computed=True),
        P("old_traces", "INT64", "traces recovered more than 3 years after sale (the exposure)", computed=True),
        P("obliterated_traces", "INT64", "traces of guns with an obliterated serial", computed=True),
        P("out_of_state_recent_traces", "INT64", "recent traces recovered outside the premises state",
          computed=True),
        P("stopped_events", "INT64", "traces that stop at the dealer with no loss/theft report, a serial batch's "
          "guns counted as one event", computed=True),
        P("sale_events", "INT64", "purchase events: one per (person, firearm) across trace and multiple-sale rows",
          computed=True),
        P("multiple_sale_events", "INT64", "purchase events on a multiple-sale report", computed=True),
        P("short_ttc_share", "DOUBLE", "share of traced guns recovered within 3 years of sale", computed=True),
        P("multiple_sale_share", "DOUBLE", computed=True),
        P("obliterated_share", "DOUBLE", computed=True),
        P("expected_traces", "DOUBLE", "traces peers would predict given exposure", computed=True),
        P("anomaly_score", "DOUBLE", computed=True),
        P("anomaly_indicators", doc="JSON list of fired indicators with their values", computed=True),
        P("sales_index", "DOUBLE", "estimated sales-volume index (1.0 = national median)", computed=True),
        P("sales_index_confidence", "DOUBLE", computed=True),
        P("nearest_hotspot", computed=True), P("nearest_hotspot_km", "DOUBLE", computed=True),
        P("analysis_run_id", computed=True),
        _RUN, _ADDED,
    ),
)

PERSON = NodeLabel(
    "Person", "person_key",
    "A resolved identity: purchasers, possessors and multiple-sale buyers resolved across records.",
    (
        P("person_key", doc="stable id of the resolved identity"),
        P("last_name", indexed=True), P("first_name"), P("middle_name"), P("suffix"),
        P("dob", "DATE"),
        P("street"), P("city"), P("state"), P("zip"),
        P("address_key", doc="normalised street|zip (loaders.domain.names.address_keys; '' when either is "
                             "missing), written at load: the shared-address group an incremental analysis looks "
                             "up instead of normalising every stored address", internal=True),
        P("name_key", doc="normalised last|first used for blocking", indexed=True, internal=True),
        P("block_dob", doc="identity-resolution block: normalised surname|day number of the DOB ('' when the "
          "record has none; null until computed): a load reads only the stored persons sharing a block with its "
          "mentions", indexed=True, internal=True),
        P("block_street", doc="identity-resolution block: normalised surname|normalised street ('' when none)",
          indexed=True, internal=True),
        P("resolution_rule", doc="rule that merged the strongest pair of records into this identity"),
        P("resolution_confidence", "DOUBLE"),
        P("record_count", "INT64", "source records resolved into this identity"),
        P("straw_score", "DOUBLE", computed=True),
        P("straw_points", "DOUBLE", "the person's own indicator points, before network propagation (the score "
          "minus what linked suspects add); kept so an incremental analysis can propagate from unchanged persons",
          computed=True),
        P("straw_network", "DOUBLE", "the uncapped weighted sum of the linked persons' own positive points that "
          "propagation is taken from (algorithms/straw.py): kept so an incremental analysis moves it by the "
          "change of a changed partner's points instead of reading the person's every partner", computed=True),
        P("straw_rank", "INT64", "the person's place in the straw queue (score descending, then person_key): "
          "derived from every score when read (algorithms/straw_rank.py) and never written, so a new high score "
          "does not rewrite everyone's rank; a value an older store holds is not read", computed=True),
        P("straw_indicators", doc="JSON list of fired indicators with their values", computed=True),
        P("network_id", doc="the person's network, copied from MEMBER_OF (the membership fact, which readers use) "
                            "for every member so Bloom can style by it", computed=True),
        P("pagerank", "DOUBLE", computed=True), P("betweenness", "DOUBLE", computed=True),
        P("analysis_run_id", computed=True),
        _RUN, _ADDED,
        P("purged", "BOOL", "true on the stand-in for a multiple-sale purchaser whose identity the retention policy "
          "removed (key 'purged:msr:<report_id>', no name, date of birth or address): the sale still counts "
          "for its dealer"),
        P("hold_reason", doc="a retention hold keeps this identity past the policy (`tracegraph retention hold`)"),
        P("hold_kind", doc="hold | prohibited_person (the `cleo` policy keeps a prohibited person's reports)"),
        P("hold_until", "DATE", "the hold lapses after this date (none: until released)"),
        P("subject_predicate", doc="the documented reasonable suspicion of criminal involvement (28 CFR 23.20(a))"),
        P("subject_case_id", doc="the case the subject belongs to"),
        P("subject_since", "DATE", "when the person was confirmed as a subject"),
        P("subject_validated", "DATE", "last review and validation of the subject status"),
        P("subject_review_by", "DATE", "the subject status lapses after this date unless validated again "
          "(at most five years after the last validation, 28 CFR 23.20(h))"),
    ),
)

FIREARM = NodeLabel(
    "Firearm", "firearm_key",
    "One physical firearm, keyed by normalised manufacturer + serial + type. An obliterated or empty serial "
    "gets a key of its own per trace, so two such guns never merge.",
    (
        P("firearm_key"),
        P("serial_number", doc="as recorded"), P("serial_normalized", indexed=True),
        P("obliterated", "BOOL"),
        P("manufacturer"), P("manufacturer_normalized", indexed=True), P("importer"),
        P("model"), P("caliber"), P("weapon_type"), P("country_of_manufacture"),
        P("reported_stolen", "BOOL", "true once a lost/stolen report (TheftReport) names this firearm",
          computed=True),
        P("batch_id", doc="serial batch: recovered guns of this make and model with serials close in sequence "
          "(algorithms/batches.py)", computed=True),
        P("serial_group", doc="the SerialGroup of a recovered gun whose serial can be batched (make|model|prefix|"
          "suffix|digits, algorithms/serial_groups.py)", computed=True),
        P("dealer_counts", doc="this gun's share of its dealers' anomaly counts at the last analysis (JSON: its "
          "first-sale dealer's trace counts, its purchase events per dealer; algorithms/dealer_counts.py): what an "
          "incremental analysis subtracts when the gun's rows change", computed=True),
        _RUN, _ADDED,
    ),
)

RECOVERY = NodeLabel(
    "Recovery", "trace_id",
    "A crime-gun recovery and its trace request.",
    (
        P("trace_id"),
        P("request_date", "DATE"), P("recovery_date", "DATE"),
        P("recovery_street"), P("recovery_city"), P("recovery_state", indexed=True), P("recovery_zip"),
        P("recovery_country"),
        P("lat", "DOUBLE"), P("lon", "DOUBLE"), P("geocode_precision"),
        P("crime_code"), P("agency_ori"), P("agency_name"), P("trace_status"),
        P("purchase_date", "DATE"),
        P("time_to_crime_days", "INT64", "recovery_date - purchase_date, computed at load"),
        P("dealer_license_quoted", doc="the FFL number exactly as the trace quoted it"),
        P("multiple_sale_report_id"),
        P("reported_stolen", "BOOL", "the recovered firearm is named by a lost/stolen report",
          computed=True),
        P("stolen_report_id", doc="the earliest lost/stolen report naming the firearm", computed=True),
        _RUN, _ADDED,
    ),
)

LOCATION = NodeLabel(
    "Location", "location_key",
    "A place at one level: country, state, county, city, zip or address. Keys look like 'state:US-NY', "
    "'city:US-NY:NEW YORK', 'zip:10001', 'country:MX'.",
    (
        P("location_key"),
        P("kind", doc="country | state | county | city | zip | address"),
        P("name", indexed=True), P("state"), P("country"),
        P("lat", "DOUBLE"), P("lon", "DOUBLE"),
        P("pagerank", "DOUBLE", "hub centrality on the flow graph", computed=True),
        P("betweenness", "DOUBLE", "transit centrality on the flow graph", computed=True),
        P("violent_crime_rate_per_100k", "DOUBLE"), P("homicide_rate_per_100k", "DOUBLE"),
        P("crime_data_year", "INT64"), _ADDED,
    ),
)

INSPECTION = NodeLabel(
    "Inspection", "inspection_id",
    "An ATF compliance inspection of a dealer.",
    (
        P("inspection_id"), P("inspection_date", "DATE"),
        P("outcome", doc="normalised: No Violations | Report of Violations | Warning Letter | Warning Conference | "
                         "Settlement | License Revoked | License Surrendered"),
        P("outcome_given", doc="the disposition exactly as the source gave it (e.g. 'Revocation/denial of "
                               "renewal')"),
        P("assigned_date", "DATE", "date the inspection was assigned (inspection reports)"),
        P("revocation_recommended", "BOOL", "the inspector recommended revocation (inspection reports)"),
        P("revocation_effective_date", "DATE"),
        P("citation_count", "INT64", "citations the source counts for the inspection"),
        P("source_document_url"),
        P("policy_context", doc="enforcement policy in force on the inspection date"),
        P("zero_tolerance_period", "BOOL", "inspected while the 2021-07 zero-tolerance policy was in force"),
        _RUN,
    ),
)

VIOLATION = NodeLabel(
    "Violation", "violation_id",
    "A violation cited at an inspection.",
    (
        P("violation_id"), P("cfr_code"), P("description"),
        P("zero_tolerance", "BOOL", "one of the five violations the 2021 policy made grounds for revocation"),
        P("zero_tolerance_category"),
        _RUN,
    ),
)

NETWORK = NodeLabel(
    "Network", "network_id",
    "A community detected on the person projection (every community of two or more persons; the reviewable ones "
    "pass the minimum evidence rule of algorithms/networks.py and are ranked).",
    (
        P("network_id"), P("size", "INT64"), P("score", "DOUBLE"), P("algorithm"),
        P("resolution", "DOUBLE"), P("analysis_run_id"), _ADDED,
        P("reviewable", "BOOL", "passes the minimum evidence rule: worth an analyst's review"),
        P("review_rank", "INT64", "1 = first to review; 0 when not reviewable"),
        P("suspects", "INT64", "members whose straw score reaches the suspect threshold", computed=True),
        P("reason", doc="why the network is (or is not) on the review list, in words", computed=True),
        P("ties", doc="JSON: ties between members by kind (joint_purchase, supply_line, ...)", computed=True),
    ),
)

INTEL = NodeLabel(
    "Intel", "intel_id",
    "Partner intelligence received over TAXII 2.1 (a STIX object), with its TLP marking and source.",
    (
        P("intel_id", doc="STIX id"), P("stix_type"), P("name"), P("description"),
        P("tlp", doc="clear | green | amber | amber+strict | red"), P("source"),
        P("created", "TIMESTAMP"), P("modified", "TIMESTAMP"), P("received", "TIMESTAMP"),
        P("stix_json", doc="the object as received"), _RUN,
    ),
)

EVIDENCE = NodeLabel(
    "Evidence", "evidence_id",
    "A file held as evidence, with its digest, its credential and its custody state.",
    (
        P("evidence_id"), P("case_id", indexed=True), P("file_name"), P("sha256"), P("size_bytes", "INT64"),
        P("credential_id"), P("custodian"), P("custody_state"), P("added_at", "TIMESTAMP"), P("added_by"),
    ),
)

THEFT_REPORT = NodeLabel(
    "TheftReport", "report_id",
    "A lost/stolen firearm report: a dealer's theft/loss report (ATF F 3310.11) or a police/agency report, at "
    "home or abroad (INTERPOL iARMS-style records). One report may name several firearms (REPORTED_STOLEN); a "
    "dealer reporter is linked by REPORTED, an agency reporter is kept as a property.",
    (
        P("report_id"), P("reported_date", "DATE"),
        P("reporter_kind", doc="dealer | agency"),
        P("reporter", doc="the reporter exactly as quoted (FFL number or agency ORI/name)"),
        P("reporter_dealer_key", doc="REGN-DIST-SEQN when the reporter is an FFL", indexed=True),
        P("reporter_agency", doc="agency ORI or name when the reporter is not an FFL"),
        P("country", doc="ISO 3166-1 alpha-2 country of the report"),
        P("source_form", doc="e.g. 'ATF F 3310.11' (dealer theft/loss) or 'agency report'"),
        P("firearm_count", "INT64", "firearms named by the report"),
        _RUN,
    ),
)

LOAD_RUN = NodeLabel(
    "LoadRun", "run_id",
    "One execution of a loader over one file.",
    (
        P("run_id"), P("kind"), P("file"), P("file_sha256"), P("started_at", "TIMESTAMP"),
        P("finished_at", "TIMESTAMP"), P("read", "INT64"), P("loaded", "INT64"), P("rejected", "INT64"),
        P("rejects_file"), P("details", doc="JSON: loader-specific figures, e.g. FFL churn"),
    ),
)

ANALYSIS_RUN = NodeLabel(
    "AnalysisRun", "run_id",
    "One execution of `tracegraph analyze`: seed, parameters, code version, input load runs, timings.",
    (
        P("run_id"), P("started_at", "TIMESTAMP"), P("finished_at", "TIMESTAMP"), P("seed", "INT64"),
        P("code_version"), P("parameters", doc="JSON"), P("input_runs", doc="JSON list of load run ids"),
        P("timings", doc="JSON"), P("summary", doc="JSON"),
    ),
)

WATCH = NodeLabel(
    "Watch", "watch_id",
    "An analyst's watchlist entry: a person, dealer, network, firearm, serial (partial: * and ? wildcards, or "
    "a fragment of at least 3 characters), place or corridor whose new activity raises an alert.",
    (
        P("watch_id", doc="watch-<digest of kind and value>"),
        P("kind", doc="person | dealer | network | firearm | serial | place | corridor"),
        P("value", doc="person_key, dealer_key, network_id, firearm_key, serial pattern, location key "
                       "(state:US-NY, city:US-NY:NEW YORK) or corridor 'state:US-GA>state:US-NY'"),
        P("note"), P("created_by"), P("created_at", "TIMESTAMP"), P("active", "BOOL"),
    ),
)

ALERT = NodeLabel(
    "Alert", "alert_id",
    "A new lead raised when a load or an analysis touches a watched item or meets a new-lead rule, with its "
    "evidence (the rows and the run) and its delivery states (the webhook and TAXII outboxes).",
    (
        P("alert_id", doc="alert-<digest of rule, watch, subject and evidence>: the same evidence never alerts "
                          "twice"),
        P("rule", doc="watched_person | watched_dealer | watched_network | watched_firearm | watched_serial | "
                      "watched_place | watched_corridor | stolen_recovered | straw_threshold | dealer_anomaly | "
                      "corridor_significant", indexed=True),
        P("reason", doc="why, in words"),
        P("subject_label"), P("subject_key", indexed=True),
        P("watch_id", indexed=True),
        P("evidence", doc="JSON: trace ids, sale ids, lead ids and values behind the alert"),
        P("load_runs", doc="JSON list of the load runs whose rows raised it"),
        P("analysis_run_id"),
        P("created_at", "TIMESTAMP"),
        P("tlp", doc="marking of the alert (amber unless the rule says otherwise)"),
        P("delivery_state", doc="pending | delivered | none (no webhook configured when raised)"),
        P("delivery_attempts", "INT64"), P("next_attempt_at", "TIMESTAMP"), P("delivered_at", "TIMESTAMP"),
        P("last_error", doc="the last delivery failure, in words"),
        P("taxii_state", doc="STIX sighting to the TAXII collection: pending | delivered | withheld (the alert's TLP "
                             "is above the collection's) | none (no collection configured when raised)"),
        P("taxii_attempts", "INT64"), P("taxii_next_attempt_at", "TIMESTAMP"), P("taxii_delivered_at", "TIMESTAMP"),
        P("taxii_last_error", doc="the last TAXII delivery failure or why it was withheld, in words"),
    ),
)

CORRIDOR_CELL = NodeLabel(
    "CorridorCell", "cell_id",
    "Analysis state the store owns (algorithms/corridor_cells.py): the traces of one source place -> recovery "
    "place in one year, at state or city level, with their time-to-crime. Written whole by a full analysis and "
    "added to by incremental ones, so the corridor models refit over these cells instead of every trace.",
    (
        P("cell_id", doc="<level>|<year>|<source location key>|<recovery location key>"),
        P("level", doc="state | city"), P("year", "INT64", "year of recovery"),
        P("src", doc="location key of the selling dealer's place"), P("dst", doc="location key of the recovery"),
        P("traces", "INT64", "traces in the cell", computed=True),
        P("median_ttc_days", "DOUBLE", "median time-to-crime of those traces", computed=True),
        P("ttc_days", doc="JSON {days: traces}: the time-to-crime histogram (keeps the median exact)", computed=True),
        P("analysis_run_id", computed=True),
    ),
)

SERIAL_GROUP = NodeLabel(
    "SerialGroup", "group_key",
    "Analysis state the store owns (algorithms/serial_groups.py): the recovered guns of one make, model and "
    "serial format, and how many runs of close serials they hold. Written whole by a full analysis and updated "
    "for the groups a day's recovered guns fall in by incremental ones: the serial-batch scores' Bonferroni count "
    "is the number of groups holding a run.",
    (
        P("group_key", doc="<make>|<model, compacted>|<serial prefix>|<suffix>|<digits>"),
        P("size", "INT64", "recovered guns in the group", computed=True),
        P("runs", "INT64", "runs of at least 3 serials within 30 of each other", computed=True),
        P("analysis_run_id", computed=True),
    ),
)

STRAW_GROUP = NodeLabel(
    "StrawGroup", "group_id",
    "Analysis state the store owns (algorithms/straw_groups.py): a straw-feature group (a dealer-day, an address, "
    "a possessor, a supply line, a recovery city, a corridor, a dealer's multiple-sale counter) with more persons "
    "than its size limit, so it ties nobody. Written whole by a full analysis and added to by incremental ones "
    "(a group only grows between full analyses), so an incremental run settles a big group from this node "
    "instead of reading its members.",
    (
        P("group_id", doc="<kind>|<the group's own key>, as algorithms/straw_neighbourhood.py memberships names it"),
        P("straw_members", "INT64", "persons known in the group: every one (a full analysis) or at least one more "
                                    "than its limit (found by an incremental run)", computed=True, internal=True),
        P("analysis_run_id", computed=True),
    ),
)

STRAW_KEY = NodeLabel(
    "StrawKey", "straw_key",
    "A lookup key of the straw neighbourhood (loaders/straw_keys.py), written where the facts are loaded: the guns "
    "and quick recoveries an incremental analysis finds a straw group's candidates through, by the group's own key, "
    "instead of walking every sale of a dealer or every recovery in a city. An index, not a fact: written by the "
    "loaders and `tracegraph init`, never by a user.",
    (
        P("straw_key", doc="jp|<dealer>|<day> (a dealer-day: the guns with a purchase record or sale of the dealer "
                           "and the day), sc|<dealer> (a dealer's guns on a multiple-sale record), sl|<dealer>|<city "
                           "location> (the quick recoveries of the dealer's guns in the city; dealer '?' for a gun "
                           "without one), ql|<city location> (the dealers with a quick recovery there); '*' marks a "
                           "store whose every gun is keyed (dealer and place keys only: nothing about a person)"),
    ),
)

PERSON_BLOCK = NodeLabel(
    "PersonBlock", "block_key",
    "An identity-resolution block (loaders/identity.py person_blocks), the persons in it linked by IN_BLOCK: a "
    "load reads the stored persons its mentions can meet through the blocks' primary-key index instead of "
    "scanning every person's block properties (the embedded engine indexes primary keys only). The block "
    "'*' marks a store whose persons are all linked (written by the migration, "
    "loaders/entities.py link_person_blocks, and by a load into a store without persons).",
    (
        P("block_key", doc="digest of 'dob:' + Person.block_dob or 'street:' + Person.block_street "
                           "(loaders/entities.py block_key: no name or date of birth in it); '*' the mark"),
    ),
)

RETENTION_POLICY = NodeLabel(
    "RetentionPolicy", "policy_id",
    "The retention policy the store carries (one node, policy_id 'store'), so the CLI, the API and every engine "
    "apply the same rules; also the store's change stamp for purges (a running API rebuilds its snapshot when it "
    "moves). See docs/compliance.md.",
    (
        P("policy_id", doc="always 'store'"),
        P("name", doc="atf | cleo | custom"),
        P("rules", doc="JSON: the policy's periods and exceptions (algorithms/retention.py)"),
        P("set_at", "TIMESTAMP", "when the policy was set"),
        P("last_applied_as_of", "DATE", "the as-of date of the last `retention apply`"),
        P("changed_at", "TIMESTAMP", "when a purge, hold or subject change last changed personal data: the API "
          "compares it with its snapshot's"),
    ),
)

REVIEW = NodeLabel(
    "Review", "review_id",
    "An analyst's decision on a straw-queue item (issue 19): reviewed, escalated or dismissed, with the reason, who "
    "and when; (Review)-[:REVIEWS]->(Person). The latest per person is the queue's `last_review` and a feature the "
    "scoring may use later (algorithms/reviews.py); scores do not read it yet.",
    (
        P("review_id", doc="review-<UTC time>-<random>"),
        P("decision", doc="reviewed | escalated | dismissed"),
        P("reason", doc="why, in the analyst's words (1..2000 characters)"),
        P("by_key_id", doc="the API key (or `cli`) that decided"),
        P("by_name", doc="that key's name"),
        P("at", "TIMESTAMP", "when the decision was recorded (UTC)"),
        P("straw_score", "DOUBLE", "the person's straw score when decided"),
    ),
)

SCHEMA = Schema(
    nodes=(DEALER, PERSON, FIREARM, RECOVERY, LOCATION, INSPECTION, VIOLATION, NETWORK, INTEL, EVIDENCE,
           LOAD_RUN, ANALYSIS_RUN, THEFT_REPORT, WATCH, ALERT, RETENTION_POLICY, REVIEW, CORRIDOR_CELL,
           SERIAL_GROUP, STRAW_GROUP, STRAW_KEY, PERSON_BLOCK),
    relationships=(
        RelType("SOLD", (("Dealer", "Firearm"),), "First retail sale of a firearm by a dealer.",
                (P("sale_date", "DATE"), P("license_number_quoted"))),
        RelType("PURCHASED", (("Person", "Firearm"),), "A purchase recorded on a trace or a multiple-sale report.",
                (P("sale_id", doc="trace:<trace_id> or msr:<report_id>"), P("purchase_date", "DATE"),
                 P("dealer_key"), P("multiple_sale", "BOOL"), P("report_id"), P("form"), P("source")),
                key=("sale_id",)),
        RelType("RECOVERED_IN", (("Firearm", "Recovery"),), "The firearm was recovered at this recovery."),
        RelType("POSSESSED_BY", (("Recovery", "Person"),), "The person the gun was recovered from."),
        RelType("AT", (("Dealer", "Location"), ("Recovery", "Location")), "Where a premises or recovery is.",
                (P("precision"),)),
        RelType("LIVES_AT", (("Person", "Location"),), "A person's recorded address.", one_way=True),
        RelType("IN", (("Location", "Location"),), "Containment: city IN state IN country.", one_way=True),
        RelType("NIBIN_LINK", (("Recovery", "Recovery"),), "A NIBIN ballistic lead between two recoveries.",
                (P("lead_id"), P("lead_date", "DATE"), P("status"),
                 P("load_run_id", doc="run id of the load that last wrote this lead (incremental analysis)")),
                key=("lead_id",)),
        RelType("INSPECTED", (("Dealer", "Inspection"),), "A dealer's inspection."),
        RelType("CITED", (("Inspection", "Violation"),), "A violation cited at an inspection."),
        RelType("MEMBER_OF", (("Person", "Network"),), "Membership of a detected network.",
                (P("analysis_run_id"),)),
        RelType("FLOW", (("Location", "Location"),),
                "A corridor: firearms sold at the source and recovered at the destination in one year.",
                (P("year", "INT64"), P("level", doc="state | city | country"),
                 P("basis", doc="what the count is based on: traces (this store's trace records) | atf_table "
                                "(ATF's published source x recovery state table) | table:NAME (another published "
                                "table, NAME from its file); the official ATF table is the default basis for its "
                                "cells", renamed_from="source"),
                 P("dataset", doc="the file the counts were loaded from (tables), for provenance"),
                 P("firearms", "INT64"),
                 P("expected", "DOUBLE", computed=True), P("score", "DOUBLE", computed=True),
                 P("z", "DOUBLE", computed=True), P("median_ttc_days", "DOUBLE"),
                 P("trend", computed=True, doc="emerging | declining | stable across the years of this basis "
                                                "(weighted least-squares slope of the log rate ratio, |t| > 2); "
                                                "null with fewer than 3 years"),
                 P("trend_slope", "DOUBLE", computed=True, doc="that slope: change in log(observed/expected) per "
                                                               "year"),
                 P("analysis_run_id", computed=True)),
                key=("year", "basis"), one_way=True),
        RelType("REFERS_TO", (("Intel", "Firearm"), ("Intel", "Person"), ("Intel", "Location"),
                              ("Intel", "Recovery"), ("Intel", "Dealer")),
                "Partner intelligence that refers to an entity of ours."),
        RelType("OF", (("Evidence", "Recovery"), ("Evidence", "Firearm")), "What an evidence item documents."),
        RelType("REPORTED_STOLEN", (("Firearm", "TheftReport"),),
                "The firearm is named by a lost/stolen report; the Firearm node is keyed exactly as a trace keys "
                "it, so a recovery of the same gun reaches the report through the shared node.",
                (P("serial_quoted", doc="the serial exactly as the report gave it"),)),
        RelType("ABOUT", (("Alert", "Person"), ("Alert", "Dealer"), ("Alert", "Network"), ("Alert", "Firearm"),
                          ("Alert", "Recovery"), ("Alert", "Location")),
                "What an alert is about: its subject and the recoveries behind it."),
        RelType("FIRED", (("Watch", "Alert"),), "The watchlist entry that raised an alert."),
        RelType("REPORTED", (("Dealer", "TheftReport"),),
                "A dealer's own theft/loss report (ATF F 3310.11), reached by its license number."),
        RelType("REVIEWS", (("Review", "Person"),), "The person a straw-queue review decision is about."),
        RelType("IN_BLOCK", (("Person", "PersonBlock"),),
                "A person's identity-resolution blocks (one per non-empty Person.block_dob / block_street)."),
        RelType("IN_GROUP", (("Firearm", "SerialGroup"),),
                "A recovered gun's serial group (the same as Firearm.serial_group): an incremental analysis reads a "
                "touched group's members from the group's key instead of scanning every firearm.",
                (P("number", "DOUBLE", "the gun's serial number within its group (the digits between the group's "
                   "prefix and suffix): the chains of close serials are cut from the links' numbers, no gun read",
                   computed=True),)),
        RelType("IN_STRAW_KEY", (("Firearm", "StrawKey"), ("Recovery", "StrawKey"), ("Dealer", "StrawKey")),
                "A gun, quick recovery or dealer under a straw-neighbourhood lookup key (StrawKey)."),
    ),
)

#: properties the software derives as lookup keys (``Property.internal``): never shown to a user
INTERNAL_PROPERTIES = frozenset(p.name for n in SCHEMA.nodes for p in n.properties if p.internal)
