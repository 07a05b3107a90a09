"""cypher/effects.py: what a statement's text may do, read once for the write followers, the write count and the
reader's handle; comments never count, a ``//`` inside a string hides nothing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cypher import registry
from cypher.effects import effect, may_write, refused_by_reader, without_comments


@pytest.mark.parametrize(("text", "expected"), [
    ("MATCH (p:Person) RETURN p.person_key", "read"),
    ("// deletes nothing: SET and DELETE only in a comment\nMATCH (p:Person) RETURN p", "read"),
    ("MATCH (p:Person) RETURN p // CREATE later", "read"),
    ("MATCH (p:Person {person_key: $key}) SET p.straw_score = 1", "write"),
    ("MATCH (n:Network) DETACH DELETE n", "delete"),
    ("match (p:Person) where p.person_key in $keys delete p", "delete"),
    ("MATCH (p:Person) RETURN p.created_at AS settled", "read"),
    ("MATCH (s:Source {url: 'https://example.org/x'}) DELETE s", "delete"),  # the URL's // hides nothing
])
def test_a_statement_is_a_read_a_write_or_a_delete(text: str, expected: str) -> None:
    assert effect(text) == expected


@given(st.text(alphabet=st.characters(blacklist_characters="\n"), max_size=40))
def test_a_comment_never_makes_a_read_a_write(comment: str) -> None:
    assert effect(f"MATCH (p:Person) // {comment}\nRETURN p") == "read"


@given(st.text(alphabet=st.characters(blacklist_characters="'\\\n"), max_size=30))
def test_a_string_keeps_its_slashes_and_what_follows_it(inside: str) -> None:
    text = f"MATCH (s:Source) WHERE s.url = '{inside}//{inside}' DELETE s"
    assert without_comments(text) == text
    assert effect(text) == "delete"


def test_the_reader_refuses_writes_and_transaction_control_and_reads_procedures() -> None:
    assert refused_by_reader("MATCH (p:Person) SET p.x = 1") == "SET"
    assert refused_by_reader("checkpoint") == "CHECKPOINT"
    assert refused_by_reader("BEGIN TRANSACTION READ ONLY") == "BEGIN"
    assert refused_by_reader("CALL show_tables() RETURN name") is None
    assert may_write("CALL show_tables() RETURN name")  # a procedure may have written: cached rows are not trusted
    assert may_write("ROLLBACK") and not may_write("MATCH (p:Person) RETURN p")


def test_the_registry_hands_out_statements_without_comments() -> None:
    """What the engine runs is what the followers, the write count and the reader classified."""
    texts = [text for _name, _backend, text in registry().items()]
    assert len(texts) > 100
    for text in texts:
        assert without_comments(text) == text, text[:80]
