"""An alert as STIX 2.1: a ``sighting`` and the objects it points at (pure, deterministic).

* ``sighting_of_ref``: what the alert concerns, with the ids :mod:`exports.stix` gives the same things (so a
  partner who also receives our exports correlates them): a person -> the pseudonymous ``identity``
  (individual), a dealer -> the dealer's ``identity``, a network -> its ``threat-actor``, a firearm (a watched
  firearm or serial, a stolen-record match) -> the firearm's ``indicator``, a place or corridor -> the
  (destination) ``location``. These stubs carry ``created = modified = EPOCH``, the oldest version: a richer
  version from an export always wins "latest".
* ``observed_data_refs``: one ``observed-data`` per alert with trace evidence, over a ``crime-gun-recovery`` SCO
  (declared new-sco extension) holding the trace row; new-lead rules without trace rows (straw threshold, dealer
  anomaly, corridor significance, a new network member) have none.
* ``where_sighted_refs``: our producer identity; ``first_seen``/``last_seen`` the recovery date (else when the
  alert was raised); ``count`` 1 (an alert is one trace, or one analysis finding).
* the alert itself (id, rule, reason, subject, evidence rows, load runs, analysis run) in the ``alert``
  property-extension; persons are pseudonymised with the recipient's salt in the subject and the evidence.
* every object carries the alert's TLP marking (the producer identity its own CLEAR one).

Ids are UUIDv5 over the alert id (and the trace id for the SCO), timestamps come from the alert: building the
same alert again yields the same objects, byte for byte, so a repeated POST is the same object version.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from exports.canonical import STIX_NAMESPACE, TRACEGRAPH_NAMESPACE, uuid5_canonical
from exports.stix import EPOCH, stix_id
from exports.stix_extensions import PRODUCER_ID, extension_id, producer_identity
from exports.tlp import MARKING_IDS, Level, level, pseudonym

ALERT_EXT_ID = extension_id("alert")
RECOVERY_SCO_EXT_ID = extension_id("crime-gun-recovery")
SCO_TYPE = "crime-gun-recovery"


def _stamp(value: Any) -> str:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    if isinstance(value, dt.date):
        return f"{value.isoformat()}T00:00:00.000Z"
    return EPOCH


def sighting_id(alert_id: str) -> str:
    return stix_id("sighting", {"alert": alert_id})


def _subject(label: str, key: str, marking: str, salt: str) -> dict[str, Any]:
    base = {"spec_version": "2.1", "created": EPOCH, "modified": EPOCH, "object_marking_refs": [marking],
            "created_by_ref": PRODUCER_ID}
    if label == "Person":
        alias = pseudonym(key, salt)
        return {"type": "identity", "id": stix_id("identity", {"person": alias}), "name": alias,
                "identity_class": "individual", **base}
    if label == "Dealer":
        return {"type": "identity", "id": stix_id("identity", {"dealer": key}), "name": f"FFL {key}",
                "identity_class": "organization", "sectors": ["retail"],
                "external_references": [{"source_name": "tracegraph", "external_id": key}], **base}
    if label == "Network":
        return {"type": "threat-actor", "id": stix_id("threat-actor", key), "name": f"Trafficking network {key}",
                "threat_actor_types": ["crime-syndicate"], **base}
    if label in ("Firearm", "Recovery"):
        return {"type": "indicator", "id": stix_id("indicator", {"firearm": key}),
                "name": f"Firearm {key}", "description": f"Traced firearm {key} (tracegraph firearm key)",
                "indicator_types": ["malicious-activity"], "pattern_type": "stix",
                "pattern": f"[x-tracegraph-firearm:firearm_key = '{_quoted(key)}']", "valid_from": EPOCH, **base}
    # Location: a place key, or a corridor 'src>dst' (its destination is where the guns turn up)
    place = key.split(">")[-1]
    country = place.split(":")[1].split("-")[0] if ":" in place else "US"
    out = {"type": "location", "id": stix_id("location", place), "name": place, "country": country,
           "external_references": [{"source_name": "tracegraph", "external_id": place}], **base}
    if place.startswith(("state:US-", "city:US-")):
        out["administrative_area"] = place.split(":")[1]
    return out


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")


def _pruned(value: Any) -> Any:
    """Without empty values (STIX allows no empty list, and null is no value): recursively."""
    if isinstance(value, dict):
        kept = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [v for v in (_pruned(x) for x in value) if v not in (None, "", [], {})]
    return value


def _released_evidence(evidence: dict[str, Any], salt: str) -> dict[str, Any]:
    out = dict(evidence)
    if "person_key" in out and out["person_key"] is not None:
        out["person_key"] = pseudonym(str(out["person_key"]), salt)
    return out


def sighting_objects(alert: dict[str, Any], *, salt: str) -> list[dict[str, Any]]:
    """The objects one alert becomes (the sighting first). ``alert`` is a stored ``Alert`` row (``key`` or
    ``alert_id``, rule, reason, subject_label, subject_key, watch_id, evidence and load_runs as JSON text,
    analysis_run_id, created_at, tlp)."""
    alert_id = str(alert.get("alert_id") or alert["key"])
    tlp: Level = level(str(alert.get("tlp") or "amber"))
    marking = MARKING_IDS[tlp]
    raised = _stamp(alert["created_at"])
    stored = json.loads(alert.get("evidence") or "{}")
    evidence = _released_evidence(stored, salt)
    label, key = str(alert["subject_label"]), str(alert["subject_key"])
    persons = [p for p in (key if label == "Person" else None, stored.get("person_key")) if p]
    if label == "Recovery" and stored.get("firearm_key"):  # a stolen-record match: the gun is what was seen
        subject = _subject("Firearm", str(stored["firearm_key"]), marking, salt)
    else:
        subject = _subject(label, key, marking, salt)
    shown_key = pseudonym(key, salt) if label == "Person" else key
    seen = _stamp(dt.date.fromisoformat(str(evidence["recovery_date"])[:10])) \
        if evidence.get("recovery_date") not in (None, "", "None", "NaT") else raised
    objects: list[dict[str, Any]] = []
    observed: list[str] = []
    if evidence.get("trace_id"):
        sco_uuid = uuid5_canonical(STIX_NAMESPACE, {"trace_id": evidence["trace_id"]})
        sco: dict[str, Any] = {"type": SCO_TYPE, "spec_version": "2.1", "id": f"{SCO_TYPE}--{sco_uuid}",
                               "trace_id": str(evidence["trace_id"]), "object_marking_refs": [marking],
                               "extensions": {RECOVERY_SCO_EXT_ID: {"extension_type": "new-sco"}}}
        for name in ("firearm_key", "recovery_state"):
            if evidence.get(name):
                sco[name] = str(evidence[name])
        if seen != raised:
            sco["recovery_date"] = seen[:10]
        if isinstance(evidence.get("time_to_crime_days"), int):
            sco["time_to_crime_days"] = evidence["time_to_crime_days"]
        data_uuid = uuid5_canonical(TRACEGRAPH_NAMESPACE, {"alert-observed": alert_id})
        data: dict[str, Any] = {
            "type": "observed-data", "spec_version": "2.1", "id": f"observed-data--{data_uuid}", "created": raised,
            "modified": raised, "created_by_ref": PRODUCER_ID, "first_observed": seen, "last_observed": seen,
            "number_observed": 1, "object_refs": [sco["id"]], "object_marking_refs": [marking]}
        objects += [data, sco]
        observed.append(data["id"])
    ext: dict[str, Any] = {"extension_type": "property-extension", "alert_id": alert_id, "rule": alert["rule"],
                           "reason": alert["reason"], "subject_label": label, "subject_key": shown_key,
                           "evidence": evidence, "load_runs": json.loads(alert.get("load_runs") or "[]")}
    for name in ("watch_id", "analysis_run_id"):
        if alert.get(name):
            ext[name] = str(alert[name])
    for person in persons:  # a person key never leaves in words either
        ext["reason"] = str(ext["reason"]).replace(str(person), pseudonym(str(person), salt))
    ext = _pruned(ext)
    sighting: dict[str, Any] = {
        "type": "sighting", "spec_version": "2.1", "id": sighting_id(alert_id), "created": raised,
        "modified": raised, "created_by_ref": PRODUCER_ID, "sighting_of_ref": subject["id"],
        "where_sighted_refs": [PRODUCER_ID], "first_seen": seen, "last_seen": seen, "count": 1,
        "description": ext["reason"], "object_marking_refs": [marking], "extensions": {ALERT_EXT_ID: ext}}
    if observed:
        sighting["observed_data_refs"] = observed
    producer = json.loads(producer_identity().serialize())
    return [sighting, subject, producer, *objects]
