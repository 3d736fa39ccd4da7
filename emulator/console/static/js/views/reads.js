// Read views: Automation executions and their steps, State Manager associations, inventory, compliance and
// OpsItems. OpsCenter may not be served by this emulator: the view then says so instead of failing.

import { all, call } from "../api.js";
import { badge, errorBox, facts, h, json, listView, poll, replace, table, when } from "../dom.js";

const AUTOMATION_RUNNING = new Set(["Pending", "InProgress", "Waiting", "Cancelling", "PendingApproval",
  "Approved", "Scheduled", "RunbookInProgress", "PendingChangeCalendarOverride", "ChangeCalendarOverrideApproved"]);

const link = (route, key, value) => h("a", { href: `#/${route}?${key}=${encodeURIComponent(value)}` }, value);
const targets = (list) => (list || []).map((t) => `${t.Key}=${(t.Values || []).join(",")}`).join(" ");

async function automationExecution(root, id) {
  const body = h("div", {});
  replace(root, h("h2", {}, "Automation execution ", h("code", {}, id)), body);
  return poll(async () => {
    try {
      const { AutomationExecution: e } = await call("GetAutomationExecution", { AutomationExecutionId: id });
      replace(body,
        facts([
          ["Status", badge(e.AutomationExecutionStatus)], ["Document", `${e.DocumentName} v${e.DocumentVersion || ""}`],
          ["Mode", e.Mode], ["Started", when(e.ExecutionStartTime)], ["Ended", when(e.ExecutionEndTime)],
          ["Failure", e.FailureMessage], ["Parameters", json(e.Parameters || {})], ["Outputs", json(e.Outputs || {})],
        ]),
        h("h3", {}, "Steps"),
        table([
          ["Step", (s) => s.StepName], ["Action", (s) => s.Action], ["Status", (s) => badge(s.StepStatus)],
          ["Started", (s) => when(s.ExecutionStartTime)], ["Ended", (s) => when(s.ExecutionEndTime)],
          ["Outputs", (s) => (s.Outputs ? json(s.Outputs) : "")], ["Failure", (s) => s.FailureMessage],
        ], e.StepExecutions || [], "No steps have run yet."));
      return !AUTOMATION_RUNNING.has(e.AutomationExecutionStatus);
    } catch (err) {
      replace(body, errorBox(err, "Automation"));
      return true;
    }
  });
}

export async function automation(root, query) {
  if (query.get("id")) return automationExecution(root, query.get("id"));
  await listView(root, {
    title: "Automation executions", operation: "DescribeAutomationExecutions", input: { MaxResults: 50 },
    key: "AutomationExecutionMetadataList", empty: "No automation executions.",
    columns: [
      ["Execution", (e) => link("automation", "id", e.AutomationExecutionId)],
      ["Document", (e) => e.DocumentName], ["Status", (e) => badge(e.AutomationExecutionStatus)],
      ["Mode", (e) => e.Mode], ["Started", (e) => when(e.ExecutionStartTime)], ["Ended", (e) => when(e.ExecutionEndTime)],
    ],
  });
  return null;
}

async function association(root, id) {
  const body = h("div", {});
  replace(root, h("h2", {}, "Association ", h("code", {}, id)), body);
  try {
    const { AssociationDescription: a } = await call("DescribeAssociation", { AssociationId: id });
    const runs = await all("DescribeAssociationExecutions", { AssociationId: id, MaxResults: 50 },
      "AssociationExecutions", 200);
    replace(body,
      facts([
        ["Name", a.AssociationName], ["Document", a.Name], ["Status", badge(a.Overview && a.Overview.Status)],
        ["Schedule", a.ScheduleExpression], ["Targets", targets(a.Targets)], ["Version", a.AssociationVersion],
        ["Last run", when(a.LastExecutionDate)], ["Parameters", json(a.Parameters || {})],
      ]),
      h("h3", {}, "Executions"),
      table([
        ["Execution", (r) => r.ExecutionId], ["Status", (r) => badge(r.Status)], ["Detail", (r) => r.DetailedStatus],
        ["Created", (r) => when(r.CreatedTime)], ["Resources", (r) => r.ResourceCountByStatus],
      ], runs, "Not run yet."));
  } catch (err) {
    replace(body, errorBox(err, "State Manager"));
  }
  return null;
}

