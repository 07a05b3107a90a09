// The pages: search, person, dealer, firearm, review queue, corridor map. Each renders into `main` from the API;
// what a caller may not see never arrives (the service layer's release policy), so nothing is hidden here.

import * as api from "./api";
import { LinkChart } from "./chart";
import { append, clear, fmt, h, s } from "./dom";
import { nodeType } from "./style";

export type Open = (label: string, key: string) => void;
type Row = Record<string, unknown>;

export function entityHash(label: string, key: string): string {
  return `#/${label.toLowerCase()}/${encodeURIComponent(key)}`;
}

function errorLine(error: unknown): HTMLElement {
  const text = error instanceof api.ApiError ? `${error.title}: ${error.detail}` : String(error);
  return h("p", { class: "error", role: "alert" }, text);
}

function facts(rows: [string, unknown][]): HTMLElement {
  const dl = h("dl", { class: "facts" });
  for (const [name, value] of rows) append(dl, h("dt", {}, name), h("dd", {}, fmt(value, 2)));
  return dl;
}

function indicators(raw: unknown): Row[] {
  if (Array.isArray(raw)) return raw as Row[];
  if (typeof raw !== "string" || !raw) return [];
  try {
    const parsed = JSON.parse(raw);
    return Array.isArray(parsed) ? parsed as Row[] : [];
  } catch {
    return [];
  }
}

function chips(list: Row[]): HTMLElement {
  const ul = h("ul", { class: "chips", "aria-label": "indicators that fired" });
  for (const item of list) {
    const name = String(item.indicator ?? item.name ?? "?");
    const points = item.points !== undefined ? ` +${fmt(item.points)}` : "";
    append(ul, h("li", { class: "chip", title: `value ${fmt(item.value, 2)}` }, `${name.replace(/_/g, " ")}${points}`));
  }
  return ul;
}

export function personName(p: Row): string {
  const name = [p.last_name, p.first_name].filter(Boolean).join(", ");
  return name || String(p.person_key ?? "");
}

// ---------- search ----------

export function searchView(main: HTMLElement, open: Open, initial = ""): void {
  const input = h("input", { type: "search", name: "q", value: initial, "aria-label": "search", autofocus: true,
    placeholder: "name (LAST, FIRST), serial, license number, trace id, place" });
  const results = h("ol", { class: "results", "aria-label": "search results" });
  const status = h("p", { role: "status", "aria-live": "polite" });
  const run = async () => {
    const q = input.value.trim();
    if (!q) return;
    history.replaceState(null, "", `#/search?q=${encodeURIComponent(q)}`);
    status.textContent = "Searching…";
    clear(results);
    try {
      const hits = await api.search(q, 20);
      status.textContent = hits.length ? `${hits.length} results` : "Nothing found (a partner key cannot search by name).";
      for (const hit of hits) {
        const t = nodeType(hit.label);
        append(results, h("li", {}, h("a", { href: entityHash(hit.label, hit.key), class: "hit" },
          h("span", { class: "glyph", "aria-hidden": "true", "data-label": hit.label }, t.glyph), ` ${hit.label}: `,
          h("strong", {}, hit.caption || hit.key), hit.detail ? ` — ${hit.detail}` : "",
          typeof hit.score === "number" ? ` (score ${fmt(hit.score)})` : "")));
      }
    } catch (error) {
      status.textContent = "";
      results.append(h("li", {}, errorLine(error)));
    }
  };
  const form = h("form", { class: "search", role: "search" }, input, h("button", { type: "submit" }, "Search"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void run();
  });
  append(main, h("h1", {}, "Search"), form, status, results);
  input.focus();
  if (initial) void run();
}

// ---------- entity pages ----------

export async function personView(main: HTMLElement, key: string, open: Open): Promise<LinkChart | null> {
  append(main, h("h1", {}, "Person"));
  let p: Row;
  try {
    // the link chart's first node: the person as released (a masked person by the caller's pseudonym)
    const graph = await api.neighbourhood("Person", key, { limit: 1 });
    p = { person_key: graph.nodes[0].key, ...(graph.nodes[0].props ?? {}) };
    if (!("last_name" in p) && !graph.nodes[0].masked) { // an older server: no props in the chart
      p = (await api.call<{ person: Row }>("GET", `/persons/${encodeURIComponent(key)}?depth=1&limit=1`)).person;
    }
  } catch (error) {
    main.append(errorLine(error));
    return null;
  }
  main.querySelector("h1")!.textContent = `Person: ${personName(p)}`;
  append(main, facts([["Name", personName(p)], ["Date of birth", p.dob], ["Address", [p.street, p.city, p.state, p.zip]
    .filter(Boolean).join(", ")], ["Straw score", p.straw_score], ["Queue rank", p.straw_rank], ["Records merged", p.record_count]]),
  p.network_id ? h("p", {}, "Network: ", h("a", { href: entityHash("Network", String(p.network_id)) }, String(p.network_id)))
    : null, chips(indicators(p.straw_indicators)));
  return chartSection(main, "Person", String(p.person_key ?? key), open);
}

