// Small DOM helpers shared by the views. Text always goes in as text (textContent), never as HTML: parameter
// values, command output and tags are the user's data.

import { all, ApiError } from "./api.js";

/**
 * An element: h("a", {href: "#/x", class: "y", onclick: fn}, "text", child, ...).
 * @param {string} tag @param {object} [attrs] @param {...(Node|string|number|null|undefined|false)} children
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replace everything in `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** AWS JSON dates are epoch seconds. */
export function when(seconds) {
  if (seconds === undefined || seconds === null || seconds === "") return "";
  const d = new Date(Number(seconds) * 1000);
  return Number.isNaN(d.getTime()) ? String(seconds) : d.toLocaleString();
}

/** A coloured status word (Online, Success, Failed, ...); the colour comes from the CSS class. */
export function badge(status) {
  return h("span", { class: `badge status-${String(status || "").toLowerCase().replace(/[^a-z]/g, "")}` },
    status || "—");
}

export function tagList(tags) {
  return h("span", { class: "tags" }, (tags || []).map((t) => h("span", { class: "tag" }, `${t.Key}=${t.Value}`)));
}

/**
 * A table: columns are [heading, (item) => cell content]; an empty list shows `empty`.
 * @param {Array<[string, (item: any) => any]>} columns @param {any[]} items
 */
export function table(columns, items, empty = "Nothing here yet.") {
  if (!items.length) return h("p", { class: "empty" }, empty);
  return h("table", {},
    h("thead", {}, h("tr", {}, columns.map(([heading]) => h("th", {}, heading)))),
    h("tbody", {}, items.map((item) => h("tr", {}, columns.map(([, cell]) => h("td", {}, cell(item)))))));
}

/** Key/value pairs as a definition list; empty values are left out. */
export function facts(pairs) {
  return h("dl", { class: "facts" },
    pairs.filter(([, v]) => v !== undefined && v !== null && v !== "")
      .map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

export function pre(text) {
  return h("pre", { class: "output" }, text || "");
}

export function json(value) {
  return pre(JSON.stringify(value, null, 2));
}

/** How a failed call shows: auth problems point to the credentials; an operation this emulator lacks says so. */
export function errorBox(err, what = "") {
  if (err instanceof ApiError && err.isAuth) {
    return h("div", { class: "error", role: "alert" },
      h("strong", {}, `${err.code}: `), err.message, " ",
      "This emulator checks request signatures: ",
      h("button", { type: "button", onclick: () => document.dispatchEvent(new CustomEvent("console:credentials")) },
        "set an access key and secret"), " from its configuration.");
  }
  if (err instanceof ApiError && err.notImplemented) {
    return h("div", { class: "notice", role: "status" }, `${what || "This view"} is not available: ${err.message}`);
  }
  const code = err instanceof ApiError ? `${err.code}: ` : "";
  return h("div", { class: "error", role: "alert" }, code, err.message || String(err));
}

/**
 * The common read view: a heading, then every item of a paged list operation in a table.
 * @param {HTMLElement} root @param {{title: string, operation: string, input?: object, key: string,
 *   columns: Array<[string, (item: any) => any]>, empty?: string, intro?: any}} spec
 */
export async function listView(root, spec) {
  const body = h("div", {}, h("p", { class: "loading" }, "Loading…"));
  replace(root, h("h2", {}, spec.title), spec.intro || null, body);
  try {
    const items = await all(spec.operation, spec.input || {}, spec.key);
    replace(body, table(spec.columns, items, spec.empty));
  } catch (err) {
    replace(body, errorBox(err, spec.title));
  }
}

/** Run `tick` now and every `ms` until it returns true or the view is left; returns the stop function. */
export function poll(tick, ms = 1000) {
  let stopped = false;
  let timer = null;
  const step = async () => {
    if (stopped) return;
    let done = false;
    try { done = await tick(); } catch (_) { done = false; }
    if (!stopped && !done) timer = setTimeout(step, ms);
  };
  step();
  return () => { stopped = true; clearTimeout(timer); };
}
