"""Playwright driving Debian's Chromium (/usr/bin/chromium) against pytest-django's live server.

Without Playwright or Chromium these tests skip locally and fail in CI
(QIANCUN_REQUIRE_SERVICES=1). Screenshots go to test-artifacts/screenshots/.

Every browser (Phone) records Content-Security-Policy violations, from the
`securitypolicyviolation` event of every document and from Chromium's
"Refused to ..." console messages, and fails the test at close if there was one.
"""
import os
import pathlib
from urllib.parse import urlsplit

import pytest

from tests.conftest import need_service

CHROMIUM = os.environ.get("PLAYWRIGHT_CHROMIUM_EXECUTABLE", "/usr/bin/chromium")
ARTIFACTS = pathlib.Path(os.environ.get("QIANCUN_ARTIFACTS", pathlib.Path(__file__).resolve().parents[2] / "test-artifacts"))
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}

# Runs in every document before its own scripts (through the DevTools protocol, so the page's CSP does
# not apply to it): reports each CSP violation to the test through an exposed binding.
WATCH_CSP = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolation([e.effectiveDirective || e.violatedDirective, e.blockedURI, e.sourceFile + ":" + e.lineNumber,
                         (e.sample || "").slice(0, 80)].join(" | "));
});
"""


@pytest.fixture(scope="session")
def chromium():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the dev extra installs it
        need_service("Chromium", False, "the playwright package is not installed")
    need_service("Chromium", os.path.exists(CHROMIUM), f"{CHROMIUM} is missing (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the
    # tests make between browser steps are ordinary synchronous calls.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--disable-gpu", "--disable-dev-shm-usage"])
        yield browser
        browser.close()


@pytest.fixture
def screenshots():
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Phone:
    """One user's browser on a 375×812 phone (or a 1280×900 desktop), refusing any request to another
    host and recording every Content-Security-Policy violation."""

    def __init__(self, browser, live_server, screenshots, desktop=False):
        self.base = live_server.url
        self.host = urlsplit(self.base).netloc
        self.screenshots = screenshots
        self.outside_requests = []
        self.csp_violations = []
        self.viewport = DESKTOP if desktop else PHONE
        if desktop:
            self.context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
        else:
            self.context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN")
        self.context.route("**/*", self._only_our_host)
        self.context.expose_binding("__cspViolation", lambda source, text: self.csp_violations.append(f"{source['frame'].url}: {text}"))
        self.context.add_init_script(WATCH_CSP)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.set_default_timeout(15_000)

    def _console(self, message):
        if message.text.startswith("Refused to"):
            self.csp_violations.append(f"{self.page.url}: console: {message.text}")

    def _only_our_host(self, route):
        if urlsplit(route.request.url).netloc != self.host and not route.request.url.startswith(("data:", "blob:")):
            self.outside_requests.append(route.request.url)
            return route.abort()
        return route.continue_()

    def go(self, path):
        self.page.goto(self.base + path)
        return self.page

    def login(self, username, password):
        page = self.go("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit].primary")
        page.wait_for_url(self.base + "/")
        return page

    def shot(self, name):
        """Screenshot the whole page, and check it does not scroll sideways on the phone."""
        self.page.screenshot(path=str(self.screenshots / f"{name}.png"), full_page=True)
        width = self.page.evaluate("document.documentElement.scrollWidth")
        assert width <= self.viewport["width"], f"{name}: the page is {width}px wide on a {self.viewport['width']}px screen"

    def close(self):
        self.context.close()
        assert not self.outside_requests, f"requests to other hosts: {self.outside_requests}"
        assert not self.csp_violations, "Content-Security-Policy violations:\n" + "\n".join(self.csp_violations)


@pytest.fixture
def phone(chromium, live_server, screenshots):
    phones = []

    def make(desktop=False):
        device = Phone(chromium, live_server, screenshots, desktop=desktop)
        phones.append(device)
        return device

    yield make
    for device in phones:
        device.close()


def draw_charts(page):
    """Scroll every chart and the map into view, then back to the top: the dashboard draws each one only when it
    comes near the screen (static/js/dashboard.js)."""
    for element in page.locator("[data-chart], [data-outline]").all():
        element.scroll_into_view_if_needed()
        element.and_(page.locator("[data-near]")).wait_for(state="attached")  # the observer has seen it
    page.evaluate("window.scrollTo(0, 0)")