function chartSection(main: HTMLElement, label: string, key: string, open: Open): LinkChart {
  const chart = new LinkChart(open);
  append(main, h("h2", {}, "Link chart"), chart.root);
  void chart.show(label, key).catch((error) => chart.say(`Link chart unavailable: ${(error as Error).message}`));
  (window as unknown as { tgChart: LinkChart }).tgChart = chart;
  return chart;
}

const ANOMALY_TEXT: Record<string, (i: Row) => string> = {
  traces_above_expected: (i) => `${fmt(i.value)} traces where about ${fmt(i.expected)} were expected for a dealer of its size and place` +
    (i.relative_risk_lower_5pct !== undefined ? ` (relative risk at least ${fmt(i.relative_risk_lower_5pct, 2)})` : ""),
  out_of_state_recent_share: (i) => `${Math.round(Number(i.value) * 100)}% of recent traces recovered out of state; peers ${Math.round(Number(i.peer_rate) * 100)}%`,
  short_ttc_share: (i) => `${Math.round(Number(i.value) * 100)}% of traced guns recovered within a short time to crime`,
};

export async function dealerView(main: HTMLElement, key: string, open: Open): Promise<LinkChart | null> {
  append(main, h("h1", {}, "Dealer"));
  let out: { dealer: Row; inspections: { inspection: Row; violations: Row[] }[]; transparency?: { verified: Row;
    estimated: Row | null } | null };
  try {
    out = await api.call("GET", `/dealers/${encodeURIComponent(key)}`);
  } catch (error) {
    main.append(errorLine(error));
    return null;
  }
  const d = out.dealer;
  main.querySelector("h1")!.textContent = `Dealer: ${fmt(d.business_name ?? d.license_name)}`;
  const v = out.transparency?.verified ?? {};
  append(main, h("h2", {}, "Profile"), facts([["License", d.license_number], ["Licence name", d.license_name],
    ["Type", d.license_type_name], ["Premises", [d.premise_street, d.premise_city, d.premise_state, d.premise_zip]
      .filter(Boolean).join(", ")], ["On the latest ATF list", v.on_latest_list], ["Licence expired", v.license_expired],
    ["First seen", d.first_seen_date], ["Last verified", d.last_verified_date], ["Traces", d.trace_count],
    ["Expected traces", d.expected_traces], ["Anomaly score", d.anomaly_score]]));
  const explanation = h("ul", { class: "anomaly" });
  for (const item of indicators(d.anomaly_indicators ?? d.indicators)) {
    const name = String(item.indicator ?? "");
    const text = ANOMALY_TEXT[name]?.(item) ?? `${name.replace(/_/g, " ")}: ${fmt(item.value, 2)}`;
    append(explanation, h("li", {}, text));
  }
  append(main, h("h2", {}, "Why it is flagged"), explanation.childElementCount ? explanation
    : h("p", {}, "No anomaly indicator fired (or the analysis has not run)."));
  const inspections = h("ul", { class: "inspections" });
  for (const item of out.inspections) {
    const i = item.inspection;
    append(inspections, h("li", {}, `${fmt(i.inspection_date)}: ${fmt(i.outcome)} — ${item.violations.length} violation(s)`,
      i.policy_context ? ` (${i.policy_context})` : ""));
  }
  append(main, h("h2", {}, "Inspections"), inspections.childElementCount ? inspections : h("p", {}, "None on record."));
  const overTime = h("div", { class: "traces-over-time" });
  append(main, h("h2", {}, "Traces over time"), overTime);
  const chart = chartSection(main, "Dealer", key, open);
  const byYear = (out as { traces_by_year?: { year: number; traces: number }[] }).traces_by_year;
  if (byYear) {
    overTime.append(yearBars(new Map(byYear.map((row) => [row.year, row.traces])), "recoveries of its guns per year"));
  } else { // an older server: the dated sales in the dealer's neighbourhood
    try {
      const graph = await api.neighbourhood("Dealer", key, { depth: 1, limit: 1000 });
      const counts = new Map<number, number>();
      for (const edge of graph.edges) {
        if (edge.type === "SOLD" && edge.date) counts.set(Number(edge.date.slice(0, 4)), (counts.get(Number(edge.date.slice(0, 4))) ?? 0) + 1);
      }
      overTime.append(yearBars(counts, "traced sales per year"));
    } catch (error) {
      overTime.append(errorLine(error));
    }
  }
  return chart;
}