export async function associations(root, query) {
  if (query.get("id")) return association(root, query.get("id"));
  await listView(root, {
    title: "Associations", operation: "ListAssociations", input: { MaxResults: 50 }, key: "Associations",
    empty: "No associations.",
    columns: [
      ["Association", (a) => link("associations", "id", a.AssociationId)], ["Name", (a) => a.AssociationName],
      ["Document", (a) => a.Name], ["Targets", (a) => targets(a.Targets)],
      ["Schedule", (a) => a.ScheduleExpression], ["Status", (a) => badge(a.Overview && a.Overview.Status)],
      ["Last run", (a) => when(a.LastExecutionDate)],
    ],
  });
  return null;
}

function inventoryType(typeName, data) {
  const rows = data.Content || [];
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))].map((k) => [k, (r) => r[k]]);
  return h("details", {}, h("summary", {}, `${typeName} — ${rows.length} item${rows.length === 1 ? "" : "s"}`,
    data.CaptureTime ? ` (captured ${data.CaptureTime})` : ""), table(columns, rows));
}

export async function inventory(root) {
  const body = h("div", {}, h("p", { class: "loading" }, "Loading…"));
  replace(root, h("h2", {}, "Inventory"), body);
  try {
    const entities = await all("GetInventory", { MaxResults: 50 }, "Entities");
    replace(body, entities.length ? entities.map((e) => h("section", { class: "inventory-entity" },
      h("h3", {}, h("code", {}, e.Id)),
      Object.entries(e.Data || {}).sort(([a], [b]) => a.localeCompare(b)).map(([t, d]) => inventoryType(t, d))))
      : h("p", { class: "empty" }, "No inventory collected. An AWS-GatherSoftwareInventory association collects it."));
  } catch (err) {
    replace(body, errorBox(err, "Inventory"));
  }
  return null;
}

async function complianceItems(root, resource) {
  await listView(root, {
    title: `Compliance of ${resource}`, operation: "ListComplianceItems",
    input: { ResourceIds: [resource], ResourceTypes: ["ManagedInstance"], MaxResults: 50 }, key: "ComplianceItems",
    columns: [
      ["Type", (i) => i.ComplianceType], ["Id", (i) => i.Id], ["Title", (i) => i.Title],
      ["Status", (i) => badge(i.Status)], ["Severity", (i) => i.Severity],
      ["Execution", (i) => i.ExecutionSummary && when(i.ExecutionSummary.ExecutionTime)],
    ],
  });
  return null;
}

export async function compliance(root, query) {
  if (query.get("resource")) return complianceItems(root, query.get("resource"));
  const count = (s, key) => (s && s[key] !== undefined ? s[key] : "");
  await listView(root, {
    title: "Compliance", operation: "ListResourceComplianceSummaries", input: { MaxResults: 50 },
    key: "ResourceComplianceSummaryItems", empty: "No compliance data.",
    columns: [
      ["Resource", (s) => link("compliance", "resource", s.ResourceId)], ["Type", (s) => s.ComplianceType],
      ["Status", (s) => badge(s.Status)], ["Severity", (s) => s.OverallSeverity],
      ["Compliant", (s) => count(s.CompliantSummary, "CompliantCount")],
      ["Non-compliant", (s) => count(s.NonCompliantSummary, "NonCompliantCount")],
      ["Execution", (s) => s.ExecutionSummary && when(s.ExecutionSummary.ExecutionTime)],
    ],
  });
  return null;
}

export async function opsItems(root) {
  await listView(root, {
    title: "OpsItems", operation: "DescribeOpsItems", input: { MaxResults: 50 }, key: "OpsItemSummaries",
    empty: "No OpsItems.",
    columns: [
      ["OpsItem", (o) => o.OpsItemId], ["Title", (o) => o.Title], ["Status", (o) => badge(o.Status)],
      ["Severity", (o) => o.Severity], ["Priority", (o) => o.Priority], ["Source", (o) => o.Source],
      ["Created", (o) => when(o.CreatedTime)],
    ],
  });
  return null;
}
