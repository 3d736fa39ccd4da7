// Parameter Store: the parameters as a hierarchy (their names' / levels), one parameter's value, history and
// labels, and a form to create one. SecureString values stay hidden until the user asks for them, and only
// then is the API called WithDecryption.

import { all, call } from "../api.js";
import { errorBox, facts, h, replace, table, when } from "../dom.js";

const HIDDEN = "•••••••• (SecureString)";

/** Names into nested folders: {folders: Map<name, node>, parameters: metadata[]}. */
function hierarchy(parameters) {
  const root = { folders: new Map(), parameters: [] };
  for (const p of parameters) {
    const parts = p.Name.split("/").filter(Boolean);
    let node = root;
    for (const part of parts.slice(0, -1)) {
      if (!node.folders.has(part)) node.folders.set(part, { folders: new Map(), parameters: [] });
      node = node.folders.get(part);
    }
    node.parameters.push(p);
  }
  return root;
}

function treeList(node, open) {
  const folders = [...node.folders.entries()].sort(([a], [b]) => a.localeCompare(b));
  const parameters = [...node.parameters].sort((a, b) => a.Name.localeCompare(b.Name));
  return h("ul", { class: "tree" },
    folders.map(([name, child]) => h("li", {},
      h("details", { open: true }, h("summary", { class: "folder" }, `${name}/`), treeList(child, open)))),
    parameters.map((p) => h("li", {},
      h("a", { href: `#/parameters?name=${encodeURIComponent(p.Name)}`, class: "parameter", onclick: (e) => {
        e.preventDefault();
        history.replaceState(null, "", `#/parameters?name=${encodeURIComponent(p.Name)}`);
        open(p.Name);
      } }, p.Name.split("/").filter(Boolean).pop() || p.Name, " ", h("small", {}, p.Type)))));
}

function valueCell(type, value, reveal) {
  if (type !== "SecureString") return h("code", { class: "value" }, value);
  const cell = h("span", {}, h("code", { class: "value hidden-value" }, HIDDEN), " ");
  const button = h("button", { type: "button", class: "small", onclick: async () => {
    button.disabled = true;
    try {
      replace(cell, h("code", { class: "value" }, await reveal()));
    } catch (err) {
      replace(cell, errorBox(err));
    }
  } }, "Reveal");
  cell.append(button);
  return cell;
}

async function detail(panel, name, metadata, reload) {
  replace(panel, h("p", { class: "loading" }, "Loading…"));
  try {
    const { Parameter: p } = await call("GetParameter", { Name: name, WithDecryption: false });
    const versions = await all("GetParameterHistory", { Name: name, WithDecryption: false, MaxResults: 50 }, "Parameters");
    const meta = metadata.find((m) => m.Name === name) || {};
    const decrypted = async (version) => {
      const { Parameter: d } = await call("GetParameter", { Name: `${name}:${version}`, WithDecryption: true });
      return d.Value;
    };
    const labelForm = h("form", { class: "inline", onsubmit: async (e) => {
      e.preventDefault();
      const form = new FormData(e.target);
      try {
        await call("LabelParameterVersion", {
          Name: name, ParameterVersion: Number(form.get("version")), Labels: [String(form.get("label"))],
        });
        await detail(panel, name, metadata, reload);
      } catch (err) {
        e.target.append(errorBox(err));
      }
    } },
    h("label", {}, "Version ", h("select", { name: "version" },
      [...versions].reverse().map((v) => h("option", { value: v.Version }, v.Version)))),
    h("label", {}, "Label ", h("input", { name: "label", required: true, placeholder: "prod" })),
    h("button", { type: "submit" }, "Add label"));
    replace(panel,
      h("h3", { class: "parameter-name" }, p.Name),
      facts([
        ["Type", p.Type], ["Value", valueCell(p.Type, p.Value, () => decrypted(p.Version))],
        ["Version", p.Version], ["Data type", p.DataType], ["Description", meta.Description],
        ["Tier", meta.Tier], ["Last modified", when(p.LastModifiedDate)], ["ARN", p.ARN],
      ]),
      h("h4", {}, "History"),
      table([
        ["Version", (v) => v.Version],
        ["Value", (v) => valueCell(v.Type, v.Value, () => decrypted(v.Version))],
        ["Labels", (v) => h("span", { class: "tags" }, (v.Labels || []).map((l) => h("span", { class: "tag" }, l)))],
        ["Modified", (v) => when(v.LastModifiedDate)],
        ["By", (v) => v.LastModifiedUser],
      ], [...versions].reverse()),
      labelForm);
  } catch (err) {
    replace(panel, errorBox(err));
  }
}

function createForm(done) {
  return h("form", { class: "create", onsubmit: async (e) => {
    e.preventDefault();
    const form = new FormData(e.target);
    const input = { Name: form.get("name"), Type: form.get("type"), Value: form.get("value"), Overwrite: false };
    if (form.get("description")) input.Description = form.get("description");
    try {
      await call("PutParameter", input);
      await done(String(input.Name));
    } catch (err) {
      e.target.querySelector(".form-error").replaceChildren(errorBox(err));
    }
  } },
  h("h3", {}, "New parameter"),
  h("label", {}, "Name", h("input", { name: "name", required: true, placeholder: "/app/db/host" })),
  h("label", {}, "Type", h("select", { name: "type" },
    ["String", "StringList", "SecureString"].map((t) => h("option", { value: t }, t)))),
  h("label", {}, "Value", h("textarea", { name: "value", required: true, rows: 3 })),
  h("label", {}, "Description", h("input", { name: "description" })),
  h("button", { type: "submit" }, "Create parameter"),
  h("div", { class: "form-error" }));
}

export async function render(root, query) {
  const tree = h("div", { class: "tree-panel" }, h("p", { class: "loading" }, "Loading…"));
  const panel = h("div", { class: "detail-panel" });
  replace(root, h("h2", {}, "Parameter Store"), h("div", { class: "split" }, tree, panel));
  const load = async (selected) => {
    let metadata;
    try {
      metadata = await all("DescribeParameters", { MaxResults: 50 }, "Parameters");
    } catch (err) {
      replace(tree, errorBox(err, "Parameter Store"));
      return;
    }
    const open = (name) => detail(panel, name, metadata, load);
    const created = async (name) => {
      history.replaceState(null, "", `#/parameters?name=${encodeURIComponent(name)}`);
      await load(name);
    };
    replace(tree,
      h("button", { type: "button", onclick: () => replace(panel, createForm(created)) }, "New parameter"),
      h("p", { class: "count" }, `${metadata.length} parameter${metadata.length === 1 ? "" : "s"}`),
      treeList(hierarchy(metadata), open));
    if (selected) await open(selected);
    else replace(panel, createForm(created));
  };
  await load(query.get("name"));
  return null;
}
