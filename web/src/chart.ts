// The link chart: a force-directed (fCoSE) Cytoscape.js graph. Click a node to expand its neighbours; shift-click
// picks nodes (two picked: "Path"); pin, hide, group; a time window over dated relationships; SVG/PNG export.
// Every node is also a button in the list beside the chart, so the chart works from the keyboard.

import cytoscape from "cytoscape";
import fcose from "cytoscape-fcose";
import svg from "cytoscape-svg";

import * as api from "./api";
import { download, h } from "./dom";
import { nodeType, sizeFor, stylesheet } from "./style";

cytoscape.use(fcose);
cytoscape.use(svg);

const HIGH_SCORE = 5; // the straw and anomaly rules call 5 and over "worth a look"
const EDGE_LABELS_UP_TO = 150; // edge labels cost draw time: shown on small charts only

export interface ExpandTiming { ms: number; fetchMs: number; added: number }

export class LinkChart {
  readonly cy: cytoscape.Core;
  readonly root: HTMLElement;
  private readonly list: HTMLElement;
  private readonly status: HTMLElement;
  private readonly since: HTMLInputElement;
  private readonly until: HTMLInputElement;
  private readonly pathButton: HTMLButtonElement;
  private groups = 0;
  lastExpand: ExpandTiming | null = null;

