// The console's shell: navigation by the URL's #fragment, one view at a time, and the credentials dialog.
// A view is `render(root, query)`; what it returns, if a function, is called when the view is left (it stops
// polling, ends a shell).

import { credentials, DEFAULT_CREDENTIALS, hasSavedCredentials, saveCredentials } from "./api.js";
import { h, replace } from "./dom.js";
import * as commands from "./views/commands.js";
import * as instances from "./views/instances.js";
import * as parameters from "./views/parameters.js";
import * as reads from "./views/reads.js";
import * as sessions from "./views/sessions.js";

const ROUTES = {
  parameters: ["Parameter Store", parameters.render],
  instances: ["Managed instances", instances.render],
  run: ["Run command", commands.renderSend],
  commands: ["Command history", commands.render],
  sessions: ["Session Manager", sessions.render],
  automation: ["Automation", reads.automation],
  associations: ["Associations", reads.associations],
  inventory: ["Inventory", reads.inventory],
  compliance: ["Compliance", reads.compliance],
  opsitems: ["OpsItems", reads.opsItems],
};

const view = document.getElementById("view");
const nav = document.getElementById("nav");
const who = document.getElementById("who");
let leave = null;
let settings = { verify_signatures: false };

async function route() {
  const [path, search = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const name = ROUTES[path] ? path : "parameters";
  if (leave) {
    try { leave(); } catch (_) { /* the old view is gone either way */ }
    leave = null;
  }
  for (const a of nav.querySelectorAll("a")) a.classList.toggle("active", a.dataset.route === name);
  document.title = `${ROUTES[name][0]} — ssm-emulator console`;
  const rendered = await ROUTES[name][1](view, new URLSearchParams(search));
  if (typeof rendered === "function") leave = rendered;
}

function showWho() {
  const c = credentials();
  who.textContent = `${c.accessKeyId} · ${c.region}`;
}

function credentialsDialog(message = "") {
  const c = credentials();
  const dialog = h("dialog", { class: "credentials" });
  const form = h("form", { method: "dialog", onsubmit: (e) => {
    e.preventDefault();
    const data = new FormData(form);
    saveCredentials({
      accessKeyId: String(data.get("accessKeyId")).trim(),
      secretAccessKey: String(data.get("secretAccessKey")),
      region: String(data.get("region")).trim(),
    });
    dialog.close();
    dialog.remove();
    showWho();
    route();
  } },
  h("h2", {}, "Credentials"),
  message ? h("p", { class: "notice" }, message) : null,
  h("p", {}, settings.verify_signatures
    ? "This emulator verifies SigV4 signatures: enter an access key and its secret from its configuration ([[access_keys]])."
    : "Signatures are not verified: any key works. The access key and region choose the account and region, as "
      + "for an SDK (a 12-digit access key acts as that account)."),
  h("label", {}, "Access key ID", h("input", { name: "accessKeyId", required: true, value: c.accessKeyId,
    autocomplete: "username" })),
  h("label", {}, "Secret access key", h("input", { name: "secretAccessKey", type: "password", required: true,
    value: settings.verify_signatures && !hasSavedCredentials() ? "" : c.secretAccessKey,
    autocomplete: "current-password" })),
  h("label", {}, "Region", h("input", { name: "region", required: true, value: c.region || DEFAULT_CREDENTIALS.region })),
  h("p", { class: "hint" }, "Kept in this tab only (sessionStorage); each request is signed in the browser."),
  h("button", { type: "submit" }, "Use these credentials"));
  dialog.append(form);
  document.body.append(dialog);
  dialog.showModal();
}

async function start() {
  replace(nav, Object.entries(ROUTES).map(([name, [title]]) => h("a", { href: `#/${name}`, dataset: { route: name } }, title)));
  document.getElementById("credentials").addEventListener("click", () => credentialsDialog());
  document.addEventListener("console:credentials", () => credentialsDialog());
  try {
    settings = await (await fetch("settings.json", { cache: "no-store" })).json();
  } catch (_) { /* an older server: assume no verification; a credential error will say otherwise */ }
  showWho();
  window.addEventListener("hashchange", route);
  await route();
  if (settings.verify_signatures && !hasSavedCredentials()) {
    credentialsDialog("Sign in to see this emulator's resources.");
  }
}

start();
