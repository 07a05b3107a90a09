"""Firearm makes, models and serial numbers.

The catalogue lists makes that are common among traced crime guns (NFCTA Vol. II names pistols by Glock,
Smith & Wesson, Ruger, Taurus, Hi-Point, SCCY and Sig Sauer among the most frequently traced) with typical
models. Weights are rough; the pistol share of traces (~70%) follows NFCTA Vol. II.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# (manufacturer, importer, country, weight, serial style, ((model, caliber, type), ...))
_CATALOGUE: tuple[tuple[str, str, str, float, str, tuple[tuple[str, str, str], ...]], ...] = (
    ("GLOCK", "GLOCK INC", "AT", 16.0, "LLL000", (("19", "9MM", "PISTOL"), ("17", "9MM", "PISTOL"),
                                                  ("22", ".40", "PISTOL"), ("26", "9MM", "PISTOL"),
                                                  ("43", "9MM", "PISTOL"), ("23", ".40", "PISTOL"))),
    ("SMITH & WESSON", "", "US", 13.0, "LLL0000", (("M&P9 SHIELD", "9MM", "PISTOL"), ("SD9VE", "9MM", "PISTOL"),
                                                  ("M&P40", ".40", "PISTOL"), ("SW40VE", ".40", "PISTOL"),
                                                  ("642", ".38", "REVOLVER"), ("M&P15", "5.56", "RIFLE"))),
    ("STURM, RUGER & CO", "", "US", 11.0, "000-00000", (("LCP", ".380", "PISTOL"), ("SR9", "9MM", "PISTOL"),
                                                       ("P95", "9MM", "PISTOL"), ("EC9S", "9MM", "PISTOL"),
                                                       ("LCR", ".38", "REVOLVER"), ("10/22", ".22", "RIFLE"))),
    ("TAURUS", "TAURUS INTERNATIONAL", "BR", 9.0, "LLL00000", (("G2C", "9MM", "PISTOL"), ("PT111", "9MM", "PISTOL"),
                                                              ("G3C", "9MM", "PISTOL"),
                                                              ("85", ".38", "REVOLVER"))),
    ("HI-POINT", "", "US", 6.0, "P0000000", (("C9", "9MM", "PISTOL"), ("JCP", ".40", "PISTOL"),
                                            ("995", "9MM", "RIFLE"))),
    ("SCCY", "", "US", 4.0, "C000000", (("CPX-2", "9MM", "PISTOL"), ("CPX-1", "9MM", "PISTOL"))),
    ("SIG SAUER", "", "US", 5.0, "LL000000", (("P365", "9MM", "PISTOL"), ("P320", "9MM", "PISTOL"))),
    ("SPRINGFIELD ARMORY", "", "HR", 3.5, "LL000000", (("XD-9", "9MM", "PISTOL"), ("HELLCAT", "9MM", "PISTOL"))),
    ("KEL-TEC", "", "US", 3.0, "LLL00", (("P-11", "9MM", "PISTOL"), ("PF-9", "9MM", "PISTOL"),
                                        ("SUB-2000", "9MM", "RIFLE"))),
    ("BERETTA", "BERETTA USA", "IT", 2.5, "LL000000", (("92FS", "9MM", "PISTOL"), ("PX4", "9MM", "PISTOL"))),
    ("CANIK", "CENTURY ARMS", "TR", 2.0, "L00000000", (("TP9SF", "9MM", "PISTOL"), ("METE", "9MM", "PISTOL"))),
    ("ZASTAVA", "CENTURY ARMS", "RS", 1.0, "L000000", (("PAP M70", "7.62", "RIFLE"),)),
    ("PALMETTO STATE ARMORY", "", "US", 2.0, "LLL000000", (("PA-15", "5.56", "RIFLE"), ("DAGGER", "9MM", "PISTOL"))),
    ("MOSSBERG", "", "US", 3.5, "LL000000", (("500", "12GA", "SHOTGUN"), ("MAVERICK 88", "12GA", "SHOTGUN"))),
    ("REMINGTON", "", "US", 2.5, "LL000000L", (("870", "12GA", "SHOTGUN"), ("700", ".308", "RIFLE"))),
    ("MARLIN", "", "US", 1.0, "00000000", (("60", ".22", "RIFLE"),)),
    ("CHARTER ARMS", "", "US", 1.0, "0000000", (("UNDERCOVER", ".38", "REVOLVER"),)),
    ("COBRA", "", "US", 0.5, "CT000000", (("CB38", ".38", "DERRINGER"),)),
    ("JIMENEZ ARMS", "", "US", 1.0, "000000", (("JA-380", ".380", "PISTOL"),)),
    ("HENRY REPEATING ARMS", "", "US", 0.5, "000000H", (("H001", ".22", "RIFLE"),)),
)


@dataclass(frozen=True)
class Catalogue:
    models: pd.DataFrame  # manufacturer, importer, country, model, caliber, weapon_type, serial_style, weight


def catalogue() -> Catalogue:
    rows = []
    for make, importer, country, weight, style, models in _CATALOGUE:
        for model, caliber, wtype in models:
            rows.append({"manufacturer": make, "importer": importer, "country": country, "model": model,
                         "caliber": caliber, "weapon_type": wtype, "serial_style": style,
                         "weight": weight / len(models) * (1.0 if wtype in ("PISTOL", "REVOLVER") else 0.8)})
    return Catalogue(pd.DataFrame(rows))


def pick_models(rng: np.random.Generator, cat: Catalogue, n: int, handgun_only: bool = False) -> np.ndarray:
    w = cat.models["weight"].to_numpy().copy()
    if handgun_only:
        w = w * cat.models["weapon_type"].isin(["PISTOL", "REVOLVER", "DERRINGER"]).to_numpy()
    return rng.choice(len(w), size=n, p=w / w.sum())


_LETTERS = np.array(list("ABCDEFGHJKLMNPRSTUVWXYZ"), dtype=object)


def random_letters(rng: np.random.Generator, n: int) -> np.ndarray:
    """Four serial letters per gun (only as many as the style needs are used)."""
    return _LETTERS[rng.integers(0, len(_LETTERS), size=(n, 4))]


def serial_digits(style: str) -> int:
    return style.count("0")


def serials(styles: np.ndarray, numbers: np.ndarray, letters: np.ndarray) -> np.ndarray:
    """Serial numbers: each ``L`` of the style takes the next of the gun's ``letters``, the ``0``s spell ``number``
    zero-padded; the same letters with consecutive numbers give consecutive serials. Vectorised per style."""
    out = np.empty(len(styles), dtype=object)
    for style in sorted(set(styles.tolist())):
        idx = np.flatnonzero(styles == style)
        width = style.count("0")
        padded = np.char.zfill((numbers[idx] % (10**width)).astype(str), width).astype(f"U{width}")
        digit_chars = padded.view("U1").reshape(len(idx), width).astype(object)
        text = np.full(len(idx), "", dtype=object)
        li = di = 0
        for ch in style:
            if ch == "L":
                text = text + letters[idx, li % letters.shape[1]]
                li += 1
            elif ch == "0":
                text = text + digit_chars[:, di]
                di += 1
            else:
                text = text + ch
        out[idx] = text
    return out
