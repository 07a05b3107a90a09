"""``docs/graph-model.md``, generated from the schema (``tracegraph schema docs``)."""

from __future__ import annotations

from graph.schema import SCHEMA, Property, Schema


def _prop_row(prop: Property, key: str | None = None) -> str:
    flags = []
    if prop.name == key:
        flags.append("key")
    if prop.indexed:
        flags.append("indexed")
    if prop.computed:
        flags.append("computed")
    doc = prop.doc.replace("|", "\\|")
    return f"| `{prop.name}` | {prop.type} | {', '.join(flags)} | {doc} |"


def graph_model_markdown(schema: Schema = SCHEMA) -> str:
    lines = [
        "# Graph model",
        "",
        "Generated from `graph/schema.py` by `tracegraph schema docs`; do not edit by hand (a test compares them).",
        "",
        "*computed* marks values written back by the analytics (derived estimates); everything else is loaded",
        "from source records (verified facts, as recorded).",
        "",
        "## Nodes",
        "",
        "| label | key | description |",
        "|---|---|---|",
    ]
    lines += [f"| `{n.name}` | `{n.key}` | {n.doc} |" for n in schema.nodes]
    lines += ["", "## Relationships", "", "| type | from → to | identity | description |", "|---|---|---|---|"]
    for rel in schema.relationships:
        ends = "<br>".join(f"`{a}` → `{b}`" for a, b in rel.endpoints)
        ident = "endpoints + " + ", ".join(f"`{k}`" for k in rel.key) if rel.key else "endpoints"
        lines.append(f"| `{rel.name}` | {ends} | {ident} | {rel.doc} |")
    for node in schema.nodes:
        lines += ["", f"### {node.name}", "", node.doc, "", "| property | type | flags | meaning |",
                  "|---|---|---|---|"]
        lines += [_prop_row(p, node.key) for p in node.properties]
    for rel in schema.relationships:
        if not rel.properties:
            continue
        lines += ["", f"### [:{rel.name}]", "", rel.doc, "", "| property | type | flags | meaning |",
                  "|---|---|---|---|"]
        lines += [_prop_row(p) for p in rel.properties]
    return "\n".join(lines) + "\n"
