"""A bigram inverted index over serial skeletons: the first, cheapest cut of damaged-serial matching.

Postings are CSR arrays (bigram code -> sorted positions), built with numpy in one pass. A query counts, for every
position in a window of the index, how many of its readable bigrams the serial shares (one ``np.bincount`` over the
concatenated postings), and keeps the best few thousand for rapidfuzz and the exact alignment
(:func:`algorithms.serials.match`).

>>> grams = Bigrams.build(["ABC123", "ABD123", "XYZ999"])
>>> grams.counts(grams.codes("ABC"), 0, 3).tolist()
[2, 1, 0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Bigrams:
    offsets: np.ndarray   # int64, 65537: postings of code c are positions[offsets[c]:offsets[c + 1]]
    positions: np.ndarray  # int32, sorted within each code

    @classmethod
    def build(cls, skeletons: list[str]) -> Bigrams:
        n = len(skeletons)
        width = max((len(s) for s in skeletons), default=0)
        if n == 0 or width < 2:
            return cls(np.zeros(65537, dtype=np.int64), np.zeros(0, dtype=np.int32))
        chars = np.array(skeletons, dtype=f"S{width}").view(np.uint8).reshape(n, width).astype(np.int64)
        codes = chars[:, :-1] * 256 + chars[:, 1:]
        valid = (chars[:, :-1] > 0) & (chars[:, 1:] > 0)
        rows = np.broadcast_to(np.arange(n, dtype=np.int64)[:, None], codes.shape)
        pairs = np.sort(rows[valid] * 65536 + codes[valid])
        pairs = pairs[np.concatenate([[True], pairs[1:] != pairs[:-1]])]  # one posting per serial and bigram
        code, row = pairs % 65536, pairs // 65536
        order = np.argsort(code, kind="stable")
        offsets = np.searchsorted(code[order], np.arange(65537), side="left").astype(np.int64)
        return cls(offsets, row[order].astype(np.int32))

    @staticmethod
    def codes(text: str) -> list[int]:
        """Distinct bigram codes of ``text`` (ASCII letters and digits)."""
        raw = text.encode("ascii", "ignore")
        return sorted({raw[i] * 256 + raw[i + 1] for i in range(len(raw) - 1)})

    def counts(self, codes: list[int], start: int, stop: int) -> np.ndarray:
        """Shared-bigram counts for positions ``start``..``stop - 1``."""
        parts = []
        for code in codes:
            posting = self.positions[self.offsets[code]:self.offsets[code + 1]]
            lo, hi = np.searchsorted(posting, [start, stop])
            parts.append(posting[lo:hi])
        if not parts:
            return np.zeros(stop - start, dtype=np.int64)
        return np.bincount(np.concatenate(parts) - start, minlength=stop - start)
