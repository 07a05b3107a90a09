"""exports/stix_build.py: the exporter's objects built by stix2's own property checks without its ``__init__``'s
generic look-ups are stix2's objects, byte for byte, and refused where stix2 refuses them (the whole bundles:
tests/sharing/test_stix_generated.py compares them with stix2's own build)."""

from __future__ import annotations

import json
from typing import Any

import stix2
from hypothesis import given
from hypothesis import strategies as st

from exports import stix_build
from exports.stix import EPOCH, GeneratedIndicator, firearm_pattern
from exports.stix_extensions import FirearmSDO

IDENTITY = "identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
LOCATION = "location--0b7c4b6e-8c55-4a3a-8d7c-0f1f3e0e8a11"
GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
EXPORTED = (stix2.Identity, stix2.Relationship, stix2.Location, stix2.Note, stix2.Sighting, stix2.AttackPattern,
            stix2.ThreatActor, stix2.Report, GeneratedIndicator, stix2.Indicator)


# one memo for every object this module builds, as one bundle's builder keeps one (exports/stix.py): what a
# property's check returned for a value is taken again for the same value in any later object
MEMO: stix_build.Memo = {}


def _both(cls: Any, **kwargs: Any) -> tuple[Any, Any]:
    """(what stix2 built or raised, what :func:`stix_build.build` built or raised) from the same keywords; where
    the two agree (no random default: an id, a stamp), the build with the module's memo gives the same."""
    out: list[tuple[Any, ...]] = []
    for make in (lambda: cls(allow_custom=False, **dict(kwargs)), lambda: stix_build.build(cls, **dict(kwargs)),
                 lambda: stix_build.build_with(MEMO, cls, dict(kwargs))):
        try:
            obj = make()
            out.append((type(obj), obj.serialize(), json.dumps(obj._inner, sort_keys=True, default=str)))
        except Exception as error:  # the refusal is what is compared
            out.append((type(error), str(error).replace(cls.__name__, "?")))
    if out[1] == out[0]:
        assert out[2] == out[1], (cls.__name__, kwargs)
    return out[0], out[1]


def test_the_mirrored_path_is_taken_for_every_class_the_exporter_builds() -> None:
    """A tripwire for a stix2 upgrade: the mirror is of stix2 3.0.2's ``_STIXBase.__init__`` and of the three
    wrappers (relationship, sighting, indicator); if stix2 changes one, the build silently falls back to stix2's
    ``__init__`` (correct, slower) and this fails, so that the mirror is re-read before the pin moves."""
    assert stix_build.ACTIVE
    assert all(stix_build._how(cls) is not None for cls in EXPORTED)
    assert stix_build._how(FirearmSDO) is None  # a custom object's wrapper adds its extension: stix2 builds it
    assert type(stix_build.build(stix2.Location, region="northern-america")) is stix2.Location


