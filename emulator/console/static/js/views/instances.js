// Managed instances: what DescribeInstanceInformation reports, with each instance's tags, and the way to a shell
// or a command on it.

import { all, call } from "../api.js";
import { badge, errorBox, h, replace, table, tagList, when } from "../dom.js";

/** Every managed instance with its tags (ListTagsForResource, one call each: a local fleet is small). */
export async function instancesWithTags() {
  const instances = await all("DescribeInstanceInformation", { MaxResults: 50 }, "InstanceInformationList");
  await Promise.all(instances.map(async (instance) => {
    try {
      const { TagList } = await call("ListTagsForResource", {
        ResourceType: "ManagedInstance", ResourceId: instance.InstanceId,
      });
      instance.Tags = TagList || [];
    } catch (_) {
      instance.Tags = []; // tags are an extra: the instance still shows
    }
  }));
  return instances;
}

function platform(i) {
  return [i.PlatformType, i.PlatformName, i.PlatformVersion].filter(Boolean).join(" · ");
}

export async function render(root) {
  const body = h("div", {}, h("p", { class: "loading" }, "Loading…"));
  replace(root, h("h2", {}, "Managed instances"), body);
  try {
    const instances = await instancesWithTags();
    replace(body, table([
      ["Instance", (i) => h("code", {}, i.InstanceId)],
      ["Name", (i) => i.Name || i.ComputerName],
      ["Ping status", (i) => badge(i.PingStatus)],
      ["Platform", platform],
      ["IP address", (i) => i.IPAddress],
      ["Agent", (i) => i.AgentVersion],
      ["Last ping", (i) => when(i.LastPingDateTime)],
      ["Tags", (i) => tagList(i.Tags)],
      ["", (i) => h("span", { class: "actions" },
        h("a", { href: `#/sessions?target=${encodeURIComponent(i.InstanceId)}` }, "Shell"), " ",
        h("a", { href: `#/run?target=${encodeURIComponent(i.InstanceId)}` }, "Run command"))],
    ], instances, "No managed instances. Register one with `ssm-emulator instances add` or POST /_emulator/instances."));
  } catch (err) {
    replace(body, errorBox(err, "Managed instances"));
  }
  return null;
}
