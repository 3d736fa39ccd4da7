// Run Command: a form to send a command (document, its parameters, targets), a command's page that follows
// each instance's invocation live (polling ListCommandInvocations), and the command history.

import { all, call } from "../api.js";
import { badge, errorBox, facts, h, listView, poll, pre, replace, when } from "../dom.js";
import { instancesWithTags } from "./instances.js";

const DEFAULT_DOCUMENT = "AWS-RunShellScript";
// A command's statuses that will not change again (ListCommands' Status).
const FINAL = new Set(["Success", "Failed", "Cancelled", "TimedOut", "DeliveryTimedOut", "ExecutionTimedOut",
  "Undeliverable", "Terminated", "AccessDenied", "InvalidPlatform"]);

function parameterInputs(container, documentName) {
  replace(container, h("p", { class: "loading" }, "Loading the document's parameters…"));
  call("DescribeDocument", { Name: documentName }).then(({ Document }) => {
    const parameters = Document.Parameters || [];
    replace(container, parameters.length ? parameters.map((p) => h("label", {},
      p.Name, h("small", {}, ` ${p.Type}${p.Description ? ` — ${p.Description}` : ""}`),
      p.Type === "StringList" || p.Name === "commands"
        ? h("textarea", { name: `param:${p.Name}`, rows: 4, placeholder: "one value a line",
          dataset: { type: p.Type } }, p.DefaultValue || "")
        : h("input", { name: `param:${p.Name}`, value: p.DefaultValue || "", dataset: { type: p.Type } }),
    )) : h("p", { class: "empty" }, "This document takes no parameters."));
  }).catch((err) => replace(container, errorBox(err)));
}

/** The form's parameters as SendCommand wants them: every value a list of strings; empty ones left out. */
function parametersFrom(form) {
  const parameters = {};
  for (const field of form.querySelectorAll("[name^='param:']")) {
    const value = field.value;
    if (value === "") continue;
    const name = field.name.slice("param:".length);
    parameters[name] = field.dataset.type === "StringList" ? value.split("\n").filter((l) => l !== "") : [value];
  }
  return parameters;
}

export async function renderSend(root, query) {
  const body = h("div", {}, h("p", { class: "loading" }, "Loading…"));
  replace(root, h("h2", {}, "Run a command"), body);
  let documents;
  let instances;
  try {
    [documents, instances] = await Promise.all([
      all("ListDocuments", { Filters: [{ Key: "DocumentType", Values: ["Command"] }], MaxResults: 50 },
        "DocumentIdentifiers"),
      instancesWithTags(),
    ]);
  } catch (err) {
    replace(body, errorBox(err, "Run Command"));
    return null;
  }
  const wanted = query.get("target");
  const params = h("fieldset", { class: "parameters" });
  const select = h("select", { name: "document", onchange: (e) => parameterInputs(params, e.target.value) },
    documents.map((d) => h("option", { value: d.Name, selected: d.Name === DEFAULT_DOCUMENT }, d.Name)));
  const error = h("div", { class: "form-error" });
  const form = h("form", { class: "send", onsubmit: async (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const input = { DocumentName: select.value, Parameters: parametersFrom(form) };
    if (data.get("targeting") === "tag") {
      input.Targets = [{ Key: `tag:${data.get("tagKey")}`, Values: [String(data.get("tagValue"))] }];
    } else {
      input.InstanceIds = data.getAll("instance");
    }
    if (data.get("comment")) input.Comment = data.get("comment");
    try {
      const { Command } = await call("SendCommand", input);
      location.hash = `#/commands?id=${encodeURIComponent(Command.CommandId)}`;
    } catch (err) {
      replace(error, errorBox(err));
    }
  } },
  h("label", {}, "Document", select),
  params,
  h("fieldset", { class: "targets" }, h("legend", {}, "Targets"),
    h("label", { class: "choice" }, h("input", { type: "radio", name: "targeting", value: "instances", checked: true }),
      "Choose instances"),
    instances.length
      ? instances.map((i) => h("label", { class: "choice instance" },
        h("input", { type: "checkbox", name: "instance", value: i.InstanceId, checked: i.InstanceId === wanted }),
        h("code", {}, i.InstanceId), " ", i.ComputerName || "", " ", badge(i.PingStatus)))
      : h("p", { class: "empty" }, "No managed instances."),
    h("label", { class: "choice" }, h("input", { type: "radio", name: "targeting", value: "tag" }), "By tag"),
    h("span", { class: "inline" }, h("input", { name: "tagKey", placeholder: "tag key", "aria-label": "Tag key" }),
      "=", h("input", { name: "tagValue", placeholder: "value", "aria-label": "Tag value" }))),
  h("label", {}, "Comment", h("input", { name: "comment", maxlength: 100 })),
  h("button", { type: "submit" }, "Run"),
  error);
  replace(body, form);
  parameterInputs(params, select.value);
  return null;
}