def test_each_class_is_stix2s_object_defaults_and_all() -> None:
    cases: list[tuple[Any, dict[str, Any]]] = [
        (stix2.Identity, {"id": IDENTITY, "name": "A", "identity_class": "individual", "created": EPOCH,
                          "modified": EPOCH, "object_marking_refs": [GREEN], "labels": ["x"]}),
        (stix2.Identity, {"name": "no id, no stamps: stix2's defaults", "revoked": False}),
        (stix2.Location, {"latitude": 33.7, "longitude": -84.4, "object_marking_refs": [GREEN]}),
        (stix2.Relationship, {"source_ref": IDENTITY, "relationship_type": "located-at", "target_ref": LOCATION,
                              "start_time": "2020-01-01T00:00:00Z", "stop_time": "2021-01-01T00:00:00.5Z"}),
        (stix2.Sighting, {"sighting_of_ref": IDENTITY, "count": 2, "where_sighted_refs": [LOCATION],
                          "first_seen": EPOCH}),
        (stix2.Note, {"content": "c", "object_refs": [IDENTITY, LOCATION], "abstract": "a"}),
        (GeneratedIndicator, {"pattern": firearm_pattern([("serial_number", "A1")]), "pattern_type": "stix",
                              "valid_from": EPOCH, "indicator_types": ["malicious-activity"]}),
        (stix2.Indicator, {"pattern": "[file:name = 'x']", "pattern_type": "stix", "pattern_version": "2.1",
                           "valid_from": EPOCH}),
        (stix2.Report, {"name": "r", "published": EPOCH, "object_refs": [IDENTITY], "report_types": ["threat-report"],
                        "id": "report--0b7c4b6e-8c55-4a3a-8d7c-0f1f3e0e8a12", "created": EPOCH, "modified": EPOCH}),
        (stix2.ThreatActor, {"name": "t", "threat_actor_types": ["criminal"], "aliases": []}),
        (stix2.AttackPattern, {"name": "p", "description": "", "created": EPOCH, "modified": EPOCH,
                               "id": "attack-pattern--0b7c4b6e-8c55-4a3a-8d7c-0f1f3e0e8a13"}),
    ]
    for cls, kwargs in cases:
        stix, built = _both(cls, **kwargs)
        if "id" in kwargs and "created" in kwargs:  # nothing generated: the very bytes
            assert built == stix, cls.__name__
        else:  # stix2 generates an id and now-stamps: compare all but them
            assert built[0] is stix[0], cls.__name__
            drop = {"id", "created", "modified"}
            assert {k: v for k, v in json.loads(built[1]).items() if k not in drop} == \
                   {k: v for k, v in json.loads(stix[1]).items() if k not in drop}, cls.__name__


