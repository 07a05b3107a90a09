// The workspace's entry point: sign-in, the header, and a hash router over the pages in views.ts.

import "./app.css";
import * as api from "./api";
import type { LinkChart } from "./chart";
import { clear, h } from "./dom";
import * as views from "./views";

const main = document.getElementById("main") as HTMLElement;
const nav = document.getElementById("nav") as HTMLElement;
const who = document.getElementById("who") as HTMLElement;

function open(label: string, key: string): void {
  location.hash = views.entityHash(label, key);
}

function signInView(): void {
  const key = h("input", { type: "password", name: "api_key", autocomplete: "off", required: true,
    "aria-label": "API key", placeholder: "tgk_… (from tracegraph apikey create)" });
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", { class: "signin" }, h("label", {}, "API key ", key),
    h("button", { type: "submit" }, "Sign in"), error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      await api.signIn(key.value.trim());
      key.value = "";
      header();
      if (!location.hash || location.hash === "#/signin") location.hash = "#/search";
      else void route(); // back where the session ran out
    } catch (failure) {
      error.textContent = failure instanceof api.ApiError && failure.status === 401
        ? "That key was not accepted." : `Sign-in failed: ${(failure as Error).message}`;
    }
  });
  main.append(h("h1", {}, "Sign in"), h("p", {}, "Sign in with the API key an administrator gave you. " +
    "The workspace keeps a session cookie after that; the key is not stored in the browser."), form);
  key.focus();
}

function header(): void {
  const session = api.current();
  clear(nav);
  clear(who);
  if (!session) return;
  for (const [href, text] of [["#/search", "Search"], ["#/queue", "Review queue"], ["#/map", "Corridor map"]]) {
    nav.append(h("a", { href }, text));
  }
  const signOut = h("button", { type: "button", class: "signout" }, "Sign out");
  signOut.addEventListener("click", async () => {
    await api.signOut();
    header();
    location.hash = "#/signin";
  });
  who.append(h("span", { class: "name" }, session.name), session.role ? h("span", { class: "role" }, session.role) : "",
    session.tlp ? h("span", { class: `tlp tlp-${session.tlp}` }, `TLP:${session.tlp.toUpperCase()}`) : "", signOut);
}

let chart: LinkChart | null = null;

async function route(): Promise<void> {
  clear(main);
  chart?.cy.destroy();
  chart = null;
  const [path, query] = location.hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  if (!api.current()) {
    signInView();
    return;
  }
  const params = new URLSearchParams(query ?? "");
  const [page, key] = parts;
  if (page === "queue") await views.queueView(main);
  else if (page === "map") await views.mapView(main);
  else if (page === "person" && key) chart = await views.personView(main, key, open);
  else if (page === "dealer" && key) chart = await views.dealerView(main, key, open);
  else if (page === "firearm" && key) chart = await views.firearmView(main, key, open);
  else if (page && key) chart = await views.genericView(main, page[0].toUpperCase() + page.slice(1), key, open);
  else views.searchView(main, open, params.get("q") ?? "");
  document.body.dataset.ready = page || "search";
}

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && document.activeElement instanceof HTMLElement && document.activeElement !== document.body
      && !document.activeElement.closest(".chart")) {
    document.activeElement.blur();
  }
});

window.addEventListener("hashchange", () => void route());
window.addEventListener("tg-signed-out", () => {
  header();
  void route(); // the sign-in form; the address keeps the page to come back to
});

void (async () => {
  await api.resume();
  header();
  await route();
})();
