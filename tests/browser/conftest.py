"""Browser journeys in Debian's Chromium (never a test tool's own download) against a live
server, with axe-core accessibility checks (WCAG 2.2 AA) on every page visited."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from agencies.services import totp_device_set
from tests.signin import PASSWORD, TOTP_KEY, current_code

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# (factories, assertions) are still synchronous and safe there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE_SOURCE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    missing = not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists()
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)
            if missing:
                item.add_marker(pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


class Journey:
    """A person's path through the pages: every page is checked by axe-core and for
    Content Security Policy violations before the test goes on."""

    def __init__(self, page: Any, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.csp_violations: list[str] = []
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    def sign_in(self, user: Any, password: str = PASSWORD) -> Any:
        """Password, then the code from the authenticator app, as a person would. A user with
        no confirmed device (a factory's) is given one keyed with the tests' own key."""
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or totp_device_set(
            user=user, key_hex=TOTP_KEY
        )
        page = self.visit("/sign-in/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", name="Enter your security code")).to_be_visible()
        self.check()
        page.get_by_label("Security code").fill(current_code(device))
        page.get_by_role("button", name="Sign in").click()
        self.check()
        return page

    def visit(self, path: str) -> Any:
        self.page.goto(f"{self.base_url}{path}")
        self.check()
        return self.page

    def check(self) -> None:
        """No serious or critical WCAG 2.2 AA violations, and no CSP violations, on this page."""
        self.page.wait_for_load_state("networkidle")
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            self.page.evaluate(AXE_SOURCE.read_text(encoding="utf-8"))
        results = self.page.evaluate(
            "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
        )
        serious = [
            f"{violation['id']} ({violation['impact']}): {violation['help']} at "
            + ", ".join(node["target"][0] for node in violation["nodes"][:3])
            for violation in results["violations"]
            if violation["impact"] in ("serious", "critical")
        ]
        assert not serious, f"{self.page.url}: {serious}"
        assert not self.csp_violations, self.csp_violations


@pytest.fixture
def journey(page: Any, live_server: Any) -> Journey:
    return Journey(page, live_server.url)