def test_what_stix2_refuses_is_refused() -> None:
    refused: list[tuple[Any, dict[str, Any]]] = [
        (stix2.Identity, {"id": IDENTITY, "name": "A", "created": "not a time"}),            # a property's check
        (stix2.Identity, {"id": "location--0b7c4b6e-8c55-4a3a-8d7c-0f1f3e0e8a11", "name": "A"}),  # the id's type
        (stix2.Relationship, {"source_ref": IDENTITY, "relationship_type": "located-at"}),  # a required one
        (stix2.Relationship, {"source_ref": IDENTITY, "relationship_type": "x", "target_ref": ""}),  # dropped ref
        (stix2.Identity, {"name": "A", "x_custom": 1}),                                       # a custom property
        (stix2.Location, {"name": "nowhere"}),                                                # object constraints
        (GeneratedIndicator, {"pattern": "[file:name = 'x']", "pattern_type": "stix", "valid_from": EPOCH,
                              "valid_until": EPOCH, "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}),
    ]
    for cls, kwargs in refused:
        stix, built = _both(cls, **kwargs)
        assert issubclass(stix[0], Exception), (cls.__name__, kwargs)
        assert built == stix, (cls.__name__, kwargs)


values = st.one_of(st.none(), st.just([]), st.just(""), st.text(max_size=8), st.integers(-3, 3), st.booleans(),
                   st.lists(st.sampled_from([IDENTITY, LOCATION, "x"]), max_size=2),
                   st.sampled_from([EPOCH, "2020-01-01T00:00:00Z", "2020-13-01"]))
NOTE_KEYS = ("abstract", "content", "authors", "object_refs", "labels", "confidence", "lang", "revoked", "created",
             "modified", "object_marking_refs")


@given(st.dictionaries(st.sampled_from(NOTE_KEYS), values, max_size=6),
       st.sampled_from([stix2.Note, stix2.Relationship, stix2.Sighting, stix2.Identity]))
def test_any_keywords_give_stix2s_object_or_stix2s_refusal(kwargs: dict[str, Any], cls: Any) -> None:
    if cls is stix2.Relationship:
        kwargs = {**{k: v for k, v in kwargs.items() if k in ("created", "modified", "labels", "confidence")},
                  "source_ref": kwargs.get("object_refs", IDENTITY), "relationship_type": kwargs.get("content", "x"),
                  "target_ref": kwargs.get("abstract", LOCATION)}
    elif cls is stix2.Sighting:
        kwargs = {**{k: v for k, v in kwargs.items() if k in ("created", "labels", "confidence", "revoked")},
                  "sighting_of_ref": kwargs.get("object_refs", IDENTITY), "count": kwargs.get("confidence")}
    elif cls is stix2.Identity:
        kwargs = {**{k: v for k, v in kwargs.items() if k in ("created", "modified", "labels", "revoked")},
                  "name": kwargs.get("content"), "contact_information": kwargs.get("abstract")}
    for stamp in ("created", "modified"):  # (stix2 stamps a missing one with the time of the build)
        if kwargs.get(stamp) in (None, []):
            kwargs[stamp] = EPOCH
    stix, built = _both(cls, id=f"{cls._type}--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", **kwargs)
    assert built == stix



def test_a_bundles_memo_gives_each_object_stix2s_checks_and_a_list_of_its_own() -> None:
    """The refs, ref lists and parsed stamps one bundle repeats are checked once (exports/stix_build.py's memo):
    each later object is still stix2's, a refused value is refused every time, and no two objects share a list."""
    memo: stix_build.Memo = {}
    stamp = stix2.utils.parse_into_datetime(EPOCH)
    built = []
    for n in range(3):
        for cls, kwargs in ((stix2.Relationship, {"source_ref": IDENTITY, "relationship_type": "located-at",
                                                  "target_ref": LOCATION}),
                            (stix2.Note, {"content": f"n{n}", "object_refs": [IDENTITY, LOCATION]})):
            kwargs = {**kwargs, "id": f"{cls._type}--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd{n}f",
                      "created": stamp, "modified": stamp, "object_marking_refs": [GREEN]}
            obj = stix_build.build_with(memo, cls, dict(kwargs))
            assert obj.serialize() == cls(allow_custom=False, **kwargs).serialize()
            built.append(obj)
        refused = {"id": "note--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "content": "x", "object_refs": [IDENTITY, "x"],
                   "created": stamp, "modified": stamp}
        stix, _ = _both(stix2.Note, **refused)
        assert issubclass(stix[0], Exception)
        try:
            stix_build.build_with(memo, stix2.Note, dict(refused))
        except Exception as error:
            assert (type(error), str(error).replace("Note", "?")) == stix
        else:
            raise AssertionError("a refused ref list was built from the memo")
    assert len(memo) >= 6  # the marking list, both refs, the note's list and the two stamps
    lists = [obj["object_marking_refs"] for obj in built] + \
        [obj["object_refs"] for obj in built if "object_refs" in obj]
    assert len({id(x) for x in lists}) == len(lists)


def test_a_bundles_json_value_is_stix2s_serialisation_read_back() -> None:
    """:func:`stix_build.plain` gives what ``json.loads(bundle.serialize())`` gives, key order included: for the
    values it converts itself (text, numbers, lists, maps, embedded objects, timestamps, a defaulted property left
    out) and for those it leaves to stix2's encoder (a tuple, a non-finite float, a key that is not text)."""
    base = {"id": IDENTITY, "name": "A", "identity_class": "individual", "created": EPOCH,
            "modified": "2026-01-02T03:04:05.678Z", "object_marking_refs": [GREEN], "revoked": False,
            "confidence": 50, "external_references": [{"source_name": "x", "external_id": "1"}]}
    customs: list[dict[str, Any]] = [{}, {"x_nested": {"a": [1.5, None, True, "é"]}}, {"x_pair": ("a", 1)},
                                     {"x_score": float("inf")}, {"x_by_year": {2020: 1}}]
    for custom in customs:
        bundle = stix2.Bundle(objects=[stix2.Identity(allow_custom=True, **base, **custom)], allow_custom=True)
        outcomes = []
        for read in (lambda b: json.loads(b.serialize()), stix_build.plain):
            try:
                outcomes.append(json.dumps(read(bundle)))
            except ValueError as refused:  # stix2 writes no infinity: refused the same way
                outcomes.append(str(refused))
        assert outcomes[1] == outcomes[0], custom
        assert '"revoked"' not in outcomes[1] and ("x_score" in custom) == ("Out of range" in outcomes[1])
