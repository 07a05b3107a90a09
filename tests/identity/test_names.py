"""Name and address normalisation: variants a clerk might type normalise to the same value."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from loaders.domain import names as nm

RESERVED = {*nm.SUFFIXES, *nm.STREET_ABBREVIATIONS, *nm.STREET_ABBREVIATIONS.values(), *nm.UNIT_DESIGNATORS,
            "NMN", "NMI", "NONE"}
WORD = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=10).filter(lambda w: w not in RESERVED)


def _vary(rng: st.DrawFn, text: str) -> str:
    cased = "".join(c.lower() if rng(st.booleans()) else c for c in text)
    pad = rng(st.sampled_from(["", " ", "  "]))
    return pad + cased.replace(" ", rng(st.sampled_from([" ", "  ", " \t"]))) + pad


@given(st.data(), WORD, WORD, st.one_of(st.none(), WORD))
def test_case_and_spacing_do_not_change_normalised_names(data: st.DataObject, last: str, first: str,
                                                         middle: str | None) -> None:
    draw = data.draw
    clean = nm.normalise_names(pd.Series([last]), pd.Series([first]), pd.Series([middle]), pd.Series([None]))
    noisy = nm.normalise_names(pd.Series([_vary(draw, last)]), pd.Series([_vary(draw, first)]),
                               pd.Series([_vary(draw, middle) if middle else None]), pd.Series([None]))
    for key in ("last", "first", "middle", "suffix"):
        assert list(clean[key]) == list(noisy[key])


@given(st.text(max_size=30))
def test_fold_is_idempotent(text: str) -> None:
    assert nm.fold(nm.fold(text)) == nm.fold(text)


@given(st.sampled_from(["JR", "Jr.", "JUNIOR", "jr"]), WORD, WORD)
def test_suffix_found_in_any_name_field(suffix: str, last: str, first: str) -> None:
    glued = nm.normalise_names(pd.Series([f"{last} {suffix}"]), pd.Series([first]), pd.Series([None]),
                               pd.Series([None]))
    own = nm.normalise_names(pd.Series([last]), pd.Series([first]), pd.Series([None]), pd.Series([suffix]))
    assert glued["last"][0] == own["last"][0] == last
    assert glued["suffix"][0] == own["suffix"][0] == "JR"


def test_second_first_name_token_becomes_the_middle_name() -> None:
    out = nm.normalise_names(pd.Series(["Doe"]), pd.Series(["John A."]), pd.Series([None]), pd.Series([None]))
    assert (out["first"][0], out["middle"][0]) == ("JOHN", "A")


@given(st.integers(1, 99999), st.sampled_from(["NORTH", "N", "N."]), WORD,
       st.sampled_from([("STREET", "ST"), ("AVENUE", "AVE"), ("BOULEVARD", "BLVD"), ("ROAD", "RD")]),
       st.sampled_from(["", " APT 4", " #4", " Unit 12B", ", Apt. 3"]))
def test_street_spellings_normalise_alike(number: int, direction: str, name: str, kind: tuple[str, str],
                                          unit: str) -> None:
    long_form = nm.normalise_street(f"{number} {direction} {name} {kind[0]}{unit}".lower())
    short_form = nm.normalise_street(f"{number} N {name} {kind[1]}")
    assert long_form == short_form


def test_first_name_agreement_levels() -> None:
    a = np.array(["WILLIAM", "JOHN", "JOHN", "J", "JOHN", "KEN", ""], dtype=object)
    b = np.array(["BILL", "JOHN", "JOHM", "JOHN", "JAMES", "KENNETH", "JOHN"], dtype=object)
    assert list(nm.first_name_agreement(a, b)) == [nm.FIRST_NICKNAME, nm.FIRST_EXACT, nm.FIRST_TYPO,
                                                   nm.FIRST_INITIAL, nm.FIRST_NONE, nm.FIRST_NICKNAME,
                                                   nm.FIRST_NONE]
