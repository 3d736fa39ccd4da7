"""The web console against real managed instances (Docker containers of the test image): the instance list, a
command sent from the page with its output followed live, and a shell in the browser over the data channel."""
from __future__ import annotations

import os
import re
import time

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


def wait_for_line(page, wanted: str, timeout: float = 20) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = terminal_lines(page)
        if wanted in [line.strip() for line in lines]:
            return lines
        time.sleep(0.1)
    raise AssertionError(f"no line {wanted!r} in the terminal:\n" + "\n".join(terminal_lines(page)))


def test_a_shell_in_the_browser_runs_on_the_container(server, ssm, instance_id, console_page):
    wait_online(ssm, instance_id)
    tab = console_page(server)
    page = tab.open(f"sessions?target={instance_id}")
    page.get_by_role("button", name="Start session").click()
    terminal = page.locator(".terminal[data-ready='true']")
    terminal.wait_for(timeout=20_000)
    session_id = terminal.get_attribute("data-session-id")
    wait_for_line_matching(page, r".*[#$]$")  # the prompt: typed ahead of it, bash would show it twice

    page.locator(".terminal .xterm-helper-textarea").focus()
    page.keyboard.type("echo hi")
    page.keyboard.press("Enter")
    wait_for_line(page, "hi")
    # The terminal's size reached the pty: the browser sent a size message after the handshake.
    page.keyboard.type("stty size")
    page.keyboard.press("Enter")
    rows = page.evaluate("document.querySelector('.terminal .xterm-rows').children.length")
    size = wait_for_line_matching(page, r"^\d+ \d+$")[0].split()  # stty size: rows, then columns
    assert int(size[0]) == rows and int(size[1]) > 80
    page.keyboard.type("cat /etc/hostname; echo done-$((40 + 2))")
    page.keyboard.press("Enter")
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
