"""The web console in a real browser (Chromium, headless): served offline from the package, Parameter Store
browsed and edited through it, read views, and the console held to the emulator's auth settings.

The console is a client of the SSM API, so each test checks the browser's side against boto3's."""
from __future__ import annotations

import json
import re
import urllib.request

import pytest

from conftest import ROOT, EmulatorProcess, make_client

STATIC = ROOT / "emulator" / "console" / "static"


@pytest.fixture
def server(emulator: EmulatorProcess) -> EmulatorProcess:
    emulator.admin("POST", "/_emulator/reset")
    return emulator


@pytest.fixture
def ssm(server: EmulatorProcess):
    return make_client(server.url)


def test_console_is_served_from_the_package_with_nothing_from_elsewhere(server, console_page):
    tab = console_page(server)
    page = tab.open()
    page.get_by_role("heading", name="Parameter Store").wait_for()
    page.wait_for_load_state("networkidle")
    assert tab.foreign_requests == []
    assert tab.failed_requests == []
    assert tab.script_errors == []
    # No page or script names another host: every asset, xterm.js included, is in the package.
    for path in STATIC.rglob("*"):
        if path.suffix in (".html", ".js", ".css"):
            assert not re.search(r"""(src|href)=["']?(https?:)?//""", path.read_text()), path
    with urllib.request.urlopen(server.url + "/_emulator/console/") as r:
        assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    with urllib.request.urlopen(server.url + "/_emulator/console/vendor/xterm/xterm.mjs") as r:
        assert r.headers["Content-Type"].startswith("text/javascript")
    with urllib.request.urlopen(server.url + "/_emulator/console") as r:  # redirected to the slash form
        assert r.url.endswith("/_emulator/console/")
    assert "xterm.js authors" in (STATIC / "vendor" / "xterm" / "LICENSE").read_text()
    assert f"ssm-emulator console: {server.url}/_emulator/console/" in server.log()  # linked from the start-up log


def test_a_parameter_created_in_the_console_is_in_the_api(server, ssm, console_page):
    tab = console_page(server)
    page = tab.open()
    form = page.locator("form.create")
    form.get_by_label("Name").fill("/console/app/greeting")
    form.get_by_label("Type").select_option("String")
    form.get_by_label("Value").fill("hello from the browser")
    form.get_by_label("Description").fill("made in the console")
    form.get_by_role("button", name="Create parameter").click()
    page.locator("h3.parameter-name", has_text="/console/app/greeting").wait_for()

    parameter = ssm.get_parameter(Name="/console/app/greeting")["Parameter"]
    assert (parameter["Value"], parameter["Type"], parameter["Version"]) == ("hello from the browser", "String", 1)
    described = ssm.describe_parameters()["Parameters"][0]
    assert described["Description"] == "made in the console"
    # The caller is the browser's signature: the default credentials act as the default account.
    assert ":123456789012:" in parameter["ARN"]
    assert tab.script_errors == []


def test_parameters_browse_as_a_hierarchy_with_history_labels_and_secure_strings_hidden(server, ssm, console_page):
    ssm.put_parameter(Name="/app/db/host", Value="db-1.internal", Type="String")
    ssm.put_parameter(Name="/app/db/host", Value="db-2.internal", Type="String", Overwrite=True)
    ssm.label_parameter_version(Name="/app/db/host", ParameterVersion=1, Labels=["previous"])
    ssm.put_parameter(Name="/app/db/password", Value="s3cret-value", Type="SecureString")
    ssm.put_parameter(Name="/app/web/port", Value="8080", Type="String")
    ssm.put_parameter(Name="toplevel", Value="x", Type="StringList")

    tab = console_page(server)
    page = tab.open()
    tree = page.locator(".tree-panel")
    tree.get_by_text("4 parameters").wait_for()
    assert tree.locator("summary.folder").all_inner_texts() == ["app/", "db/", "web/"]
    tree.get_by_role("link", name="host String").click()
    detail = page.locator(".detail-panel")
    detail.locator("h3.parameter-name", has_text="/app/db/host").wait_for()
    history = detail.locator("table tbody tr")
    assert history.count() == 2
    assert "db-2.internal" in history.nth(0).inner_text()
    assert "previous" in history.nth(1).inner_text()

    # A label added in the console is on the version the API sees.
    detail.get_by_label("Version").select_option("2")
    detail.get_by_label("Label").fill("current")
    detail.get_by_role("button", name="Add label").click()
    detail.locator("table tbody tr").nth(0).get_by_text("current").wait_for()
    versions = ssm.get_parameter_history(Name="/app/db/host")["Parameters"]
    assert [v.get("Labels", []) for v in versions] == [["previous"], ["current"]]

    # A SecureString's value is not in the page until revealed.
    page.goto(f"{server.url}/_emulator/console/#/parameters?name=%2Fapp%2Fdb%2Fpassword")
    detail.locator("h3.parameter-name", has_text="/app/db/password").wait_for()
    assert "s3cret-value" not in page.content()
    assert "SecureString" in detail.locator("dl.facts").inner_text()
    tab.screenshot("parameter-store")
    detail.locator("dl.facts").get_by_role("button", name="Reveal").click()
    detail.locator("dl.facts").get_by_text("s3cret-value").wait_for()
    assert tab.script_errors == []


