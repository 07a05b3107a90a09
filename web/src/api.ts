// The workspace's one door to the HTTP API (/api/v1). Sign-in makes a session (HttpOnly cookie + CSRF token);
// on a server without the session endpoint the key is kept in memory only and sent as X-API-Key.

export interface Session {
  name: string;
  role: string;
  tlp: string | null;
  csrf_token?: string;
  expires?: string;
}

export interface GraphNode {
  id: string;
  label: string;
  key: string;
  caption: string;
  score: number | null;
  masked: boolean;
  props?: Record<string, unknown>;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  type: string;
  date: string | null;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  truncated: boolean;
}

export interface SearchResult {
  label: string;
  key: string;
  caption: string;
  score?: number | null;
  detail?: string | null;
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly title: string, readonly detail: string) {
    super(detail || title);
  }
}

const BASE = "/api/v1";
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

let session: Session | null = null;
let apiKey: string | null = null; // only on a server without /session: never stored beyond this page

export function current(): Session | null {
  return session;
}

async function problem(response: Response): Promise<ApiError> {
  let title = response.statusText;
  let detail = "";
  try {
    const body = await response.json();
    title = body.title ?? title;
    detail = body.detail ?? "";
  } catch {
    // not JSON: the status says enough
  }
  return new ApiError(response.status, title, detail);
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await raw(method, path, body);
  if (!response.ok) throw await problem(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export async function raw(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (apiKey) headers["X-API-Key"] = apiKey;
  else if (session?.csrf_token && UNSAFE.has(method)) headers["X-CSRF-Token"] = session.csrf_token;
  const response = await fetch(BASE + path, {
    method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401 && session && path !== "/session") { // expired or revoked: back to sign-in
    session = null;
    apiKey = null;
    window.dispatchEvent(new Event("tg-signed-out"));
  }
  return response;
}

function missingRoute(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 405 || (error.status === 404 && error.detail === "no such route"));
}

export async function signIn(key: string): Promise<Session> {
  try {
    session = await call<Session>("POST", "/session", { api_key: key });
    apiKey = null;
    return session;
  } catch (error) {
    if (!missingRoute(error)) throw error;
  }
  apiKey = key; // an older server: check the key on a cheap authenticated read
  try {
    await call("GET", "/straw-queue?limit=1");
  } catch (error) {
    apiKey = null;
    throw error;
  }
  session = { name: "signed in with an API key", role: "", tlp: null };
  return session;
}

export async function resume(): Promise<Session | null> {
  try {
    session = await call<Session>("GET", "/session");
  } catch {
    session = null;
  }
  return session;
}

export async function signOut(): Promise<void> {
  if (!apiKey) {
    try {
      await call("DELETE", "/session");
    } catch {
      // already gone
    }
  }
  apiKey = null;
  session = null;
}

export function ref(label: string, key: string): string {
  return `${label}:${key}`;
}

export async function neighbourhood(label: string, key: string, opts: { depth?: number; limit?: number;
    since?: string; until?: string } = {}): Promise<Graph> {
  const query = new URLSearchParams({ label, key, depth: String(opts.depth ?? 1), limit: String(opts.limit ?? 300) });
  if (opts.since) query.set("since", opts.since);
  if (opts.until) query.set("until", opts.until);
  try {
    return await call<Graph>("GET", `/graph/neighbourhood?${query}`);
  } catch (error) {
    if (!missingRoute(error) || label !== "Person") throw error;
  }
  // before the graph endpoints: a person's neighbourhood from /persons/{key}
  const out = await call<PersonOut>("GET", `/persons/${encodeURIComponent(key)}?depth=1&limit=${opts.limit ?? 300}`);
  return fromNeighbourhood(out.neighbourhood);
}

export async function paths(from: string, to: string, maxHops = 6): Promise<Graph> {
  const query = new URLSearchParams({ from, to, max_hops: String(maxHops) });
  try {
    return await call<Graph>("GET", `/graph/paths?${query}`);
  } catch (error) {
    if (!missingRoute(error)) throw error;
  }
  const lower = (reference: string) => reference.replace(/^[A-Za-z]+/, (l) => l.toLowerCase());
  const legacy = new URLSearchParams({ source: lower(from), target: lower(to), max_hops: String(maxHops) });
  const out = await call<{ nodes: LegacyRef[]; relationships: LegacyEdge[] }>("GET", `/paths?${legacy}`);
  return fromNeighbourhood(out);
}

export async function search(q: string, limit = 20): Promise<SearchResult[]> {
  try {
    const out = await call<{ results: SearchResult[] }>("GET", `/search?${new URLSearchParams({ q, limit: String(limit) })}`);
    return out.results;
  } catch (error) {
    if (!missingRoute(error)) throw error;
  }
  const kinds = ["name", "serial", "license"] as const;
  const answers = await Promise.allSettled(kinds.map((kind) =>
    call<{ items: { label: string; key: string; summary: string | null }[] }>("POST", "/search", { kind, q, limit })));
  const results: SearchResult[] = [];
  for (const answer of answers) {
    if (answer.status === "fulfilled") {
      for (const item of answer.value.items) results.push({ label: item.label, key: item.key, caption: item.summary ?? item.key });
    }
  }
  return results;
}

interface LegacyRef { label: string; key: string; masked?: boolean }
interface LegacyEdge { type: string; start: LegacyRef; end: LegacyRef; date?: string | null }
interface PersonOut { neighbourhood: { nodes: LegacyRef[]; relationships: LegacyEdge[]; truncated?: boolean } }

function fromNeighbourhood(n: { nodes: LegacyRef[]; relationships: LegacyEdge[]; truncated?: boolean }): Graph {
  const nodes = n.nodes.map((node) => ({ id: ref(node.label, node.key), label: node.label, key: node.key,
    caption: node.key, score: null, masked: Boolean(node.masked) }));
  const edges = n.relationships.map((edge) => {
    const source = ref(edge.start.label, edge.start.key);
    const target = ref(edge.end.label, edge.end.key);
    return { id: `${source}-${edge.type}-${target}`, source, target, type: edge.type, date: edge.date ?? null };
  });
  return { nodes, edges, truncated: Boolean(n.truncated) };
}
