"""The web console against real managed instances (Docker containers of the test image): the instance list, a
command sent from the page with its output followed live, and a shell in the browser over the data channel,
resumed (ResumeSession) when its websocket drops."""
from __future__ import annotations

import os
import re
import time
import urllib.request

import pytest

from conftest import ROOT
from test_run_command import register_container, server, ssm  # noqa: F401  (fixtures too)

# `SSM_EMULATOR_UPDATE_README_SCREENSHOT=1` rewrites the README's picture of the console from this run.
README_SCREENSHOT = ROOT / "docs" / "console.png"


@pytest.fixture
def instance_id(server, make_container) -> str:
    return register_container(server, make_container(), tags={"Role": "web", "Env": "console-test"})


def wait_online(ssm, instance_id: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = ssm.describe_instance_information(
            Filters=[{"Key": "InstanceIds", "Values": [instance_id]}])["InstanceInformationList"]
        if found and found[0]["PingStatus"] == "Online":
            return
        time.sleep(0.2)
    raise AssertionError(f"{instance_id} not Online after {timeout}s")


def test_instances_show_status_platform_and_tags(server, ssm, instance_id, console_page):
    wait_online(ssm, instance_id)
    tab = console_page(server)
    page = tab.open("instances")
    row = page.locator("tbody tr", has_text=instance_id)
    row.get_by_text("Online").wait_for()
    text = row.inner_text()
    assert "Linux" in text and "Debian" in text
    assert "Role=web" in text and "Env=console-test" in text
    tab.screenshot("managed-instances")
    row.get_by_role("link", name="Run command").click()
    page.get_by_role("checkbox", name=re.compile(instance_id)).wait_for()
    assert page.get_by_role("checkbox", name=re.compile(instance_id)).is_checked()
    assert tab.script_errors == []


def test_a_command_sent_from_the_console_runs_and_its_output_shows_live(server, ssm, instance_id, console_page):
    wait_online(ssm, instance_id)
    tab = console_page(server)
    page = tab.open(f"run?target={instance_id}")
    form = page.locator("form.send")
    commands = form.locator("textarea[name='param:commands']")
    commands.wait_for()
    commands.fill('echo "from the console: $((6 * 7))"\ncat /etc/os-release | head -1')
    form.get_by_label("Comment").fill("console test")
    form.get_by_role("button", name="Run").click()

    card = page.locator(f"section.invocation[data-instance='{instance_id}']")
    card.locator("h3").get_by_text("Success").wait_for(timeout=30_000)
    output = card.locator("pre.output").inner_text()
    assert "from the console: 42" in output and "Debian" in output
    command_id = page.url.split("id=")[1]
    invocation = ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
    assert invocation["Status"] == "Success" and "from the console: 42" in invocation["StandardOutputContent"]
    assert ssm.list_commands(CommandId=command_id)["Commands"][0]["Comment"] == "console test"
    tab.screenshot("run-command")

    page = tab.open("commands")
    page.get_by_role("link", name=command_id).wait_for()
    assert "Success" in page.locator("tbody tr", has_text=command_id).inner_text()
    tab.screenshot("command-history")
    assert tab.script_errors == []


def terminal_lines(page) -> list[str]:
    return [line.rstrip() for line in page.locator(".xterm-rows > div").all_inner_texts()]


def enter(page, line: str) -> None:
    """Type a line into the focused terminal, and Enter."""
    page.keyboard.type(line)
    page.keyboard.press("Enter")


def wait_for_line(page, wanted: str, timeout: float = 20) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = terminal_lines(page)
        if wanted in [line.strip() for line in lines]:
            return lines
        time.sleep(0.1)
    raise AssertionError(f"no line {wanted!r} in the terminal:\n" + "\n".join(terminal_lines(page)))


def start_shell(tab, instance_id: str) -> tuple[object, str]:
    """Start a shell from the Session Manager page; (the page, its session id) once the prompt shows."""
    page = tab.open(f"sessions?target={instance_id}")
    page.get_by_role("button", name="Start session").click()
    terminal = page.locator(".terminal[data-ready='true']")
    terminal.wait_for(timeout=20_000)
    wait_for_line_matching(page, r".*[#$]$")  # the prompt: typed ahead of it, bash would show it twice
    page.locator(".terminal .xterm-helper-textarea").focus()
    return page, terminal.get_attribute("data-session-id")


def test_a_shell_in_the_browser_runs_on_the_container(server, ssm, instance_id, console_page):
    wait_online(ssm, instance_id)
    tab = console_page(server)
    page, session_id = start_shell(tab, instance_id)
    enter(page, "echo hi")
    wait_for_line(page, "hi")
    # The terminal's size reached the pty: the browser sent a size message after the handshake.
    enter(page, "stty size")
    rows = page.evaluate("document.querySelector('.terminal .xterm-rows').children.length")
    size = wait_for_line_matching(page, r"^\d+ \d+$")[0].split()  # stty size: rows, then columns
    assert int(size[0]) == rows and int(size[1]) > 80
    enter(page, "cat /etc/hostname; echo done-$((40 + 2))")
    wait_for_line(page, "done-42")
    page.locator("tbody tr", has_text=session_id).get_by_text("Connected").wait_for()
    tab.screenshot("session-manager")
    if os.environ.get("SSM_EMULATOR_UPDATE_README_SCREENSHOT") == "1":
        README_SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(README_SCREENSHOT))

    active = ssm.describe_sessions(State="Active")["Sessions"]
    assert [s["SessionId"] for s in active] == [session_id] and active[0]["Target"] == instance_id
    page.get_by_role("button", name="Terminate session").click()
    page.locator(".session-status", has_text="Session ended").wait_for()
    deadline = time.monotonic() + 10
    while ssm.describe_sessions(State="Active")["Sessions"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert ssm.describe_sessions(State="Active")["Sessions"] == []
    history = ssm.describe_sessions(State="History")["Sessions"]
    assert [(s["SessionId"], s["Status"]) for s in history] == [(session_id, "Terminated")]
    assert tab.script_errors == []


def wait_for_line_matching(page, pattern: str, timeout: float = 20) -> list[str]:
    """The terminal's lines matching `pattern` (stripped), once there is one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [line for line in terminal_lines(page) if re.match(pattern, line.strip())]
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no line matching {pattern!r}:\n" + "\n".join(terminal_lines(page)))


# --- a dropped websocket ---------------------------------------------------------------------------------------
DATA_CHANNEL = re.compile(r".*/v1/data-channel/.*")


class Link:
    """The page's data-channel websockets, routed through Playwright to the emulator so the test can cut them:
    `drop()` closes the current one from the emulator's side (the page's socket closes too, with no
    channel_closed), and while `down` the page's new sockets are closed at once without reaching the emulator,
    as an unreachable network would."""

    def __init__(self, page) -> None:
        self.servers: list[object] = []
        self.refused = 0
        self.down = False
        page.route_web_socket(DATA_CHANNEL, self._route)

    def _route(self, ws) -> None:
        if self.down:
            self.refused += 1
            ws.close()
            return
        self.servers.append(ws.connect_to_server())

    def drop(self) -> None:
        self.down = True
        self.servers[-1].close()


def until(page, condition, what: str, timeout: float = 20) -> None:
    """Poll through Playwright (page.wait_for_timeout), so its routing handlers run while the test waits."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        page.wait_for_timeout(100)