/** A bar per year (an SVG drawn here: no chart library needed). */
export function yearBars(counts: Map<number, number>, what: string): Element {
  if (counts.size === 0) return h("p", {}, "Nothing dated on record.");
  const years = [...counts.keys()].sort();
  const first = years[0];
  const last = years[years.length - 1];
  const max = Math.max(...counts.values());
  const width = 40 + (last - first + 1) * 34;
  const chart = s("svg", { viewBox: `0 0 ${width} 150`, width, height: 150, role: "img", class: "bars",
    "aria-label": `${what}, ${first} to ${last}` });
  for (let year = first; year <= last; year += 1) {
    const n = counts.get(year) ?? 0;
    const x = 30 + (year - first) * 34;
    const height = (n / max) * 100;
    const bar = s("rect", { x, y: 120 - height, width: 26, height, class: "bar" });
    bar.append(s("title", {}, `${year}: ${n}`));
    chart.append(bar, s("text", { x: x + 13, y: 134, "text-anchor": "middle", class: "tick" }, String(year)),
      s("text", { x: x + 13, y: 116 - height, "text-anchor": "middle", class: "count" }, String(n)));
  }
  return chart;
}

interface FirearmOut {
  firearm: Row;
  sales: Row[];
  purchases: { purchaser: Row; purchase_date: string | null; dealer_key: string | null; multiple_sale: boolean | null }[];
  recoveries: { trace_id: string; recovery_date: string | null; recovery_city: string | null; recovery_state: string | null;
    time_to_crime_days: number | null; possessors: Row[]; reported_stolen: boolean | null }[];
  nibin_links: { lead_id: string; linked_trace_id: string; lead_date: string | null }[];
  withheld?: string[];
}

export async function firearmView(main: HTMLElement, key: string, open: Open): Promise<LinkChart | null> {
  append(main, h("h1", {}, "Firearm"));
  let out: FirearmOut;
  try {
    out = await api.call("GET", `/firearms/${encodeURIComponent(key)}`);
  } catch (error) {
    main.append(errorLine(error));
    return null;
  }
  const f = out.firearm;
  main.querySelector("h1")!.textContent = `Firearm: ${fmt(f.manufacturer)} ${fmt(f.model)} ${fmt(f.serial_number)}`;
  append(main, facts([["Serial", f.serial_number], ["Make / model", `${fmt(f.manufacturer)} ${fmt(f.model)}`],
    ["Calibre", f.caliber], ["Type", f.weapon_type]]));
  const events: { date: string | null; kind: string; text: string; href?: string }[] = [];
  for (const sale of out.sales) events.push({ date: sale.sale_date as string | null, kind: "sale",
    text: `Sold by ${fmt(sale.business_name)} (${fmt(sale.premise_city)}, ${fmt(sale.premise_state)})`,
    href: entityHash("Dealer", String(sale.dealer_key)) });
  for (const p of out.purchases) events.push({ date: p.purchase_date, kind: "purchase",
    text: `Bought by ${personName(p.purchaser)}${p.multiple_sale ? " (multiple sale)" : ""}`,
    href: entityHash("Person", String(p.purchaser.person_key)) });
  for (const r of out.recoveries) events.push({ date: r.recovery_date, kind: "recovery",
    text: `Recovered in ${fmt(r.recovery_city)}, ${fmt(r.recovery_state)} (trace ${r.trace_id}; ${fmt(r.time_to_crime_days)} days to crime)` +
      (r.possessors.length ? `; possessor ${r.possessors.map(personName).join(", ")}` : "") + (r.reported_stolen ? "; reported stolen" : "") });
  for (const n of out.nibin_links) events.push({ date: n.lead_date, kind: "nibin", text: `NIBIN lead ${n.lead_id}: linked to trace ${n.linked_trace_id}` });
  events.sort((a, b) => (a.date ?? "9999").localeCompare(b.date ?? "9999"));
  append(main, h("h2", {}, "Chain"), timeline(events));
  const list = h("ol", { class: "chain" });
  for (const e of events) {
    const text = e.href ? h("a", { href: e.href }, e.text) : e.text;
    append(list, h("li", { class: `event ${e.kind}` }, h("time", {}, fmt(e.date)), " ", text));
  }
  append(main, list);
  if (out.withheld?.length) append(main, h("p", { class: "withheld" }, `Withheld at your clearance: ${out.withheld.join(", ")}.`));
  return chartSection(main, "Firearm", key, open);
}

