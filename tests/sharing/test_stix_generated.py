"""The STIX build trusts what it generated itself: the firearm indicators' patterns are validated once per shape
(``exports.stix.checked_shape``), not re-parsed per firearm, and timestamps are parsed once per text. The bundle
stays byte for byte what stix2's own checks gave, and imported bundles are still validated in full."""

from __future__ import annotations

import inspect
import json
from collections import Counter
from typing import Any

import pytest
import stix2
from hypothesis import given, settings
from hypothesis import strategies as st
from stix2patterns.validator import run_validator

from exports.stix import EPOCH, GeneratedIndicator, bundle_dict, checked_shape, firearm_pattern, to_stix
from exports.stix_scope import collect_scope
from exports.tlp import clearance
from graph.embedded_store import EmbeddedStore
from loaders.stix import check_object
from tests.worlds import demo, public

NAMES = ("serial_number", "manufacturer", "model", "caliber", "weapon_type")
shapes = st.one_of(st.lists(st.sampled_from(NAMES), min_size=1, max_size=5, unique=True).map(tuple),
                   st.just(("firearm_key",)))


@settings(max_examples=150, deadline=None)
@given(shapes, st.data())
def test_a_pattern_of_a_checked_shape_is_valid_whatever_its_values(names: tuple[str, ...], data: Any) -> None:
    """What the per-shape check rests on: the values never change whether stix2-patterns accepts the pattern."""
    values = data.draw(st.lists(st.text(), min_size=len(names), max_size=len(names)))
    assert checked_shape(names) == names
    assert run_validator(firearm_pattern(list(zip(names, values, strict=True))), "2.1") == []


def test_a_shape_the_validator_refuses_is_refused() -> None:
    with pytest.raises(ValueError, match="invalid"):
        checked_shape(("serial number",))  # a space: not a property name


def _indicator(pattern: str, cls: Any = GeneratedIndicator) -> Any:
    return cls(id="indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", pattern=pattern, pattern_type="stix",
               valid_from=EPOCH, created=EPOCH, modified=EPOCH)


def test_the_generated_indicator_keeps_stix2s_other_checks() -> None:
    good = _indicator(firearm_pattern([("serial_number", "A'1\\")]))
    assert json.loads(good.serialize()) == json.loads(_indicator(good.pattern, stix2.Indicator).serialize())
    with pytest.raises(stix2.exceptions.STIXError):
        GeneratedIndicator(id="indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", pattern_type="stix",
                           valid_from=EPOCH)  # the pattern is still required
    with pytest.raises(ValueError, match="valid_until"):
        GeneratedIndicator(pattern=good.pattern, pattern_type="stix", valid_from=EPOCH, valid_until=EPOCH)


def test_imported_indicators_are_still_validated() -> None:
    bad = json.loads(_indicator("[x-tracegraph-firearm:serial_number = 'A1'").serialize())  # no closing bracket
    with pytest.raises(stix2.exceptions.InvalidValueError, match="pattern"):
        stix2.parse(bad, allow_custom=True, version="2.1")
    reason = check_object(bad)
    assert reason is not None and "pattern" in reason


def _texts(records: Any, tlp: str, role: str, full_checks: bool = False) -> tuple[str, str]:
    """The bundle as `tracegraph export stix` writes it and as the API sends it (``full_checks``: as stix2 alone
    builds it, every pattern and timestamp re-parsed, every reference built by its ``__init__``, and as stix2
    writes it, read back)."""
    bundle = to_stix(records, tlp=tlp, clearance=clearance(role), salt="agreement-1",  # type: ignore[arg-type]
                     full_checks=full_checks)
    plain = json.loads(bundle.serialize()) if full_checks else bundle_dict(bundle)
    return json.dumps(plain, sort_keys=True, separators=(",", ":")), json.dumps(plain, ensure_ascii=False)


@pytest.mark.parametrize("world", ["demo", "public"])
def test_the_bundle_is_byte_for_byte_what_stix2s_own_checks_built(world: str, monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path_factory: pytest.TempPathFactory) -> None:
    """The same records built as before (stix2's ``Indicator`` re-validating every pattern, every timestamp
    parsed from its text by stix2) and as now: equal bytes, in both of the export's serialisations. The demo world
    at the state with most recoveries, GREEN (persons masked) and RED (in full); the real public files whole at RED
    (no firearms there: the timestamps and everything else). The whole demo world's GREEN bundle (66,263 objects)
    was compared once with bench/bench_stix_build.py (docs/performance.md): ~4 CPU s a build here, ~26 there."""
    db = (demo(tmp_path_factory) if world == "demo" else public(tmp_path_factory)).db
    with EmbeddedStore(db, read_only=True) as store:
        if world == "demo":
            states = Counter(store.node_table("Recovery", ("recovery_state",)).column("recovery_state").to_pylist())
            records = collect_scope(store, f"state:{max((n, s) for s, n in states.items() if s)[1]}")
        else:
            records = collect_scope(store, "all")
    assert records.locations and (records.firearms or world == "public")
    validated: list[str] = []  # the patterns stix2's Indicator re-parses

    def validator(pattern: str, *args: Any) -> Any:
        validated.append(pattern)
        return run_validator(pattern, *args)

    monkeypatch.setattr(stix2.v21.sdo, "run_validator", validator)
    for tlp, role in (("green", "partner"), ("red", "investigator")) if world == "demo" else (("red", "investigator"),):
        validated.clear()
        now = _texts(records, tlp, role)
        assert validated == []  # the exporter's own patterns: checked once per shape, by checked_shape
        before = _texts(records, tlp, role, full_checks=True)
        assert now == before
        if world == "demo":
            assert now[0].count('"type":"indicator"') == len(validated) > 0  # the baseline re-parsed every one


def test_stix2s_indicator_checks_are_the_ones_the_generated_indicator_mirrors() -> None:
    """A tripwire for a stix2 upgrade: ``GeneratedIndicator`` replaces stix2's (private) ``Indicator``
    ``_check_object_constraints`` with every check but the pattern's re-parse. If stix2 changes that method, this
    fails, so that the override is re-read before the pin moves (a check added there would otherwise be skipped for
    every generated indicator)."""
    source = inspect.getsource(stix2.Indicator._check_object_constraints)
    checks = [line.strip() for line in source.splitlines() if line.strip().startswith(("if ", "raise ", "super("))]
    assert checks == [
        "super(Indicator, self)._check_object_constraints()",
        "if valid_from and valid_until and valid_until <= valid_from:",
        "raise ValueError(msg.format(self))",
        'if self.get(\'pattern_type\') == "stix":',
        "if errors:",
        "raise InvalidValueError(self.__class__, 'pattern', str(errors[0]))",
    ], "stix2's Indicator checks changed: re-read exports.stix.GeneratedIndicator"
