// Session Manager: a shell on a managed instance in the browser, and the sessions the API lists.
// StartSession is called like any client calls it; its StreamUrl and TokenValue open the data channel
// (channel.js), whose output goes to an xterm.js terminal and whose input is the terminal's keystrokes.
// A dropped websocket is resumed with ResumeSession, as the session-manager-plugin resumes it.

import { all, call } from "../api.js";
import { ShellChannel } from "../channel.js";
import { badge, errorBox, h, replace, table, when } from "../dom.js";
import { FitAddon } from "../../vendor/xterm/addon-fit.mjs";
import { Terminal } from "../../vendor/xterm/xterm.mjs";

function sessionTable(sessions, onTerminate) {
  return table([
    ["Session", (s) => h("code", {}, s.SessionId)],
    ["Target", (s) => s.Target],
    ["Status", (s) => badge(s.Status)],
    ["Document", (s) => s.DocumentName],
    ["Started", (s) => when(s.StartDate)],
    ["Ended", (s) => when(s.EndDate)],
    ["", (s) => (onTerminate && s.Status !== "Terminated"
      ? h("button", { type: "button", class: "small", onclick: () => onTerminate(s.SessionId) }, "Terminate") : null)],
  ], sessions, "None.");
}

/**
 * Open a shell in `panel`; returns a function that ends it (TerminateSession, then the websocket closes).
 * `onChange` is called when the session connects and when it ends (the session lists refresh).
 */
async function openShell(panel, target, onChange) {
  const status = h("span", { class: "session-status", role: "status" }, "Starting session…");
  const screen = h("div", { class: "terminal", "data-target": target });
  const end = h("button", { type: "button" }, "Terminate session");
  replace(panel, h("div", { class: "terminal-bar" }, h("strong", {}, target), " ", status, " ", end), screen);
  let session;
  try {
    session = await call("StartSession", { Target: target });
  } catch (err) {
    replace(panel, errorBox(err, "Session Manager"));
    return () => {};
  }
  screen.dataset.sessionId = session.SessionId;
  const term = new Terminal({ cursorBlink: true, convertEol: false, fontSize: 14, scrollback: 5000 });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(screen);
  fit.fit();
  let ended = false; // the user terminated the session: a dropped websocket is then not resumed
  const connected = () => {
    status.textContent = `Connected — ${session.SessionId}`;
    screen.dataset.ready = "true";
  };
  const channel = new ShellChannel(session.StreamUrl, session.TokenValue, {
    onOutput: (bytes) => term.write(bytes),
    onReady: () => {
      connected();
      term.focus();
      onChange();
    },
    resume: async () => (ended ? null : call("ResumeSession", { SessionId: session.SessionId })),
    onReconnecting: (attempt, attempts) => {
      status.textContent = `Connection lost — reconnecting… (try ${attempt} of ${attempts})`;
      screen.dataset.ready = "false";
    },
    onReconnected: () => {
      connected();
      onChange();
    },
    onClosed: (output, clean) => {
      if (clean || ended) status.textContent = `Session ended${output && clean ? `: ${output}` : "."}`;
      else status.textContent = `Disconnected${output ? `: ${output}` : "."}`;
      screen.dataset.ready = "false";
      term.write(`\r\n\x1b[2m[${status.textContent}]\x1b[0m\r\n`);
      end.disabled = true;
      onChange();
    },
  });
  term.onData((data) => channel.sendInput(data));
  term.onBinary((data) => channel.sendInput(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff)));
  term.onResize(({ cols, rows }) => channel.resize(cols, rows));
  channel.resize(term.cols, term.rows);
  const refit = () => fit.fit();
  window.addEventListener("resize", refit);
  const terminate = async () => {
    if (ended) return;
    ended = true;
    window.removeEventListener("resize", refit);
    // The service ends the session with channel_closed; closing the socket alone would leave it to resume.
    try { await call("TerminateSession", { SessionId: session.SessionId }); } catch (_) { /* already over */ }
    setTimeout(() => { channel.close(); term.dispose(); }, 1000);
  };
  end.onclick = terminate;
  return terminate;
}

export async function render(root, query) {
  const shell = h("div", { class: "shell-panel" });
  const lists = h("div", {});
  const form = h("form", { class: "inline", onsubmit: async (e) => {
    e.preventDefault();
    if (stopShell) await stopShell();
    stopShell = await openShell(shell, new FormData(form).get("target"), refresh);
  } });
  replace(root, h("h2", {}, "Session Manager"), form, shell, lists);
  let stopShell = null;

  const terminate = async (id) => {
    try { await call("TerminateSession", { SessionId: id }); } catch (err) { lists.prepend(errorBox(err)); }
    refresh();
  };
  async function refresh() {
    try {
      const [active, ended] = await Promise.all([
        all("DescribeSessions", { State: "Active", MaxResults: 200 }, "Sessions"),
        all("DescribeSessions", { State: "History", MaxResults: 200 }, "Sessions", 200),
      ]);
      replace(lists, h("h3", {}, "Active sessions"), sessionTable(active, terminate),
        h("h3", {}, "Session history"), sessionTable(ended, null));
    } catch (err) {
      replace(lists, errorBox(err, "Session Manager"));
    }
  }

  try {
    const instances = await all("DescribeInstanceInformation", { MaxResults: 50 }, "InstanceInformationList");
    const wanted = query.get("target");
    replace(form,
      h("label", {}, "Instance ", h("select", { name: "target", required: true },
        instances.map((i) => h("option", { value: i.InstanceId, selected: i.InstanceId === wanted },
          `${i.InstanceId} ${i.ComputerName || ""} (${i.PingStatus})`)))),
      h("button", { type: "submit", disabled: !instances.length }, "Start session"));
  } catch (err) {
    replace(form, errorBox(err, "Session Manager"));
  }
  await refresh();
  return () => { if (stopShell) stopShell(); };
}
