"""Who follows an embedded store's writes: one class decorator (:func:`followed_by`) wraps each write method of
:class:`graph.embedded_store.EmbeddedStore` once and tells each *follower* about each write, classified once.

Two follow them: the side table's keeper (:mod:`graph.side_keeping`: the write's keys become the next delta part,
or the files are deleted before it) and the run records' recorder (:mod:`graph.run_keys`: an upsert's run ids and
keys are written down before it; a deleting statement deletes every record first). Each store has its own of each
(:func:`graph.store.companion`; a read-only store has none and is not followed).

A named Cypher statement is a *read* (not followed: it passes straight through), a *write*, or a *delete* (a write
that removes rows), by its text without ``//`` comments (:func:`cypher.effects.effect`). Upserts, the transaction
(:meth:`~graph.embedded_store.EmbeddedStore.batch`), the migration, the checkpoint and the close are followed as
what they are (:class:`Write`'s ``method``). Every follower's :meth:`Follower.before` runs before the write, in the
order given, and its :meth:`Follower.after` after it (committed or not), in the reverse order.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from cypher.effects import Effect, effect

if TYPE_CHECKING:
    from graph.embedded_store import EmbeddedStore

#: the methods followed besides :meth:`~graph.embedded_store.EmbeddedStore.batch` (checkpoint and close move the
#: store file's stamp; a migration adds tables and null columns)
METHODS = ("query", "upsert_nodes", "upsert_relationships", "checkpoint", "migrate", "close")
@functools.cache
def statement_effect(name: str, backend: str) -> Effect | None:
    """:func:`effect` of the named statement; None for a name the registry does not hold (the query refuses it)."""
    from cypher import registry

    try:
        return effect(registry().get(name, backend))
    except KeyError:
        return None


@dataclass(frozen=True)
class Write:
    """One write as the followers see it: the store method called, its positional arguments, and what it does
    (a statement's :func:`effect`; ``write`` for every other method)."""

    method: str
    args: tuple[Any, ...]
    effect: Effect = "write"


class Follower(Protocol):
    def before(self, store: EmbeddedStore, write: Write) -> Callable[[Any], None] | None:
        """Before ``write`` runs; returns what to call with its result once it succeeded (or None)."""

    def after(self, store: EmbeddedStore, write: Write, committed: bool) -> None:
        """After ``write`` ran (``committed``: it succeeded; a transaction's: it committed)."""


#: finds a store's follower (None: the store has none, e.g. read-only)
Finder = Callable[["EmbeddedStore"], Follower | None]
_Method = TypeVar("_Method", bound=Callable[..., Any])
_Class = TypeVar("_Class", bound=type)


def _followers(store: EmbeddedStore, finders: tuple[Finder, ...]) -> list[Follower]:
    return [found for found in (find(store) for find in finders) if found is not None]


def followed(method: _Method, finders: tuple[Finder, ...]) -> _Method:
    """``method`` (one of :data:`METHODS`) with its writes told to the followers ``finders`` find."""
    name = method.__name__

    @functools.wraps(method)
    def wrapper(store: EmbeddedStore, *args: Any, **kwargs: Any) -> Any:
        followers = _followers(store, finders)
        if not followers:
            return method(store, *args, **kwargs)
        does: Effect = "write"
        if name == "query":
            found = statement_effect(args[0], store.backend)
            if found is None or found == "read":
                return method(store, *args, **kwargs)
            does = found
        write = Write(name, args, does)
        began: list[Follower] = []
        committed = False
        try:
            noted = []
            for follower in followers:
                began.append(follower)
                noted.append(follower.before(store, write))
            result = method(store, *args, **kwargs)
            for note in noted:
                if note is not None:
                    note(result)
            committed = True
            return result
        finally:
            for follower in reversed(began):
                follower.after(store, write, committed)
    return cast(_Method, wrapper)


def followed_batch(method: Callable[[EmbeddedStore], AbstractContextManager[None]], finders: tuple[Finder, ...]
                   ) -> Callable[[EmbeddedStore], AbstractContextManager[None]]:
    """:meth:`~graph.embedded_store.EmbeddedStore.batch` (a context manager) told to the followers: before the
    transaction begins, and after it committed or rolled back."""
    @functools.wraps(method)
    @contextmanager
    def wrapper(store: EmbeddedStore) -> Iterator[None]:
        followers = _followers(store, finders)
        write = Write("batch", ())
        began: list[Follower] = []
        committed = False
        try:
            for follower in followers:
                began.append(follower)
                follower.before(store, write)
            with method(store):
                yield
            committed = True
        finally:
            for follower in reversed(began):
                follower.after(store, write, committed)
    return wrapper


def followed_by(*finders: Finder) -> Callable[[_Class], _Class]:
    """The class decorator of :class:`~graph.embedded_store.EmbeddedStore`: each of its :data:`METHODS` and its
    ``batch`` go through the followers ``finders`` find for a store, in that order."""
    def decorate(cls: _Class) -> _Class:
        for name in METHODS:
            setattr(cls, name, followed(getattr(cls, name), finders))
        cls.batch = followed_batch(cls.batch, finders)  # type: ignore[attr-defined]
        return cls
    return decorate