def test_read_views_show_automation_steps_and_tolerate_operations_that_are_not_there(server, ssm, console_page):
    ssm.create_document(
        Name="ConsoleRunbook", DocumentType="Automation", DocumentFormat="JSON",
        Content=json.dumps({"schemaVersion": "0.3", "mainSteps": [
            {"name": "nap", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}},
            {"name": "again", "action": "aws:sleep", "inputs": {"Duration": "PT0S"}},
        ]}),
    )
    execution_id = ssm.start_automation_execution(DocumentName="ConsoleRunbook")["AutomationExecutionId"]
    tab = console_page(server)
    page = tab.open("automation")
    page.get_by_role("link", name=execution_id).click()
    steps = page.locator("table tbody tr")
    steps.filter(has_text="again").get_by_text("Success").wait_for()
    assert [row.split("\t")[0] for row in steps.all_inner_texts()] == ["nap", "again"]
    tab.screenshot("automation")

    for route, heading in (("associations", "Associations"), ("inventory", "Inventory"),
                           ("compliance", "Compliance"), ("opsitems", "OpsItems")):
        page = tab.open(route)
        page.get_by_role("heading", name=heading, exact=True).wait_for()
        page.locator("main .loading").wait_for(state="detached")
        assert page.locator("main .error").count() == 0, page.locator("main").inner_text()
    assert tab.script_errors == []


def test_the_plain_sha256_and_hmac_agree_with_webcrypto(server, console_page):
    """The fallback for pages opened over plain http at a non-local address, where crypto.subtle is absent."""
    page = console_page(server).open()
    agree = page.evaluate("""async () => {
        const c = await import('./js/crypto.js');
        const results = [];
        for (const size of [0, 1, 55, 56, 63, 64, 65, 1000, 100000]) {
            const data = new Uint8Array(size).map((_, i) => (i * 7 + size) & 0xff);
            const key = new Uint8Array(size % 100 + 1).map((_, i) => i);
            results.push(c.toHex(c.sha256Plain(data)) === c.toHex(await c.sha256(data)));
            results.push(c.toHex(c.hmacPlain(key, data)) === c.toHex(await c.hmacSha256(key, data)));
        }
        return results;
    }""")
    assert agree and all(agree)


# --- auth ---------------------------------------------------------------------------------------------------
@pytest.fixture
def verifying_server(start_emulator, tmp_path) -> EmulatorProcess:
    config = tmp_path / "keys.toml"
    config.write_text('[[access_keys]]\naccess_key_id = "AKIDCONSOLE"\nsecret_access_key = "console-secret"\n'
                      'account_id = "444455556666"\n')
    return start_emulator("--ephemeral", "--config", str(config), "--verify-signatures")


def test_with_signatures_verified_the_console_signs_with_the_credentials_entered(verifying_server, console_page):
    ssm = make_client(verifying_server.url, access_key="AKIDCONSOLE", secret_key="console-secret")
    ssm.put_parameter(Name="/team/owner", Value="alice", Type="String")

    tab = console_page(verifying_server)
    page = tab.open()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("verifies SigV4 signatures").wait_for()
    # Behind the dialog the default credentials were refused, as boto3 with an unknown key would be.
    assert "UnrecognizedClientException" in page.locator("main .error").inner_text()

    dialog.get_by_label("Access key ID").fill("AKIDCONSOLE")
    dialog.get_by_label("Secret access key").fill("not-the-secret")
    dialog.get_by_role("button", name="Use these credentials").click()
    page.locator("main .error", has_text="InvalidSignatureException").wait_for()

    page.get_by_role("button", name="set an access key and secret").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Access key ID").fill("AKIDCONSOLE")
    dialog.get_by_label("Secret access key").fill("console-secret")
    dialog.get_by_role("button", name="Use these credentials").click()
    page.get_by_role("link", name="owner String").click()
    page.locator("dl.facts").get_by_text("alice").wait_for()
    assert "444455556666" in page.locator("dl.facts").inner_text()  # the key's account, from its ARN

    # The page's origin grants nothing: an unsigned call from it is refused like any other.
    status = page.evaluate("""async () => (await fetch('/', {method: 'POST', body: '{}', headers: {
        'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'AmazonSSM.DescribeParameters'}})).status""")
    assert status == 400
    assert tab.script_errors == []


def test_without_verification_a_twelve_digit_access_key_chooses_the_account(server, console_page):
    make_client(server.url, access_key="111122223333").put_parameter(Name="mine", Value="1", Type="String")
    make_client(server.url).put_parameter(Name="default-account", Value="1", Type="String")
    tab = console_page(server)
    page = tab.open()
    page.get_by_role("link", name="default-account String").wait_for()
    page.locator("#credentials").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Signatures are not verified").wait_for()
    dialog.get_by_label("Access key ID").fill("111122223333")
    dialog.get_by_role("button", name="Use these credentials").click()
    page.get_by_role("link", name="mine String").wait_for()
    assert page.get_by_role("link", name="default-account String").count() == 0
    assert page.locator("#who").inner_text() == "111122223333 · us-east-1"