const LANES = [["sale", "sold"], ["purchase", "bought"], ["recovery", "recovered"], ["nibin", "NIBIN"]] as const;

/** The chain on a time axis, one lane per kind of event (so events days apart do not overprint). */
function timeline(events: { date: string | null; kind: string; text: string }[]): Element {
  const dated = events.filter((e) => e.date);
  if (dated.length === 0) return h("p", {}, "No dated event.");
  const times = dated.map((e) => Date.parse(e.date as string));
  const lo = Math.min(...times);
  const hi = Math.max(...times);
  const width = 900;
  const left = 90;
  const x = (t: number) => left + (hi === lo ? (width - left - 40) / 2 : ((t - lo) / (hi - lo)) * (width - left - 40));
  const lanes = LANES.filter(([kind]) => dated.some((e) => e.kind === kind));
  const height = 30 + lanes.length * 44;
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, class: "timeline", role: "img",
    "aria-label": `firearm chain from ${dated[0].date} to ${dated[dated.length - 1].date}` });
  const shapes: Record<string, (cx: number, cy: number) => SVGElement> = {
    sale: (cx, cy) => s("rect", { x: cx - 7, y: cy - 7, width: 14, height: 14, class: "sale" }),
    purchase: (cx, cy) => s("circle", { cx, cy, r: 8, class: "purchase" }),
    recovery: (cx, cy) => s("polygon", { points: `${cx},${cy - 10} ${cx + 9},${cy} ${cx},${cy + 10} ${cx - 9},${cy}`,
      class: "recovery" }),
    nibin: (cx, cy) => s("polygon", { points: `${cx},${cy - 10} ${cx + 9},${cy + 8} ${cx - 9},${cy + 8}`, class: "nibin" }),
  };
  lanes.forEach(([kind, name], lane) => {
    const cy = 22 + lane * 44;
    svg.append(s("text", { x: 8, y: cy + 4, class: "lane" }, name),
      s("line", { x1: left - 10, x2: width - 30, y1: cy, y2: cy, class: "axis" }));
    let lastLabel = -Infinity;
    for (const e of dated.filter((d) => d.kind === kind)) {
      const cx = x(Date.parse(e.date as string));
      const mark = shapes[kind](cx, cy);
      mark.append(s("title", {}, `${e.date}: ${e.text}`));
      svg.append(mark);
      if (cx - lastLabel > 70) { // a date under the mark unless the previous one in the lane is too close
        svg.append(s("text", { x: cx, y: cy + 24, "text-anchor": "middle", class: "tick" }, String(e.date)));
        lastLabel = cx;
      }
    }
  });
  return svg;
}

export async function genericView(main: HTMLElement, label: string, key: string, open: Open): Promise<LinkChart> {
  append(main, h("h1", {}, `${label}: ${key}`));
  return chartSection(main, label, key, open);
}

// ---------- review queue ----------

interface Review { decision: string; reason: string; by?: string; at?: string; analyst?: string; decided_at?: string }