  constructor(private readonly open: (label: string, key: string) => void) {
    const canvas = h("div", { class: "chart-canvas", role: "img",
      "aria-label": "link chart; every node is also listed in the panel beside it" });
    this.status = h("p", { class: "chart-status", role: "status", "aria-live": "polite" });
    this.since = h("input", { type: "date", "aria-label": "from date", class: "since" });
    this.until = h("input", { type: "date", "aria-label": "to date", class: "until" });
    this.pathButton = h("button", { type: "button", class: "path", disabled: true, onclick: () => void this.findPath() },
      "Path between picked");
    const tools = h("div", { class: "chart-tools", role: "toolbar", "aria-label": "chart tools" },
      h("label", {}, "From ", this.since), h("label", {}, "to ", this.until),
      h("button", { type: "button", class: "window", onclick: () => this.applyWindow() }, "Apply window"),
      this.pathButton,
      h("button", { type: "button", class: "pin", onclick: () => this.pin() }, "Pin / unpin"),
      h("button", { type: "button", class: "hide", onclick: () => this.hide() }, "Hide"),
      h("button", { type: "button", class: "unhide", onclick: () => this.unhide() }, "Show hidden"),
      h("button", { type: "button", class: "group", onclick: () => this.group() }, "Group"),
      h("button", { type: "button", class: "ungroup", onclick: () => this.ungroup() }, "Ungroup"),
      h("button", { type: "button", class: "relayout", onclick: () => this.layout() }, "Re-layout"),
      h("button", { type: "button", class: "export-svg", onclick: () => this.exportSvg() }, "Export SVG"),
      h("button", { type: "button", class: "export-png", onclick: () => void this.exportPng() }, "Export PNG"));
    this.list = h("ul", { class: "node-list", "aria-label": "nodes in the chart" });
    this.root = h("section", { class: "chart" }, tools, this.status,
      h("div", { class: "chart-body" }, canvas, h("div", { class: "chart-side" },
        h("p", { class: "hint" }, "Click or Enter: expand. Shift-click or Space: pick. Esc: clear picks."),
        this.list)));
    this.cy = cytoscape({ container: canvas, style: stylesheet() as cytoscape.StylesheetJson,
      autounselectify: true, boxSelectionEnabled: false, layout: { name: "preset" }, minZoom: 0.05, maxZoom: 4,
      textureOnViewport: true, hideEdgesOnViewport: true }); // pan/zoom a 1,000-node chart without redrawing it
    this.cy.on("tap", "node", (event) => {
      const node = event.target as cytoscape.NodeSingular;
      if (node.isParent()) return;
      const shift = (event.originalEvent as MouseEvent | undefined)?.shiftKey;
      if (shift) this.togglePick(node);
      else void this.expand(node);
    });
    this.cy.on("dbltap", "node", (event) => {
      const node = event.target as cytoscape.NodeSingular;
      if (!node.isParent()) this.open(node.data("label"), node.data("key"));
    });
    this.listen();
    this.root.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        this.cy.nodes(".picked").removeClass("picked");
        this.cy.elements().removeClass("faded onpath");
        this.refreshList();
      }
    });
  }

  say(text: string): void {
    this.status.textContent = text;
  }

  window(): { since?: string; until?: string } {
    return { since: this.since.value || undefined, until: this.until.value || undefined };
  }

  /** Replace the chart with the neighbourhood of one entity. */
  async show(label: string, key: string): Promise<void> {
    this.cy.resize(); // the container is in the page by now
    this.cy.elements().remove();
    this.say("Loading…");
    const graph = await api.neighbourhood(label, key, { depth: 1, ...this.window() });
    this.add(graph);
    const asked = graph.nodes.length ? graph.nodes[0].id : api.ref(label, key); // the first node is the one asked for
    this.cy.getElementById(asked).addClass("expanded current").removeClass("unexpanded");
    this.layout();
    this.refreshList();
    this.say(this.summary(graph.truncated));
  }

  /** Load a whole graph (a path, or the benchmark's large chart). */
  load(graph: api.Graph): void {
    this.cy.resize();
    this.cy.elements().remove();
    this.add(graph);
    this.layout();
    this.refreshList();
    this.say(this.summary(graph.truncated));
  }

  summary(truncated: boolean): string {
    const nodes = this.cy.nodes().not(":parent").length;
    return `${nodes} nodes, ${this.cy.edges().length} relationships${truncated ? " (limit reached: not all shown)" : ""}.`;
  }

  add(graph: api.Graph, around?: cytoscape.NodeSingular): cytoscape.CollectionReturnValue {
    let added = this.cy.collection();
    this.cy.batch(() => { // one style pass and one redraw for the whole merge
      const nodes: cytoscape.ElementDefinition[] = [];
      for (const node of graph.nodes) {
        if (this.cy.getElementById(node.id).nonempty()) continue;
        const score = typeof node.score === "number" ? node.score : null;
        const classes = ["unexpanded"];
        if (score !== null && score >= HIGH_SCORE) classes.push("high");
        if (node.masked) classes.push("masked");
        nodes.push({ group: "nodes", data: { id: node.id, label: node.label, key: node.key,
          caption: node.caption || node.key, score, size: sizeFor(score), masked: node.masked }, classes: classes.join(" ") });
      }
      added = this.cy.add(nodes);
      const edges: cytoscape.ElementDefinition[] = [];
      for (const edge of graph.edges) {
        if (this.cy.getElementById(edge.id).nonempty() || this.cy.getElementById(edge.source).empty()
            || this.cy.getElementById(edge.target).empty()) continue;
        edges.push({ group: "edges", data: { id: edge.id, source: edge.source, target: edge.target, type: edge.type,
          date: edge.date, caption: edge.date ? `${edge.type} ${edge.date}` : edge.type } });
      }
      added = added.union(this.cy.add(edges));
      if (around) {
        // new nodes on an arc beyond the expanded one, facing away from the rest of the chart: no global layout,
        // so an expansion stays quick, and the new nodes do not land on the old ones
        const centre = around.position();
        const fresh = added.nodes();
        const others = this.cy.nodes().not(fresh).not(around);
        let away = 0;
        let spread = 2 * Math.PI;
        if (others.nonempty()) {
          const box = others.boundingBox();
          const dx = centre.x - (box.x1 + box.x2) / 2;
          const dy = centre.y - (box.y1 + box.y2) / 2;
          if (Math.hypot(dx, dy) > 1) {
            away = Math.atan2(dy, dx);
            spread = Math.min(2 * Math.PI, Math.PI * 0.6 + fresh.length * 0.15);
          }
        }
        const radius = 90 + 26 * Math.sqrt(fresh.length);
        fresh.forEach((node, i) => {
          const angle = spread >= 2 * Math.PI ? (2 * Math.PI * i) / fresh.length
            : away - spread / 2 + (spread * (i + 0.5)) / fresh.length;
          node.position({ x: centre.x + radius * Math.cos(angle), y: centre.y + radius * Math.sin(angle) });
        });
      }
      const labelled = this.cy.nodes().length <= EDGE_LABELS_UP_TO;
      (labelled ? this.cy.edges() : this.cy.edges(".labelled")).toggleClass("labelled", labelled);
      const { since, until } = this.window();
      if (since || until) this.applyWindow(false);
    });
    return added;
  }

  layout(): void {
    const pinned = this.cy.nodes(".pinned");
    const options: Record<string, unknown> = { name: "fcose", animate: false, randomize: true,
      quality: this.cy.nodes().length > 400 ? "draft" : "default", nodeRepulsion: 6000, idealEdgeLength: 70 };
    if (pinned.nonempty()) {
      options.fixedNodeConstraint = pinned.map((node) => ({ nodeId: node.id(), position: { ...node.position() } }));
    }
    if (this.cy.nodes().length > 0) this.cy.layout(options as unknown as cytoscape.LayoutOptions).run();
    this.cy.fit(undefined, 30);
    if (this.cy.zoom() > 1.5) { // a handful of nodes: not blown up to the whole canvas
      this.cy.zoom(1.5);
      this.cy.center();
    }
  }

  async expand(node: cytoscape.NodeSingular): Promise<void> {
    const started = performance.now();
    this.cy.nodes(".current").removeClass("current");
    node.addClass("current");
    try {
      const graph = await api.neighbourhood(node.data("label"), node.data("key"), { depth: 1, ...this.window() });
      const fetched = performance.now();
      const added = this.add(graph, node);
      node.addClass("expanded").removeClass("unexpanded");
      this.cy.$(".faded, .onpath").removeClass("faded onpath");
      this.refreshList();
      await new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
      this.lastExpand = { ms: performance.now() - started, fetchMs: fetched - started, added: added.nodes().length };
      this.say(`Expanded ${node.data("caption")}: ${added.nodes().length} new nodes. ${this.summary(graph.truncated)}`);
      this.root.dispatchEvent(new CustomEvent("tg-expanded", { detail: this.lastExpand }));
    } catch (error) {
      this.say(`Could not expand: ${(error as Error).message}`);
    }
  }

  togglePick(node: cytoscape.NodeSingular): void {
    node.toggleClass("picked");
    this.refreshList();
  }

  picked(): cytoscape.NodeCollection {
    return this.cy.nodes(".picked");
  }

  async findPath(): Promise<void> {
    const picked = this.picked();
    if (picked.length !== 2) return;
    const [a, b] = [picked[0], picked[1]];
    this.say("Looking for a path…");
    try {
      const graph = await api.paths(a.id(), b.id());
      if (graph.nodes.length === 0) {
        this.say(`No path within 6 hops between ${a.data("caption")} and ${b.data("caption")}.`);
        return;
      }
      this.add(graph, a);
      this.refreshList();
      const on = this.cy.collection();
      for (const node of graph.nodes) on.merge(this.cy.getElementById(node.id));
      for (const edge of graph.edges) on.merge(this.cy.getElementById(edge.id));
      this.cy.elements().addClass("faded").removeClass("onpath");
      on.removeClass("faded").addClass("onpath");
      this.say(`Path of ${graph.edges.length} hops between ${a.data("caption")} and ${b.data("caption")}.`);
    } catch (error) {
      this.say(`No path: ${(error as Error).message}`);
    }
  }

  pin(): void {
    this.picked().forEach((node) => {
      if (node.hasClass("pinned")) node.removeClass("pinned").unlock();
      else node.addClass("pinned").lock();
    });
    this.refreshList();
  }

  hide(): void {
    this.picked().addClass("hidden").removeClass("picked");
    this.refreshList();
  }

  unhide(): void {
    this.cy.nodes(".hidden").removeClass("hidden");
    this.refreshList();
  }

  group(): void {
    const picked = this.picked();
    if (picked.length < 2) {
      this.say("Pick two or more nodes to group (shift-click).");
      return;
    }
    this.groups += 1;
    const id = `group:${this.groups}`;
    this.cy.add({ group: "nodes", data: { id, label: "Group", key: id, caption: `Group ${this.groups}`, size: 30 } });
    picked.move({ parent: id });
    this.cy.nodes(".picked").removeClass("picked");
    this.refreshList();
  }

  ungroup(): void {
    const targets = this.picked().parents().union(this.picked().filter(":parent"));
    const groups = targets.nonempty() ? targets : this.cy.nodes(":parent");
    groups.children().move({ parent: null });
    groups.remove();
    this.refreshList();
  }

  applyWindow(report = true): void {
    const { since, until } = this.window();
    this.cy.edges().forEach((edge) => {
      const date = edge.data("date") as string | null;
      const out = Boolean(date && ((since && date < since) || (until && date > until)));
      edge.toggleClass("outwin", out);
    });
    if (report) {
      const hidden = this.cy.edges(".outwin").length;
      this.say(`${hidden} relationships outside the window hidden; expansions now use it too.`);
    }
  }

  exportSvg(): void {
    const text = (this.cy as unknown as { svg(o: object): string }).svg({ full: true, bg: "#ffffff" });
    download("link-chart.svg", new Blob([text], { type: "image/svg+xml" }));
  }

  async exportPng(): Promise<void> {
    const blob = await this.cy.png({ output: "blob-promise", full: true, bg: "#ffffff", scale: 2 });
    download("link-chart.png", blob);
  }

  refreshList(): void {
    const nodes = this.cy.nodes().not(":parent").not(".hidden");
    const shown = nodes.length > 300 ? nodes.slice(0, 300) : nodes;
    const items: HTMLElement[] = [];
    shown.forEach((node) => {
      const t = nodeType(node.data("label"));
      const score = node.data("score");
      items.push(h("li", {}, h("button", { type: "button", class: `node-item${node.hasClass("picked") ? " picked" : ""}`,
        "data-id": node.id(), "aria-pressed": node.hasClass("picked") ? "true" : "false",
        title: "Enter: expand; Space: pick; o: open the entity page" },
      h("span", { class: "glyph", "aria-hidden": "true", "data-label": node.data("label") }, t.glyph),
      ` ${node.data("label")}: ${node.data("caption")}`,
      score !== null && score !== undefined ? ` (score ${Number(score).toFixed(1)})` : "",
      node.hasClass("expanded") ? "" : " +")));
    });
    if (nodes.length > shown.length) items.push(h("li", { class: "more" }, `…and ${nodes.length - shown.length} more`));
    const focused = document.activeElement instanceof HTMLElement ? document.activeElement.dataset.id : undefined;
    this.list.replaceChildren(...items);
    if (focused) (this.list.querySelector(`[data-id="${CSS.escape(focused)}"]`) as HTMLElement | null)?.focus();
    this.pathButton.disabled = this.picked().length !== 2;
  }

  /** One set of listeners on the list (not one per item): the keyboard and the mouse on the node buttons. */
  private listen(): void {
    const nodeOf = (target: EventTarget | null) => {
      const id = target instanceof HTMLElement ? target.closest<HTMLElement>(".node-item")?.dataset.id : undefined;
      const node = id === undefined ? null : this.cy.getElementById(id);
      return node && node.nonempty() ? node : null;
    };
    this.list.addEventListener("keydown", (event) => {
      const node = nodeOf(event.target);
      if (!node) return;
      if (event.key === "Enter") {
        event.preventDefault();
        void this.expand(node);
      } else if (event.key === " ") {
        event.preventDefault();
        this.togglePick(node);
      } else if (event.key === "o") {
        this.open(node.data("label"), node.data("key"));
      }
    });
    this.list.addEventListener("click", (event) => {
      const node = nodeOf(event.target);
      if (!node || event.detail === 0) return; // detail 0: a keyboard "click", handled above
      if (event.shiftKey) this.togglePick(node);
      else void this.expand(node);
    });
    this.list.addEventListener("focusin", (event) => {
      const node = nodeOf(event.target);
      if (node) this.cy.center(node);
    });
  }
}