function invocationCard(invocation) {
  return h("section", { class: "invocation", dataset: { instance: invocation.InstanceId } },
    h("h3", {}, h("code", {}, invocation.InstanceId), " ", invocation.InstanceName || "", " ",
      badge(invocation.StatusDetails || invocation.Status)),
    (invocation.CommandPlugins || []).map((plugin) => h("div", { class: "plugin" },
      h("h4", {}, plugin.Name, " ", badge(plugin.Status),
        plugin.ResponseCode !== undefined && plugin.ResponseCode !== -1 ? ` exit ${plugin.ResponseCode}` : ""),
      pre(plugin.Output))));
}

async function renderCommand(root, commandId) {
  const header = h("div", {});
  const invocations = h("div", { class: "invocations" });
  replace(root, h("h2", {}, "Command ", h("code", {}, commandId)), header, invocations);
  return poll(async () => {
    try {
      const { Commands } = await call("ListCommands", { CommandId: commandId });
      const command = (Commands || [])[0];
      if (!command) throw new Error(`No command ${commandId}`);
      const list = await all("ListCommandInvocations", { CommandId: commandId, Details: true }, "CommandInvocations");
      const cancel = FINAL.has(command.Status) ? null : h("button", { type: "button", onclick: () =>
        call("CancelCommand", { CommandId: commandId }).catch((err) => header.append(errorBox(err))) }, "Cancel");
      replace(header, facts([
        ["Status", badge(command.Status)], ["Document", command.DocumentName], ["Comment", command.Comment],
        ["Requested", when(command.RequestedDateTime)],
        ["Targets", command.TargetCount], ["Completed", command.CompletedCount], ["Errors", command.ErrorCount],
        ["Parameters", pre(JSON.stringify(command.Parameters || {}, null, 2))],
      ]), cancel);
      replace(invocations, list.length ? list.map(invocationCard) : h("p", { class: "empty" }, "No invocations yet."));
      return FINAL.has(command.Status) && list.every((i) => FINAL.has(i.Status));
    } catch (err) {
      replace(header, errorBox(err, "Run Command"));
      return true;
    }
  });
}

export async function render(root, query) {
  const id = query.get("id");
  if (id) return renderCommand(root, id);
  await listView(root, {
    title: "Command history",
    intro: h("p", {}, h("a", { href: "#/run", class: "button" }, "Run a command")),
    operation: "ListCommands", input: { MaxResults: 50 }, key: "Commands",
    columns: [
      ["Command", (c) => h("a", { href: `#/commands?id=${encodeURIComponent(c.CommandId)}` }, c.CommandId)],
      ["Document", (c) => c.DocumentName],
      ["Status", (c) => badge(c.Status)],
      ["Requested", (c) => when(c.RequestedDateTime)],
      ["Targets", (c) => (c.InstanceIds || []).join(", ") || (c.Targets || []).map((t) => `${t.Key}=${t.Values}`).join(" ")],
      ["Completed", (c) => `${c.CompletedCount}/${c.TargetCount}`],
      ["Comment", (c) => c.Comment],
    ],
    empty: "No commands sent yet.",
  });
  return null;
}
