"""Fixtures that start a real browser for the web console's tests: Debian's Chromium, headless, driven by
Playwright. `scripts/setup-test-machine.sh` (run by `make test`) installs Chromium; Playwright comes with the
test extra. Playwright's own browser download is never used (the machine may have no way to it).

In CI (CI=true) a missing browser fails the run, as a missing Docker engine does; elsewhere the tests skip.
Screenshots go to tests/artifacts/console/ (ignored by git), kept after the run for a person to look at.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from fixtures_instances import unavailable

CHROMIUM = os.environ.get("SSM_EMULATOR_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "console"
VIEWPORT = {"width": 1440, "height": 900}


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright is not installed (pip install -e '.[test]')")
    if not os.access(CHROMIUM, os.X_OK):
        unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


@dataclass
class ConsolePage:
    """A browser tab on one emulator's console, remembering what went wrong in it: script errors, failed
    requests, and any request that left the emulator's origin (the console must work offline)."""

    page: object
    base_url: str
    script_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)

    def open(self, route: str = "parameters") -> object:
        self.page.goto(f"{self.base_url}/_emulator/console/#/{route}")
        return self.page

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def console_page(browser) -> Iterator[object]:
    """Call with a server: `console_page(server)` gives a fresh tab (own storage) on its console."""
    contexts = []

    def open_for(server) -> ConsolePage:
        context = browser.new_context(viewport=VIEWPORT)
        contexts.append(context)
        page = context.new_page()
        tab = ConsolePage(page, server.url)
        page.on("pageerror", lambda error: tab.script_errors.append(str(error)))
        page.on("requestfailed", lambda request: tab.failed_requests.append(f"{request.url} {request.failure}"))
        page.on("request", lambda request: None if request.url.startswith((server.url, "data:", "blob:"))
                else tab.foreign_requests.append(request.url))
        return tab

    yield open_for
    for context in contexts:
        context.close()
