"""Browser tests: Playwright's sync API driving Debian's Chromium against pytest-django's
live server. Playwright's own browser downloads are never used (`playwright install` is not
part of the setup); ./dev installs the `chromium` package instead."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import service_missing

CHROMIUM = Path(os.environ.get("FIDO_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "test" / "screenshots"
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's password


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One Chromium per module. Playwright's sync API runs an event loop in this thread, and
    Django refuses database work in a thread with a running loop unless told that this is
    deliberate: the permission lasts exactly as long as the loop, so that it never leaks into
    other tests (nor into `check --deploy`, which rightly refuses it)."""
    if not CHROMIUM.exists():
        service_missing(f"needs Chromium at {CHROMIUM} (apt-get install chromium)",
                        service="chromium")
    from playwright.sync_api import sync_playwright

    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                  args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(browser, live_server, request) -> Iterator[object]:
    """A fresh browser context (no cookies) per test; a screenshot of the page on failure."""
    context = browser.new_context(base_url=live_server.url, locale="en-GB",
                                  viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("::", 1)[-1])
        tab.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    context.close()


def log_in(page, username: str, password: str = PASSWORD) -> None:
    """Through the real login form, as a person would."""
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