def transcript(server, session_id: str) -> str:
    """Everything the emulator has sent (or kept for) the session's client so far."""
    with urllib.request.urlopen(f"{server.url}/_emulator/sessions/{session_id}/transcript", timeout=10) as r:
        return r.read().decode(errors="replace")


def session_status(ssm, session_id: str) -> str | None:
    found = [s for s in ssm.describe_sessions(State="Active")["Sessions"] if s["SessionId"] == session_id]
    return found[0]["Status"] if found else None


def test_the_browser_shell_resumes_after_its_websocket_drops(server, ssm, instance_id, console_page):
    wait_online(ssm, instance_id)
    tab = console_page(server)
    link = Link(tab.page)
    page, session_id = start_shell(tab, instance_id)
    enter(page, "X=kept-$((3*3)); echo before-resume")
    wait_for_line(page, "before-resume")

    enter(page, "sleep 2; echo away-$((6*7))")
    until(page, lambda: "echo away-$((6*7))" in transcript(server, session_id), "the shell to take the command")
    link.drop()
    page.locator(".session-status", has_text="reconnecting").wait_for(timeout=5_000)
    until(page, lambda: session_status(ssm, session_id) == "Disconnected", "the session to be Disconnected")
    # The echo's output comes while no websocket is open: the emulator keeps it unacked for the resumed one.
    until(page, lambda: "away-42" in transcript(server, session_id), "the output made while disconnected")
    assert link.refused >= 1  # at least one resume attempt failed on the way
    link.down = False

    page.locator(".terminal[data-ready='true']").wait_for(timeout=15_000)
    wait_for_line(page, "away-42")
    enter(page, "echo after-resume $X")
    wait_for_line(page, "after-resume kept-9")  # the same shell, its variable still set
    lines = [line.strip() for line in terminal_lines(page)]
    assert lines.count("away-42") == 1 and lines.count("before-resume") == 1  # resent output shown once
    assert len(link.servers) == 2  # one resumed websocket, no more
    assert session_status(ssm, session_id) == "Connected"
    assert page.locator(".session-status").inner_text().startswith("Connected")
    page.locator("tbody tr", has_text=session_id).get_by_text("Connected").wait_for()

    page.get_by_role("button", name="Terminate session").click()
    page.locator(".session-status", has_text="Session ended").wait_for()
    assert tab.script_errors == []


def test_the_browser_shell_gives_up_resuming_after_a_few_tries(server, ssm, instance_id, console_page):
    wait_online(ssm, instance_id)
    tab = console_page(server)
    link = Link(tab.page)
    page, session_id = start_shell(tab, instance_id)
    link.drop()  # and the network stays down
    status = page.locator(".session-status", has_text="could not be resumed after 5 tries")
    until(page, lambda: status.count() == 1, "the page to give up", timeout=30)
    assert link.refused == 5
    assert page.get_by_role("button", name="Terminate session").is_disabled()
    # The emulator keeps the shell for a client that comes back (ResumeSession still answers); end it here.
    assert session_status(ssm, session_id) == "Disconnected"
    ssm.terminate_session(SessionId=session_id)
    until(page, lambda: session_status(ssm, session_id) is None, "the session to end")
    assert tab.script_errors == []