export async function queueView(main: HTMLElement): Promise<void> {
  append(main, h("h1", {}, "Straw-purchaser review queue"),
    h("p", {}, "Highest score first. Mark each person reviewed, escalated or dismissed, with a reason: the decision is " +
      "stored in the graph, audited, and shown to the next analyst."));
  const table = h("table", { class: "queue" }, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Rank"),
    h("th", { scope: "col" }, "Person"), h("th", { scope: "col" }, "State"), h("th", { scope: "col" }, "Score"),
    h("th", { scope: "col" }, "Indicators"), h("th", { scope: "col" }, "Last review"), h("th", { scope: "col" }, "Decision"))));
  const body = h("tbody");
  table.append(body);
  const more = h("button", { type: "button", class: "more", hidden: true }, "More");
  const status = h("p", { role: "status", "aria-live": "polite" });
  append(main, status, table, more);
  let cursor: string | null = null;
  const page = async () => {
    try {
      const out: { items: Row[]; total: number; next_cursor: string | null } =
        await api.call("GET", `/straw-queue?limit=25${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      status.textContent = `${out.total} persons in the queue.`;
      for (const item of out.items) body.append(queueRow(item));
      cursor = out.next_cursor;
      more.hidden = !cursor;
    } catch (error) {
      main.append(errorLine(error));
    }
  };
  more.addEventListener("click", () => void page());
  await page();
}

function reviewText(review: Review | null | undefined): string {
  if (!review) return "not reviewed";
  const who = review.by ?? review.analyst ?? "";
  const when = review.at ?? review.decided_at ?? "";
  return `${review.decision}${who ? ` by ${who}` : ""}${when ? ` ${when.slice(0, 16).replace("T", " ")}` : ""}: ${review.reason}`;
}

function queueRow(item: Row): HTMLElement {
  const key = String(item.person_key);
  const last = h("td", { class: "last-review" }, reviewText(item.last_review as Review | null));
  const reason = h("input", { type: "text", class: "reason", "aria-label": `reason for ${personName(item)}`,
    placeholder: "reason", maxlength: 500 });
  const decide = async (decision: string) => {
    if (!reason.value.trim()) {
      reason.setCustomValidity("a reason is required");
      reason.reportValidity();
      return;
    }
    reason.setCustomValidity("");
    try {
      const saved = await api.call<Review>("POST", `/straw-queue/${encodeURIComponent(key)}/reviews`,
        { decision, reason: reason.value.trim() });
      last.textContent = reviewText(saved ?? { decision, reason: reason.value.trim() });
      reason.value = "";
    } catch (error) {
      last.replaceChildren(errorLine(error));
    }
  };
  const buttons = (["reviewed", "escalated", "dismissed"] as const).map((decision) =>
    h("button", { type: "button", class: `decide ${decision}`, onclick: () => void decide(decision) }, decision));
  return h("tr", { "data-key": key },
    h("td", {}, fmt(item.straw_rank)),
    h("td", {}, h("a", { href: entityHash("Person", key) }, personName(item))),
    h("td", {}, fmt(item.state)), h("td", {}, fmt(item.straw_score)),
    h("td", {}, chips(indicators(item.straw_indicators))), last,
    h("td", { class: "decision" }, reason, ...buttons));
}

// ---------- corridor map ----------

export async function mapView(main: HTMLElement): Promise<void> {
  append(main, h("h1", {}, "Corridor map"));
  let years: number[] = [];
  try {
    const all: { items: Row[] } = await api.call("GET", "/corridors?top=1000");
    years = [...new Set(all.items.map((c) => Number(c.year)).filter((y) => Number.isFinite(y) && y > 0))].sort();
  } catch (error) {
    main.append(errorLine(error));
    return;
  }
  if (years.length === 0) {
    main.append(h("p", {}, "No corridor in the store yet: load traces and run `tracegraph analyze`."));
    return;
  }
  const slider = h("input", { type: "range", min: years[0], max: years[years.length - 1], step: 1,
    value: years[years.length - 1], "aria-label": "year", class: "year" });
  const label = h("output", { class: "year-label" }, String(slider.value));
  const figure = h("figure", { class: "map" });
  const table = h("table", { class: "corridors" });
  append(main, h("label", {}, "Year ", slider, " ", label), figure, h("h2", {}, "Top corridors that year"), table);
  let shown: string | null = null;
  const draw = async () => {
    const year = slider.value;
    label.textContent = year;
    try {
      const response = await api.raw("GET", `/corridors/map.svg?year=${year}`);
      if (!response.ok) throw new api.ApiError(response.status, response.statusText, "the map endpoint is not available");
      const url = URL.createObjectURL(await response.blob());
      if (shown) URL.revokeObjectURL(shown);
      shown = url;
      figure.replaceChildren(h("img", { src: url, alt: `corridor map for ${year}`, class: "map-image" }),
        h("figcaption", {}, `Corridors of ${year}: arrows from where guns were sold to where they were recovered.`));
    } catch (error) {
      figure.replaceChildren(errorLine(error));
    }
    try {
      const top: { items: Row[] } = await api.call("GET", `/corridors?year=${year}&top=10`);
      table.replaceChildren(h("thead", {}, h("tr", {}, ...["Rank", "From", "To", "Firearms", "Expected", "Trend"]
        .map((c) => h("th", { scope: "col" }, c)))), h("tbody", {}, ...top.items.map((c) => h("tr", {},
        h("td", {}, fmt(c.rank)), h("td", {}, fmt(c.src_name)), h("td", {}, fmt(c.dst_name)), h("td", {}, fmt(c.firearms)),
        h("td", {}, fmt(c.expected)), h("td", {}, fmt(c.trend))))));
    } catch (error) {
      table.replaceChildren(errorLine(error));
    }
  };
  slider.addEventListener("change", () => void draw());
  slider.addEventListener("input", () => { label.textContent = slider.value; });
  await draw();
}
