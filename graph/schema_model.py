"""The types the property-graph model is declared with (:mod:`graph.schema` holds the one declaration, ``SCHEMA``):
a property, a node label, a relationship type, the schema with its consistency checks, and the ``P`` shorthand."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

PropertyType = Literal["STRING", "INT64", "DOUBLE", "BOOL", "DATE", "TIMESTAMP"]


@dataclass(frozen=True)
class Property:
    name: str
    type: PropertyType
    doc: str = ""
    indexed: bool = False
    computed: bool = False
    renamed_from: str | None = None  # the name older stores hold this property under (migrated on init)
    #: a lookup key the software derives from other properties (blocking, grouping): never shown to a user (the
    #: API's node models and the service snapshot leave it out; exports and Bloom leave it out as well)
    internal: bool = False


class _Properties:
    """What a node label and a relationship type share: their declared properties, looked up by name."""

    name: str
    properties: tuple[Property, ...]

    def prop(self, name: str) -> Property:
        for prop in self.properties:
            if prop.name == name:
                return prop
        raise KeyError(f"{self.name} has no property {name!r}")

    @property
    def property_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.properties)


@dataclass(frozen=True)
class NodeLabel(_Properties):
    name: str
    key: str
    doc: str
    properties: tuple[Property, ...]

    @property
    def key_property(self) -> Property:
        return self.prop(self.key)


@dataclass(frozen=True)
class RelType(_Properties):
    name: str
    endpoints: tuple[tuple[str, str], ...]
    doc: str
    properties: tuple[Property, ...] = ()
    key: tuple[str, ...] = ()
    #: stored by the embedded engine in its FROM -> TO direction only (``storage_direction = 'fwd'``): half the
    #: per-node-group index a commit keeps and half the write work. Only for a type no statement traverses TO -> FROM
    #: (the engine refuses an undirected pattern over it and a read that must start from its TO end); Neo4j ignores it
    one_way: bool = False


@dataclass(frozen=True)
class Schema:
    nodes: tuple[NodeLabel, ...]
    relationships: tuple[RelType, ...]
    version: int = 1
    _by_label: dict[str, NodeLabel] = field(default_factory=dict, compare=False, repr=False)
    _by_type: dict[str, RelType] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_label.update({n.name: n for n in self.nodes})
        self._by_type.update({r.name: r for r in self.relationships})
        _check(self)

    def node(self, label: str) -> NodeLabel:
        try:
            return self._by_label[label]
        except KeyError:
            raise KeyError(f"unknown node label {label!r}") from None

    def relationship(self, rel_type: str) -> RelType:
        try:
            return self._by_type[rel_type]
        except KeyError:
            raise KeyError(f"unknown relationship type {rel_type!r}") from None

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(n.name for n in self.nodes)

    @property
    def rel_types(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.relationships)


def _check(schema: Schema) -> None:
    seen: set[str] = set()
    for node in schema.nodes:
        if node.name in seen:
            raise ValueError(f"label {node.name} declared twice")
        seen.add(node.name)
        names = [p.name for p in node.properties]
        if len(names) != len(set(names)):
            raise ValueError(f"{node.name} declares a property twice")
        if node.key not in names:
            raise ValueError(f"{node.name}: key {node.key} is not a property")
    for rel in schema.relationships:
        if rel.name in seen:
            raise ValueError(f"name {rel.name} used twice")
        seen.add(rel.name)
        for src, dst in rel.endpoints:
            if src not in schema._by_label or dst not in schema._by_label:
                raise ValueError(f"{rel.name}: endpoint {src}->{dst} names an unknown label")
        for key in rel.key:
            if key not in rel.property_names:
                raise ValueError(f"{rel.name}: key {key} is not a property")


def P(name: str, type_: PropertyType = "STRING", doc: str = "", *, indexed: bool = False,
      computed: bool = False, renamed_from: str | None = None, internal: bool = False) -> Property:
    """Shorthand used by the declaration below."""
    return Property(name, type_, doc, indexed=indexed, computed=computed, renamed_from=renamed_from,
                    internal=internal)
