"""The local Neo4j server's random initial password is passed to ``neo4j-admin dbms set-initial-password`` as an
argument: one that starts with ``-`` is read as an option and the server never starts (seen in CI, one time in 64)."""

from __future__ import annotations

from graph.neo4j_server import new_password


def test_initial_passwords_are_never_read_as_options() -> None:
    passwords = [new_password() for _ in range(3000)]
    assert not [p for p in passwords if p.startswith("-")]
    assert len(set(passwords)) == len(passwords) and all(len(p) >= 32 for p in passwords)
