"""Every row keeps its physical line number, also after rows the CSV reader itself rejected (wrong field count),
so a rejects file and an analyst's editor agree on where each bad row is."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from loaders.base import read_delimited


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.booleans(), min_size=1, max_size=40), batch_rows=st.integers(1, 7))
def test_good_and_malformed_rows_keep_their_line_numbers(tmp_path_factory, rows: list[bool],
                                                         batch_rows: int) -> None:
    path: Path = tmp_path_factory.mktemp("lines") / "rows.csv"
    lines = ["id,value"]
    for i, good in enumerate(rows):
        lines.append(f"r{i},v{i}" if good else f"r{i},v{i},extra")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    seen: dict[str, int] = {}
    for batch in read_delimited(path, "utf-8", batch_rows, (), "test"):
        for line, row_id in zip(batch.lines, batch.frame["id"], strict=True):
            seen[row_id] = int(line)
        for line, fields, _reason in batch.bad_rows:
            seen[fields[0]] = line
    assert seen == {f"r{i}": i + 2 for i in range(len(rows))}  # line 1 is the header
