"""The app works under its own Content-Security-Policy: signing in, the field app's first
sync and its screens, the supervisor's page, with no violation reported. (The other
browser tests bypass the CSP because Playwright's wait_for_function needs eval.)"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage

from tests.e2e.fixtures import PASSWORD, WORKER_A

pytestmark = pytest.mark.e2e

# Injected through the browser (not the page), so the CSP does not apply to it.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
});
"""


def test_the_field_app_runs_under_its_csp(new_context: Callable[..., BrowserContext]) -> None:
    ctx = new_context(bypass_csp=False)
    ctx.add_init_script(REPORT_VIOLATIONS)
    page = ctx.new_page()
    problems: list[str] = []

    def note(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "CSP violation" in message.text:
            problems.append(message.text)

    page.on("console", note)
    page.on("pageerror", lambda error: problems.append(str(error)))

    response = page.goto("/login?next=/app%3Fsignin%3D1")
    assert response is not None
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    page.fill("#phone", WORKER_A)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    # the app took a device token, synced and drew the household list
    page.wait_for_selector("#hh-list li")
    assert page.locator("#hh-list li").count() == 12
    page.goto("/app#/checks")
    page.wait_for_selector("#tabs:not([hidden])")
    page.goto("/app#/more")
    page.wait_for_selector("#signout")
    page.goto("/devices")
    page.wait_for_selector("main")
    page.goto("/")
    page.wait_for_selector("main")
    assert problems == []
