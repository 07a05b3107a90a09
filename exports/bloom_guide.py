"""A Neo4j Browser guide for tracegraph, in the structure of the real guides (``<article class="guide">`` holding a
``<carousel class="deck">`` of ``<slide>`` elements with runnable ``<pre mode="cypher">`` blocks).

Every runnable block is a named statement from ``cypher/`` (Neo4j dialect), preceded where it takes parameters by
a runnable ``:param`` block with an example value, so a click in the Browser sets the parameter and the next
click runs the query. Self-contained: no stylesheet or image is fetched from elsewhere.

>>> html = guide()
>>> html.count("<slide ") == len(SLIDES)
True
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape

from exports.bloom import statement_text

TITLE = "tracegraph: firearms-trafficking networks"
RUNNABLE_CLASS = "highlight pre-scrollable programlisting cm-s-neo code runnable standalone-example ng-binding"


@dataclass(frozen=True)
class Query:
    statement: str
    params: tuple[tuple[str, str | int], ...] = ()


@dataclass(frozen=True)
class Slide:
    title: str
    paragraphs: tuple[str, ...]
    queries: tuple[Query, ...]
    commands: tuple[str, ...] = ()


SLIDES: tuple[Slide, ...] = (
    Slide("The model", (
        "One label per node: <strong>Dealer</strong> (a federal firearms licensee), <strong>Person</strong> (a "
        "resolved identity), <strong>Firearm</strong>, <strong>Recovery</strong> (a crime-gun trace), "
        "<strong>Location</strong> (country, state, city, zip), <strong>Inspection</strong>, "
        "<strong>Violation</strong>, <strong>Network</strong> (a detected community), <strong>Intel</strong> and "
        "<strong>Evidence</strong>.",
        "A trace chain reads <code>(Dealer)-[:SOLD]-&gt;(Firearm)&lt;-[:PURCHASED]-(Person)</code> and "
        "<code>(Firearm)-[:RECOVERED_IN]-&gt;(Recovery)-[:POSSESSED_BY]-&gt;(Person)</code>; corridors are "
        "<code>(Location)-[:FLOW]-&gt;(Location)</code>. Scores written back by <code>tracegraph analyze</code> "
        "(straw_score, anomaly_score, pagerank, network_id) drive the Bloom perspective's styles.",
    ), (Query("bloom_guide_schema"), Query("bloom_guide_counts"))),
    Slide("Loading", (
        "Data is loaded with the <code>tracegraph</code> command line, not with Cypher: each loader validates "
        "its file, writes valid rows in batches and puts bad rows (with line and reason) in a rejects file. "
        "Point it at this database with <code>--store neo4j</code> (TRACEGRAPH_NEO4J_* settings), then run the "
        "analysis so the scores exist.",
        "Every load is recorded as a <strong>LoadRun</strong>: the query lists the latest ones with the rows "
        "read, loaded and rejected.",
    ), (Query("load_runs", (("limit", 20),)),), commands=(
        "tracegraph --store neo4j init",
        "tracegraph --store neo4j load ffl 0125-ffl-list.txt",
        "tracegraph --store neo4j load traces traces.csv",
        "tracegraph --store neo4j analyze",
    )),
    Slide("The straw queue", (
        "Persons ranked by straw-purchase score (highest first; the rank is derived from the scores). Each score "
        "comes with the indicators that fired (straw_indicators), e.g. short time-to-crime with another "
        "possessor, out-of-state recoveries, multiple-sale reports, joint purchases, a common possessor, "
        "NIBIN-linked recoveries. The queue is a list to review, not a finding.",
        "In Bloom: <em>straw queue top 25</em>. Persons are sized by straw_score and coloured by network.",
    ), (Query("bloom_straw_queue", (("n", 25),)),)),
    Slide("Corridors", (
        "A FLOW relationship is a corridor: firearms sold in the source and recovered in the destination in one "
        "year, with the count a gravity model expects and a significance score. Corridors are ranked by "
        "significance, not raw volume.",
        "In Bloom: <em>corridors into VA</em>. Corridor width follows firearms, colour follows score.",
    ), (Query("bloom_corridors_into_state", (("state", "VA"),)),)),
    Slide("A chain walk", (
        "Follow one gun from the dealer that sold it, through its purchaser, to the recoveries and the persons it "
        "was recovered from, and across NIBIN ballistic links to other recoveries. Replace the example serial "
        "with one from your data.",
        "In Bloom: <em>firearm SERIAL chain</em>, or select a Firearm or Recovery and run the scene action "
        "<em>Expand trace chain</em>.",
    ), (Query("bloom_firearm_chain", (("serial", "EXAMPLE123"),)),)),
)


def _pre(text: str) -> str:
    return (f'<pre mode="cypher"  class="{RUNNABLE_CLASS}" data-lang="cypher" lang="cypher">'
            f'<!--code class="cypher language-cypher"-->{escape(text, quote=False)}<!--/code--></pre>')


def _listing(text: str) -> str:
    return f'<div class="listingblock">\n<div class="content">\n{text}\n</div>\n</div>'


def param_command(name: str, value: str | int) -> str:
    """A Browser ``:param`` command; the value is a JSON literal (a Cypher string or integer)."""
    return f":param {name} => {json.dumps(value)}"


def _slide(slide: Slide) -> str:
    parts = [f'<div class="paragraph">\n<p>{p}</p>\n</div>' for p in slide.paragraphs]
    if slide.commands:
        shell = "\n".join(escape(line, quote=False) for line in slide.commands)
        parts.append(_listing(f'<pre class="highlight programlisting" data-lang="shell">{shell}</pre>'))
    for query in slide.queries:
        for name, value in query.params:
            parts.append(_listing(_pre(param_command(name, value))))
        parts.append(_listing(_pre(statement_text(query.statement))))
    body = "\n".join(parts)
    return (f'<slide class="row-fluid">\n  <div class="col-sm-12">\n    <h3>{escape(slide.title)}</h3>\n'
            f"    <br/>\n    <div>\n{body}\n\t</div>\n  </div>\n</slide>\n")


def guide(slides: tuple[Slide, ...] = SLIDES) -> str:
    """The guide as HTML text (deterministic)."""
    body = "\n\n".join(_slide(s) for s in slides)
    return (
        '<style type="text/css" media="screen">\n'
        ".deck h3, .deck h4 {display: block !important;margin-bottom:8px;margin-top:5px;}\n"
        ".listingblock {margin:8px;}\n"
        "</style>\n"
        '<article class="guide" ng-controller="AdLibDataController">\n'
        '  <carousel class="deck container-fluid">\n'
        f"   <h4>{escape(TITLE)}</h4>\n\n"
        f"{body}"
        "  </carousel>\n"
        "</article>\n"
    )
