"""What a Cypher statement's text may do, read from its keywords: one table for every part of the store that asks.

- :func:`effect`: what it does to rows (``read``, ``write``, or ``delete``: a write that removes rows). The write
  followers ask (:mod:`graph.write_following`: the side table's keeper, the run records).
- :func:`may_write`: whether rows a caller read before may have changed (:mod:`graph.write_count`): a row write, a
  procedure or extension call (``CALL``, ``IMPORT``, ``INSTALL``), or a rollback.
- :func:`refused_by_reader`: the keyword a reader's handle refuses (:mod:`graph.embedded_reader`): a row write, an
  import or install, or transaction control (``BEGIN``, ``COMMIT``, ``ROLLBACK``, ``CHECKPOINT``). Read-only
  procedures (``CALL show_tables()``) pass.

``//`` comments are not read (:func:`without_comments`), so a comment never makes a read a write, and a ``//``
inside a string does not hide the rest of its line. A read that names such a word inside a string is taken for a
write: that costs a follower a little work, never correctness.
"""

from __future__ import annotations

import functools
import re
from typing import Literal

Effect = Literal["read", "write", "delete"]

#: keywords that write rows or the schema
ROW_WRITES = ("CREATE", "MERGE", "SET", "DELETE", "REMOVE", "COPY", "DROP", "ALTER", "DETACH")
#: keywords that run code which may write (a procedure, an import, an extension's install)
CALLS = ("CALL", "IMPORT", "INSTALL")
#: keywords that move a transaction
TRANSACTION = ("BEGIN", "COMMIT", "ROLLBACK", "CHECKPOINT")


def _any_of(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"\b(" + "|".join(words) + r")\b", re.IGNORECASE)


_ROW_WRITES = _any_of(ROW_WRITES)
_DELETES = _any_of(("DELETE",))
_MAY_WRITE = _any_of((*ROW_WRITES, *CALLS, "ROLLBACK"))
_READER_REFUSES = _any_of((*ROW_WRITES, "IMPORT", "INSTALL", *TRANSACTION))
#: a string literal (kept whole) or a ``//`` comment to the end of its line
_STRING_OR_COMMENT = re.compile(r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`[^`]*`)|//[^\n]*""")


def without_comments(text: str) -> str:
    """``text`` without its ``//`` comments (whole-line or after a clause; a ``//`` inside a string stays)."""
    return _STRING_OR_COMMENT.sub(lambda found: found.group(1) or "", text)


@functools.cache
def effect(text: str) -> Effect:
    """What the statement ``text`` does to rows: ``read``, ``write`` or ``delete``."""
    bare = without_comments(text)
    if not _ROW_WRITES.search(bare):
        return "read"
    return "delete" if _DELETES.search(bare) else "write"


def may_write(text: str) -> bool:
    """Whether ``text`` (comments stripped) may change rows a caller read before."""
    return _MAY_WRITE.search(text) is not None


def refused_by_reader(text: str) -> str | None:
    """The keyword (upper case) for which a reader's handle refuses ``text`` (comments stripped); None: it reads."""
    found = _READER_REFUSES.search(text)
    return found.group(1).upper() if found else None
