"""The manifest Merkle tree: RFC 6962/9162 reference roots, order rule, sensitivity to every field."""

from __future__ import annotations

import json

from evidence_fixtures import DATA
from hypothesis import given
from hypothesis import strategies as st

from exports.evidence.merkle import manifest_root, merkle_root


def test_reference_roots_for_every_size_0_to_8() -> None:
    reference = json.loads((DATA / "rfc6962_reference_tree.json").read_text())
    leaves = [bytes.fromhex(h) for h in reference["leaf_inputs_hex"]]
    for size, expected in enumerate(reference["root_hashes_hex"]):
        assert merkle_root(leaves[:size]).hex() == expected, size


entries = st.lists(st.fixed_dictionaries({"path": st.text(min_size=1, max_size=12),
                                          "size": st.integers(0, 10**12),
                                          "sha256": st.text("0123456789abcdef", min_size=64, max_size=64)}),
                   min_size=1, max_size=12, unique_by=lambda e: e["path"])


@given(entries, st.randoms())
def test_root_does_not_depend_on_listing_order(manifest: list[dict[str, object]], rng: object) -> None:
    shuffled = list(manifest)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    assert manifest_root(shuffled) == manifest_root(manifest)


@given(entries, st.data())
def test_changing_any_field_of_any_entry_changes_the_root(manifest: list[dict[str, object]],
                                                          data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(manifest) - 1))
    field = data.draw(st.sampled_from(["size", "sha256"]))
    changed = [dict(e) for e in manifest]
    changed[index][field] = (int(changed[index]["size"]) + 1) if field == "size" else \
        ("f" if str(changed[index]["sha256"])[0] != "f" else "e") + str(changed[index]["sha256"])[1:]
    assert manifest_root(changed) != manifest_root(manifest)
    assert manifest_root(manifest[:index] + manifest[index + 1:]) != manifest_root(manifest)
