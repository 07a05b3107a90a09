"""Response and request models. Node models are generated from the one schema (``graph/schema.py``).

Requests are strict (no coercion of wrong JSON types: LIBRARY_NOTES 13); responses forbid undeclared fields so a
property the release policy removed can never slip through under another name.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model, field_validator, model_validator

from graph.schema import SCHEMA, PropertyType

_PY_TYPES: dict[PropertyType, Any] = {
    "STRING": str, "INT64": int, "DOUBLE": float, "BOOL": bool, "DATE": dt.date, "TIMESTAMP": dt.datetime}


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _finite(cls, value: Any) -> Any:
        """NaN and infinities are not JSON: an undefined score is null. Stored timestamps are UTC without an
        offset; RFC 3339 (OpenAPI ``date-time``) wants one."""
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value


def node_model(label: str) -> type[Out]:
    node = SCHEMA.node(label)
    fields: dict[str, Any] = {p.name: (_PY_TYPES[p.type] | None, Field(None, description=p.doc or None))
                              for p in node.properties if not p.internal}
    fields[node.key] = (str, Field(description=node.key_property.doc or f"{label} key"))
    fields["masked"] = (bool, Field(False, description="personal data removed by the release policy"))
    fields["indicators"] = (list[dict[str, Any]] | None,
                            Field(None, description="fired indicators (parsed from the stored JSON)"))
    return create_model(f"{label}Node", __base__=Out, __doc__=node.doc, **fields)


if TYPE_CHECKING:
    PersonNode: TypeAlias = Out
    DealerNode: TypeAlias = Out
    FirearmNode: TypeAlias = Out
    RecoveryNode: TypeAlias = Out
    NetworkNode: TypeAlias = Out
    InspectionNode: TypeAlias = Out
    ViolationNode: TypeAlias = Out
else:
    PersonNode = node_model("Person")
    DealerNode = node_model("Dealer")
    FirearmNode = node_model("Firearm")
    RecoveryNode = node_model("Recovery")
    NetworkNode = node_model("Network")
    InspectionNode = node_model("Inspection")
    ViolationNode = node_model("Violation")


class Health(Out):
    status: Literal["ok"]
    store: str
    nodes: dict[str, int]
    snapshot_seconds: float


class Token(Out):
    access_token: str
    token_type: Literal["bearer"]
    expires_in: int


class NodeRef(Out):
    label: str
    key: str
    masked: bool = False


class Edge(Out):
    type: str
    start: NodeRef
    end: NodeRef
    date: dt.date | None = None


# --- firearm chain -------------------------------------------------------------------------------------------

class ChainSale(Out):
    dealer_key: str
    license_number: str | None
    business_name: str | None
    premise_city: str | None
    premise_state: str | None
    sale_date: dt.date | None


class ChainPerson(Out):
    person_key: str
    last_name: str | None = None
    first_name: str | None = None
    dob: dt.date | None = None
    masked: bool = False


class ChainPurchase(Out):
    purchaser: ChainPerson
    sale_id: str | None
    purchase_date: dt.date | None
    dealer_key: str | None
    multiple_sale: bool | None
    report_id: str | None
    source: str | None


class ChainRecovery(Out):
    trace_id: str
    recovery_date: dt.date | None
    recovery_city: str | None
    recovery_state: str | None
    crime_code: str | None
    time_to_crime_days: int | None
    possessors: list[ChainPerson]
    reported_stolen: bool | None = Field(None, description="named by a lost/stolen report (ATF F 3310.11 or police)")
    stolen_report_id: str | None = None


class ChainNibinLink(Out):
    lead_id: str
    trace_id: str
    linked_trace_id: str
    lead_date: dt.date | None
    status: str | None


class FirearmOut(Out):
    firearm: FirearmNode
    sales: list[ChainSale]
    purchases: list[ChainPurchase]
    recoveries: list[ChainRecovery]
    nibin_links: list[ChainNibinLink]
    withheld: list[str] = Field(default_factory=list,
                                description="parts of the chain left out by the release policy")


# --- person, dealer, network ---------------------------------------------------------------------------------

class Neighbourhood(Out):
    depth: int
    nodes: list[NodeRef]
    relationships: list[Edge]
    truncated: bool
    withheld: int = Field(0, description="nodes left out by the release policy")


class PersonOut(Out):
    person: PersonNode
    neighbourhood: Neighbourhood


class InspectionOut(Out):
    inspection: InspectionNode
    violations: list[ViolationNode]


class ProfileViolation(Out):
    violation_id: str | None
    cfr_code: str | None
    description: str | None
    cfr_citation: str | None
    zero_tolerance_category: str | None
    policy_context: str | None = Field(description="e.g. 'cited under the 2021 zero-tolerance policy ...'")


class ProfileInspection(Out):
    inspection_id: str | None
    inspection_date: dt.date | None
    outcome: str | None
    outcome_given: str | None = Field(None, description="the disposition as the source gave it")
    source_document_url: str | None
    policy_period: str | None
    violations: list[ProfileViolation]


class TransparencyVerified(Out):
    """Facts as ATF published them (licensee listing, inspection reports)."""

    license_number: str | None
    dealer_key: str | None
    license_name: str | None
    business_name: str | None
    license_type: str | None
    license_type_name: str | None
    license_expiry_code: str | None
    license_expiry_month: str | None
    license_expired: bool | None = Field(description="expiry month ended before the data-as-of date")
    list_status: str | None
    on_latest_list: bool | None
    premise_street: str | None
    premise_city: str | None
    premise_state: str | None
    premise_zip: str | None
    premise_county: str | None = None
    first_seen_date: dt.date | None
    last_verified_date: dt.date | None
    data_as_of: dt.date | None = Field(description="date of the latest ATF list loaded for the dealer's state")
    source: str
    inspections: list[ProfileInspection]


class TransparencyEstimated(Out):
    """Derived estimates, each with its method (docs/analytics.md, "Dealer transparency profile")."""

    sales_index: float | None = Field(description="1.0 = national median retail dealer")
    sales_index_confidence: float | None = Field(description="0-1 ordinal grade, capped at 0.5")
    sales_index_method: str | None
    local_dealing_licensees: int | None
    local_radius_km: float
    weapon_categories: list[str]
    weapon_category_notes: list[str]
    weapon_category_method: str
    lat: float | None
    lon: float | None
    geocode_precision: str | None
    nearest_hotspot: str | None
    nearest_hotspot_km: float | None
    nearest_hotspot_method: str
    anomaly_score: float | None


class DealerTransparency(Out):
    verified: TransparencyVerified
    estimated: TransparencyEstimated | None = Field(description="null when withheld by the release policy")
    withheld: list[str] = Field(default_factory=list)


class YearTraces(Out):
    year: int
    traces: int = Field(description="recoveries of firearms this dealer sold, by recovery year")


class DealerOut(Out):
    dealer: DealerNode
    inspections: list[InspectionOut]
    transparency: DealerTransparency | None = Field(
        None, description="the transparency profile: verified facts and labelled estimates")
    traces_by_year: list[YearTraces] = Field(
        default_factory=list, description="traces over time: recoveries of the dealer's guns per recovery year "
                                          "(empty when recoveries are not released to the caller)")


class NetworkOut(Out):
    network: NetworkNode
    members: list[PersonNode]


# --- lists ---------------------------------------------------------------------------------------------------

class LastReview(Out):
    """The latest straw-queue review decision on a person (api/services/reviews.py)."""

    decision: str = Field(description="reviewed | escalated | dismissed")
    reason: str
    by: str = Field(description="the name of the key that decided")
    at: dt.datetime


if TYPE_CHECKING:
    StrawItem: TypeAlias = Out
else:
    StrawItem = create_model("StrawItem", __base__=PersonNode, __doc__="A person in the straw review queue.",
                             last_review=(LastReview | None, Field(None, description="the latest review decision "
                                                                   "(null: none yet, or not for this caller)")))


class StrawPage(Out):
    items: list[StrawItem]
    total: int = Field(description="items matching the filters (before the release policy)")
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")


class NetworkPage(Out):
    items: list[NetworkNode]
    total: int = Field(description="networks matching the filters (before the release policy)")
    next_cursor: str | None


class AnomalyPage(Out):
    items: list[DealerNode]
    total: int
    next_cursor: str | None


class Corridor(Out):
    rank: int | None = Field(None, description="1 = most significant; null for in-state flows (not ranked)")
    src: NodeRef = Field(description="where the guns were sold (the source place)")
    dst: NodeRef = Field(description="where they were recovered")
    src_name: str | None
    dst_name: str | None
    year: int | None
    level: str | None
    basis: str | None = Field(description="traces | atf_table | table:NAME (the FLOW `basis` property)")
    dataset: str | None = Field(None, description="the file a table's counts were loaded from")
    firearms: int | None
    expected: float | None = None
    ratio: float | None = None
    score: float | None = None
    z: float | None = None
    trend: str | None = None
    trend_slope: float | None = None
    median_ttc_days: float | None = None


class CorridorList(Out):
    items: list[Corridor] = Field(description="ranked: score descending, unscored last")
    in_state: list[Corridor] = Field(default_factory=list, description="flows that never left their place "
                                                                       "(not ranked)")
    bases: list[str] = Field(default_factory=list, description="the bases the store holds")
    scored: bool = Field(True, description="false: nothing listed has a score yet (run `tracegraph analyze`)")
    total: int = Field(0, description="corridors matching before `top`")
    note: str | None = Field(None, description="why nothing matched, and what to load")
    trend_test: str = Field(description="how `trend` is decided")


class PathOut(Out):
    source: str
    target: str
    found: bool
    hops: int | None
    nodes: list[NodeRef]
    relationships: list[Edge]
    max_hops: int
    types: list[str]
    since: dt.date | None


class SearchHit(Out):
    label: str
    key: str
    reference: str
    summary: str | None
    masked: bool = False


class SearchOut(Out):
    items: list[SearchHit]


# --- requests ------------------------------------------------------------------------------------------------
# What the OpenAPI document allows is accepted: constraints a schema can state are in it (patterns, bounds,
# ``not``), and the few it cannot (a placeholder serial, two scope anchors given as query parameters, a cursor
# this API never issued) are a 422 like any schema violation, never a 400 (docs/security.md).


def _whole(value: Any) -> Any:
    """JSON has one number type: ``26.0`` is the integer 26 (JSON Schema's ``integer`` says so too); strings and
    booleans stay refused by the strict models."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


WholeInt = Annotated[int, BeforeValidator(_whole)]
_ANCHORS = ("network", "person", "dealer")
# at most one of network, person, dealer as non-null strings, in the schema's own words
_ONE_ANCHOR: dict[str, Any] = {"not": {"anyOf": [
    {"required": [a, b], "properties": {a: {"type": "string"}, b: {"type": "string"}}}
    for i, a in enumerate(_ANCHORS) for b in _ANCHORS[i + 1:]]}}


class SearchRequest(BaseModel):
    """POST body, so names never travel in a URL (URLs end up in proxy and access logs)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    kind: Literal["name", "serial", "license"]
    q: str = Field(min_length=1, max_length=100, description="LAST or LAST, FIRST | a serial | a license number")
    limit: WholeInt = Field(20, ge=1, le=100)

    @model_validator(mode="after")
    def _serial_readable(self) -> SearchRequest:
        from loaders.domain.parsing import normalize_serial

        if self.kind == "serial" and normalize_serial(self.q) is None:
            raise ValueError("the serial number is empty or a placeholder (NONE, UNKNOWN, ...)")
        return self


class Problem(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None


class ExportScope(BaseModel):
    """What a STIX / GeoJSON export covers: at most one of network, person, dealer; otherwise the corridors
    (``year``, ``level``, touching ``state``). ``year`` and ``level`` filter the corridors of every scope."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_ONE_ANCHOR)

    network: str | None = Field(None, min_length=1, max_length=200, description="a network id")
    person: str | None = Field(None, min_length=1, max_length=200, description="a person key")
    dealer: str | None = Field(None, min_length=1, max_length=200, description="a license number or dealer key")
    state: str | None = Field(None, pattern="^[A-Z]{2}$",
                              description="everything in this state, e.g. NY: dealers and recoveries there, their "
                                          "firearms, purchasers and networks, the state's places and the corridors "
                                          "touching them (as `tracegraph export --scope state:NY`)")
    year: Annotated[int, Field(ge=1900, le=2100), BeforeValidator(_whole)] | None = Field(
        None, description="corridors of this year")
    level: Literal["state", "city", "country"] | None = Field(None, description="corridors at this level")
    tlp: Literal["clear", "green", "amber", "amber+strict", "red"] | None = Field(
        None, description="STIX only: the bundle's TLP (default: the caller's ceiling; above it is 403)")

    @model_validator(mode="after")
    def _one_anchor(self) -> ExportScope:
        anchors = [name for name in _ANCHORS if getattr(self, name) is not None]
        if len(anchors) > 1:
            raise ValueError(f"give at most one of network, person, dealer (got {', '.join(anchors)})")
        return self


GeoLayer = Literal["corridors", "hubs", "dealers", "recoveries"]


class GeoJsonExport(ExportScope):
    layers: list[GeoLayer] | None = Field(
        None, min_length=1, max_length=4,
        description="GeoJSON layers (default: corridors and hubs, those the caller is cleared for; hubs and "
                    "recoveries are TLP:AMBER)")


# --- alerts and watchlists (issue 21) --------------------------------------------------------------------------

if TYPE_CHECKING:
    AlertNode: TypeAlias = Out
    WatchNode: TypeAlias = Out
else:
    AlertNode = node_model("Alert")
    WatchNode = node_model("Watch")


class AlertPage(Out):
    items: list[AlertNode]
    total: int = Field(description="alerts matching the filters (before the release policy)")
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")
    unavailable: list[str] = Field(default_factory=list, description=(
        "rules that cannot fire on this store, one line each naming the load that provides what they need "
        "(e.g. no trace rows: `tracegraph load traces FILE`)"))


class WatchList(Out):
    items: list[WatchNode]


WatchKind = Literal["person", "dealer", "network", "firearm", "serial", "place", "corridor"]


class WatchIn(BaseModel):
    """A new watch (``tracegraph watch add KIND VALUE --note``)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    kind: WatchKind
    value: str = Field(min_length=1, max_length=200,
                       description="person_key, dealer_key, network_id, firearm_key, a serial pattern (* ? or a "
                                   "fragment of 3+ characters), a place (state:US-NY, city:US-NY:NEW YORK) or a "
                                   "corridor (state:US-GA>state:US-NY)")
    note: str | None = Field(None, max_length=500, description="why it is watched")

    @model_validator(mode="after")
    def _value_fits_kind(self) -> WatchIn:
        """The value's form for its kind (a rule across two fields: a 422 like any schema violation)."""
        from algorithms.watchlist import normalise_watch
        from graph.errors import InvalidInput

        try:
            normalise_watch(self.kind, self.value)
        except InvalidInput as exc:
            raise ValueError(str(exc)) from None
        return self


class WatchChange(Out):
    watch: WatchNode
    applied: bool = Field(description="true: written to the graph; false: queued beside the read-only embedded "
                                      "store and applied by the next load or analysis (listings show it at once)")
