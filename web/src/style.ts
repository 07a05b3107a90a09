// Node and edge styles: the Okabe-Ito palette (readable with every common colour-vision deficiency) and a shape
// per type, so type never rests on colour alone; a node's size and border grow with its score.

export const OKABE_ITO = {
  black: "#000000", orange: "#E69F00", sky: "#56B4E9", green: "#009E73", yellow: "#F0E442", blue: "#0072B2",
  vermillion: "#D55E00", purple: "#CC79A7", grey: "#999999",
};

export const NODE_TYPES: Record<string, { colour: string; shape: string; glyph: string }> = {
  Person: { colour: OKABE_ITO.orange, shape: "ellipse", glyph: "●" },
  Dealer: { colour: OKABE_ITO.blue, shape: "round-rectangle", glyph: "■" },
  Firearm: { colour: OKABE_ITO.green, shape: "triangle", glyph: "▲" },
  Trace: { colour: OKABE_ITO.vermillion, shape: "diamond", glyph: "◆" }, // a recovery, named by its trace id
  Recovery: { colour: OKABE_ITO.vermillion, shape: "diamond", glyph: "◆" },
  Place: { colour: OKABE_ITO.sky, shape: "hexagon", glyph: "⬢" },
  Location: { colour: OKABE_ITO.sky, shape: "hexagon", glyph: "⬢" },
  Network: { colour: OKABE_ITO.purple, shape: "octagon", glyph: "⊕" },
  Inspection: { colour: OKABE_ITO.yellow, shape: "tag", glyph: "⬟" },
  Violation: { colour: OKABE_ITO.yellow, shape: "star", glyph: "★" },
};
const OTHER = { colour: OKABE_ITO.grey, shape: "barrel", glyph: "◼" };

export function nodeType(label: string): { colour: string; shape: string; glyph: string } {
  return NODE_TYPES[label] ?? OTHER;
}

export const EDGE_TYPES: Record<string, { colour: string; line: "solid" | "dashed" | "dotted" }> = {
  SOLD: { colour: OKABE_ITO.blue, line: "solid" },
  PURCHASED: { colour: OKABE_ITO.orange, line: "solid" },
  RECOVERED_IN: { colour: OKABE_ITO.vermillion, line: "dashed" },
  POSSESSED_BY: { colour: OKABE_ITO.vermillion, line: "dotted" },
  MEMBER_OF: { colour: OKABE_ITO.purple, line: "dotted" },
  AT: { colour: OKABE_ITO.sky, line: "dashed" },
  LIVES_AT: { colour: OKABE_ITO.sky, line: "dashed" },
  NIBIN_LINK: { colour: OKABE_ITO.green, line: "dashed" },
  INSPECTED: { colour: "#B8A900", line: "dotted" },
  CITED: { colour: "#B8A900", line: "dotted" },
};

/** Size in pixels from a score (straw score or dealer anomaly; both open-ended, most under 20). */
export function sizeFor(score: number | null | undefined): number {
  if (score === null || score === undefined || !Number.isFinite(score) || score <= 0) return 24;
  return 24 + Math.min(score, 20) * 1.6;
}

export function stylesheet(): unknown[] {
  const rules: unknown[] = [
    { selector: "node", style: {
      "label": "data(caption)", "font-size": 9, "text-valign": "bottom", "text-margin-y": 3, "color": "#222",
      "text-wrap": "ellipsis", "text-max-width": "110px", "width": "data(size)", "height": "data(size)",
      "border-width": 1, "border-color": "#333", "background-color": OTHER.colour, "shape": OTHER.shape,
      "min-zoomed-font-size": 7 } },
    { selector: "node.high", style: { "border-width": 4, "border-color": OKABE_ITO.black } },
    { selector: "node.masked", style: { "border-style": "dashed", "font-style": "italic" } },
    { selector: "node.expanded", style: { "background-opacity": 1 } },
    { selector: "node.unexpanded", style: { "background-opacity": 0.65 } },
    { selector: "node.current", style: { "border-width": 3, "border-color": OKABE_ITO.blue } },
    { selector: "node.picked", style: { "overlay-color": OKABE_ITO.blue, "overlay-opacity": 0.25,
      "overlay-padding": 6, "border-width": 3, "border-color": OKABE_ITO.blue } },
    { selector: "node.pinned", style: { "outline-width": 2, "outline-color": OKABE_ITO.black, "outline-offset": 2 } },
    { selector: ":parent", style: { "background-color": "#f3f3f3", "background-opacity": 1, "border-color": "#777",
      "border-style": "dashed", "label": "data(caption)", "text-valign": "top", "shape": "round-rectangle" } },
    { selector: "edge", style: { "width": 1.5, "line-color": OKABE_ITO.grey, "target-arrow-color": OKABE_ITO.grey,
      "target-arrow-shape": "triangle", "arrow-scale": 0.8, "curve-style": "straight", "font-size": 7,
      "min-zoomed-font-size": 7,
      "text-rotation": "autorotate", "color": "#444", "text-background-color": "#fff",
      "text-background-opacity": 0.8, "text-background-padding": "1px" } },
    { selector: "edge.labelled", style: { "label": "data(caption)" } },
    { selector: ".faded", style: { "opacity": 0.15 } },
    { selector: ".onpath", style: { "opacity": 1 } },
    { selector: "edge.onpath", style: { "width": 4, "z-index": 10 } },
    { selector: ".hidden, .outwin", style: { "display": "none" } },
  ];
  for (const [label, t] of Object.entries(NODE_TYPES)) {
    rules.splice(1, 0, { selector: `node[label = "${label}"]`, style: { "background-color": t.colour, "shape": t.shape } });
  }
  for (const [type, e] of Object.entries(EDGE_TYPES)) {
    rules.push({ selector: `edge[type = "${type}"]`, style: { "line-color": e.colour, "target-arrow-color": e.colour,
      "line-style": e.line } });
  }
  rules.push({ selector: "edge.onpath", style: { "width": 4 } });
  return rules;
}
