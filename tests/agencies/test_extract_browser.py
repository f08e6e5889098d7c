"""Partner IT's extract pages in Debian's Chromium: axe-core (WCAG 2.2 AA), no CSP violations,
and the run page's htmx polling, which stops and reloads the page once the run has ended."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from agencies.models import ExtractRun, ExtractRunStatus
from agencies.services import extract_receive, totp_device_set
from tests.agencies.test_extract_support import corpus_dataset, csv_bytes, partner_it, row, upload
from tests.signin import PASSWORD, TOTP_KEY, current_code

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE_SOURCE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists(),
        reason=f"no Chromium at {CHROMIUM}",
    ),
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--no-first-run"],
    }


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


class Visit:
    """Pages seen by a signed-in user, each checked by axe-core and for CSP violations."""

    def __init__(self, page: Any, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.csp_violations: list[str] = []
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    def sign_in(self, user: Any) -> None:
        device = totp_device_set(user=user, key_hex=TOTP_KEY)
        self.page.goto(f"{self.base_url}/sign-in/")
        self.page.fill("#id_username", user.username)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.fill("input[name=token]", current_code(device))
        self.page.click("button[type=submit]")

    def go(self, path: str) -> Any:
        self.page.goto(f"{self.base_url}{path}")
        self.check()
        return self.page

    def check(self) -> None:
        self.page.wait_for_load_state("networkidle")
        self.page.evaluate(AXE_SOURCE.read_text(encoding="utf-8"))
        results = self.page.evaluate(
            "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
        )
        serious = [
            f"{violation['id']}: {violation['help']}"
            for violation in results["violations"]
            if violation["impact"] in ("serious", "critical")
        ]
        assert not serious, f"{self.page.url}: {serious}"
        assert not self.csp_violations, self.csp_violations


@pytest.fixture
def setup(page, live_server):
    user = partner_it_with_dataset()
    visit = Visit(page, live_server.url)
    visit.sign_in(user["user"])
    return {**user, "visit": visit}


def partner_it_with_dataset() -> dict[str, Any]:
    from tests.factories import AgencyFactory

    agency = AgencyFactory()
    return {
        "user": partner_it(agency),
        "dataset": corpus_dataset(agency=agency, name="Adult social care"),
    }


def test_partner_it_pages_are_accessible_and_keep_to_the_csp(setup):
    visit, dataset = setup["visit"], setup["dataset"]

    for path in (
        "/partner-it/",
        "/partner-it/extracts/",
        f"/partner-it/datasets/{dataset.pk}/",
        f"/partner-it/datasets/{dataset.pk}/schema/",
        f"/partner-it/datasets/{dataset.pk}/upload/",
        "/partner-it/api-tokens/",
    ):
        visit.go(path)


def test_the_run_page_polls_until_the_run_ends_then_shows_the_result(setup):
    # Given a run in progress
    visit, user, dataset = setup["visit"], setup["user"], setup["dataset"]
    receipt = extract_receive(user=user, dataset=dataset, upload=upload(csv_bytes(row("A1"))))
    ExtractRun.objects.filter(pk=receipt.run.pk).update(
        status=ExtractRunStatus.RUNNING, step="stage", progress=40
    )
    page = visit.go(f"/partner-it/runs/{receipt.run.pk}/")
    polls = []
    page.on("request", lambda request: polls.append(request.url))

    # When the page has polled, and the run then ends
    expect(page.locator("#run-progress-bar")).to_have_attribute("value", "40")
    with page.expect_request(lambda request: "/progress/" in request.url, timeout=5000):
        pass
    ExtractRun.objects.filter(pk=receipt.run.pk).update(
        status=ExtractRunStatus.REJECTED,
        step="done",
        progress=100,
        finished_at=timezone.now(),
        rows_total=1,
        rows_rejected=1,
    )

    # Then the page reloads itself with the result and stops polling
    expect(page.get_by_text("The file was rejected and nothing was loaded.")).to_be_visible(
        timeout=6000
    )
    expect(page.locator("#run-progress")).to_have_count(0)
    visit.check()
    seen = len(polls)
    page.wait_for_timeout(2500)
    assert len(polls) == seen


def test_partner_it_check_a_file_in_the_browser(setup, tmp_path):
    visit, dataset = setup["visit"], setup["dataset"]
    extract = tmp_path / "people.csv"
    extract.write_bytes(csv_bytes(row("B1"), row("B2")))
    page = visit.go(f"/partner-it/datasets/{dataset.pk}/upload/")

    page.set_input_files("#id_file", str(extract))
    page.get_by_label("Check it only: report its problems and load nothing").check()
    page.get_by_role("button", name="Send the extract").click()

    expect(page.locator("h1")).to_contain_text("Checked only")
    visit.check()
