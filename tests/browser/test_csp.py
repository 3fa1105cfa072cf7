"""Every page of the portal in Chromium under its Content-Security-Policy: zero violations, the header on
every HTML answer, and no serious or critical accessibility problem found by axe-core, as every role of the
portal (township official, county staff, supervisor, and the anonymous visitor for the public pages), on a
1280×900 desktop and on a 375×812 phone (issue 18, item 18).

The pages come from the URL resolver, as the access matrix's do (tests/core/test_access_matrix.py): every
route with a GET row in its ACCESS table is opened by each crawl user the matrix lets in (status 200), and
a route that is opened by nobody must be listed in NOT_PAGES with the reason (and is then fetched to prove
it answers something other than HTML). The admin's index, and a changelist and a change form of every
registered model, are opened as a superuser. Where scripts build content, the crawl makes them: hovering the
dashboard's charts and map, choosing photos on the progress form (previews from blob: URLs), switching
the report form's kind, typing an amount into the allocation form; /api/docs/ must list the operations.

axe-core (tests/browser/vendor/, MPL-2.0) is injected into every document as an init script through the
DevTools protocol, which the page's CSP does not govern, and run after the CSP check of each page.
"""
import json
import pathlib
import time
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.browser.conftest import draw_charts
from tests.core.test_access_matrix import ACCESS
from tests.images import image_bytes
from tests.world import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = pathlib.Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
# Every role that uses the portal's pages (API clients use the API only): each sees different pages and buttons.
CRAWL_USERS = ("official", "county", "supervisor")
SIZES = ("desktop", "phone")

# Routes with a GET row that are not pages: fetched to prove they answer no HTML, not crawled.
NOT_PAGES = {
    "healthz": "JSON for load balancers",
    "dashboard:home": "a redirect to the user's own region's dashboard (crawled)",
    "dashboard:nation": "superusers only (no portal role is national): test_the_national_dashboard_loads_under_the_csp opens it",
    "logout": "POST only (GET answers 405)",
    "projects:photo": "an image file",
    "projects:photo_thumbnail": "an image file",
    "maintenance:inspection_photo": "an image file",
    "maintenance:inspection_photo_thumbnail": "an image file",
    "maintenance:fault_photo": "an image file",
    "maintenance:fault_photo_thumbnail": "an image file",
    "planning:plan_document": "the plan's PDF",
    "oversight:problem_photo": "an image file",
    "oversight:problem_photo_thumbnail": "an image file",
    "oversight:problems_export": "an XLSX workbook",
    "bulletins:pdf": "the published bulletin's PDF",
    "public:bulletin_pdf": "the published bulletin's PDF",
    "public:exemplar_photo": "an image file",
    "public:exemplar_photo_thumbnail": "an image file",
    "publicity:photo": "an image file",
    "publicity:photo_thumbnail": "an image file",
    "reports:ledger": "POST only: the ledger pages' export button (on the crawled ledger pages); GET answers 405",
    "dashboard:map": "JSON, fetched by the dashboard page (crawled)",
    "dashboard:outline": "JSON (the map's outlines), fetched by the dashboard page (crawled)",
    "dashboard:export": "an XLSX workbook",
    "reports:status": "JSON, polled by the report page (crawled)",
    "reports:download": "the report's file",
    "schema": "the OpenAPI document (YAML), read by /api/docs/ (crawled)",
    "imports:template": "an XLSX workbook (the import template)",
    "imports:status": "JSON, polled by the import page (crawled)",
    "inbox:open": "marks a message read and redirects to the page it names (the inbox list is crawled)",
    "offline:manifest": "the web app manifest (JSON), read by the browser from every page (crawled)",
    "offline:service_worker": "the service worker's script, registered by every page (crawled)",
    "offline:pages": "JSON: the pages a phone keeps, fetched by static/js/offline.js (on every crawled page)",
    "offline:session": "JSON: the session's CSRF token, fetched by static/js/offline.js before an upload",
}
# Every route of the API namespace answers JSON (REST_FRAMEWORK's only renderer); each GET one is fetched.
JSON_NAMESPACES = ("api:",)

# Every page is screenshotted as every crawl user who opens it, at the crawl's size, into
# test-artifacts/screenshots/csp-<route>-<user>-<size>.png: the pictures a person looks at before a change is
# done (issue 18, item 20). The admin's pages are not (Django's own).
WATCHED_AXE_IMPACTS = ("serious", "critical")
# axe-core findings in markup that is not ours, reported by the crawl (printed) but not failed on:
# swagger-ui's React components (the sidecar's bundle, unpatched) ...
THIRD_PARTY_AXE = {
    "api-docs": {
        "nested-interactive": "swagger-ui puts the copy-path and lock buttons inside each operation's summary button",
        "select-name": "swagger-ui renders an enum query parameter as a <select> with no label",
    },
}
# ... and the Django admin's own templates, widgets and CSS (breadcrumb links told apart by colour only,
# split date/time inputs without labels, select2's comboboxes without names, aria-label on SelectFilter's
# spans). Our admin has no template override; these are printed, not failed on, and axe runs on a sample
# of the admin (the index, the first changelist and change form, the user's change form) to save CI time.
ADMIN_AXE_IS_DJANGOS = True
ADMIN_AXE_SAMPLE = ("/admin/", "/admin/auth/group/", "/admin/core/user/1/change/", "/admin/projects/project/1/change/")


def _route_names(resolver=None, prefix=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # crawled from the admin's registry below
            yield from _route_names(pattern, f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix)
        elif isinstance(pattern, URLPattern):
            yield f"{prefix}{pattern.name}"


def _pages(world):
    """(route, user, url) for every page to open, and (route, url) for every GET that must not be HTML."""
    pages, not_pages = [], []
    for name in _route_names():
        for method, make_url, expected, _write in ACCESS[name]:
            if method != "get":
                continue
            if set(expected.values()) == {404}:
                continue  # a row saying what no one reaches (an unpublished bulletin on the public pages)
            url = make_url(world)
            # A page anyone may open (the public pages, the same for everyone) is crawled as the anonymous visitor.
            users = ["anonymous"] if expected["anonymous"] == 200 else [u for u in CRAWL_USERS if expected[u] == 200]
            if name in NOT_PAGES or name.startswith(JSON_NAMESPACES):
                not_pages.append((name, url, next((u for u in ("county", "official", "anonymous") if expected[u] == 200), "county")))
            else:
                assert users, f"{name}: no crawl user may open it; add a user or list it in NOT_PAGES with the reason"
                pages.extend((name, user, url) for user in users)
    return pages, not_pages


def _admin_pages(superuser):
    """The admin's index, and for every registered model its changelist and the change form of its first
    object (the add form where there is none and adding is allowed)."""
    from django.contrib import admin
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = superuser
    urls = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
        elif model_admin.has_add_permission(request):
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    return urls


@pytest.fixture
def crawl_world(transactional_db):
    world = build_world()
    # A located village, so the dashboard's map has a point to hover; figures for the dashboards.
    from dashboard import stats
    from projects.models import Project

    village = world["village"]
    village.latitude, village.longitude = Decimal("30.458333"), Decimal("119.68")
    village.save(update_fields=["latitude", "longitude"])
    Project.objects.filter(pk=world["building"].pk).update(percent_complete=45)  # a bar part-way
    stats.rebuild("")
    get_user_model().objects.create_superuser("root", password=PASSWORD)
    return world


class Crawl:
    """One user's browser (a Phone of conftest, at 1280×900 or 375×812) that opens pages and records, per
    page, CSP violations, missing CSP headers and axe-core's serious and critical findings."""

    def __init__(self, phone, live_server, username, size="desktop"):
        self.size = size
        self.device = phone(desktop=size == "desktop")
        self.device.context.add_init_script(path=str(AXE))
        self.page = self.device.page
        self.username = username
        self.problems = []  # (url, what)
        self.axe = []  # (url, rule id, impact, help, targets): ours, fail the test
        self.axe_not_ours = []  # the same, in swagger-ui's or Django admin's markup: reported
        self.opened = 0
        if username != "anonymous":
            client = Client()
            client.force_login(get_user_model().objects.get(username=username))
            self.device.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])

    def open(self, url, status=200, settle=None, name="", axe=True):
        response = self.page.goto(self.device.base + url)
        self.opened += 1
        where = f"{self.username} {self.size} {url}"
        if response.status != status:
            self.problems.append((where, f"answered {response.status}, expected {status}"))
        if not response.headers.get("content-type", "").startswith("text/html"):
            self.problems.append((where, f"not HTML: {response.headers.get('content-type')}"))
        self._check_header(where, response.headers)
        if settle:
            settle(self.page)
        if name != "admin" and self.page.locator("option", has_text="---------").count():  # the admin is Django's own
            self.problems.append((where, 'a select offers Django\'s "---------" (say what to choose, or 全部)'))
        self.check(where, name, axe)
        return self.page

    def _check_header(self, where, headers):
        policy = headers.get("content-security-policy")
        if not policy:
            self.problems.append((where, "no Content-Security-Policy header"))
        elif "unsafe-" in policy or "script-src 'self'" not in policy or "style-src 'self'" not in policy:
            self.problems.append((where, f"a weak Content-Security-Policy: {policy}"))

    def _take_violations(self, where):
        self.page.evaluate("() => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)))")  # queued events arrive
        for violation in self.device.csp_violations:
            self.problems.append((where, f"CSP: {violation}"))
        self.device.csp_violations.clear()

    def check(self, where, name="", axe=True):
        """Take the CSP violations seen so far, run axe-core, and take those seen meanwhile."""
        self._take_violations(where)
        if not axe:
            return
        # preload off: axe would otherwise re-parse the page's stylesheets in <style> elements it adds itself
        # (for one rule, css-orientation-lock), which the CSP rightly refuses.
        results = self.page.evaluate(
            """async () => {
                 const r = await axe.run(document, {resultTypes: ["violations"], preload: false});
                 return r.violations.map(v => [v.id, v.impact, v.help, v.nodes.slice(0, 3).map(n => n.target.join(" "))]);
               }"""
        )
        for rule, impact, help_text, targets in results:
            if impact not in WATCHED_AXE_IMPACTS:
                continue
            finding = (where, rule, impact, help_text, targets)
            if rule in THIRD_PARTY_AXE.get(name, {}) or (name == "admin" and ADMIN_AXE_IS_DJANGOS):
                self.axe_not_ours.append(finding)
            else:
                self.axe.append(finding)
        self._take_violations(where)

    def not_html(self, url):
        response = self.page.request.get(self.device.base + url, max_redirects=0)
        content_type = response.headers.get("content-type", "")
        if content_type.startswith("text/html") and response.status == 200:
            self.problems.append((f"{self.username} {self.size} {url}", f"listed as not a page but answers HTML ({response.status})"))
        return response.status

    def shot(self, name):
        """A full-page screenshot at this crawl's size (test-artifacts/screenshots/csp-<name>-<size>.png); on the
        phone, the page must not scroll sideways."""
        self.page.screenshot(path=str(self.device.screenshots / f"csp-{name}-{self.size}.png"), full_page=True)
        width = self.page.evaluate("document.documentElement.scrollWidth")
        if width > self.device.viewport["width"]:
            self.problems.append((f"{self.username} {self.size} {name}", f"{width}px wide on a {self.device.viewport['width']}px screen"))


def _hover_charts(page):
    """Wait for the dashboard's charts and map, then hover every chart and the map's points (above a county, the
    map has outlines and no points: its middle is hovered). A chart with no figures says so and has no canvas. Each
    is drawn when it comes near the screen: all are scrolled to first."""
    draw_charts(page)
    page.wait_for_function("() => document.querySelectorAll('[data-chart]').length >= 1"
                           " && document.querySelectorAll('[data-chart] canvas').length === document.querySelectorAll('[data-chart]').length"
                           " && document.querySelectorAll('[data-chart]').length + document.querySelectorAll('.chart-empty').length === 6")
    page.wait_for_function("() => document.querySelector('[data-outline]') && document.querySelector('[data-outline]').dataset.outlines !== undefined")
    if not page.locator("[data-map]").count():
        page.locator("[data-outline]").scroll_into_view_if_needed()
        box = page.locator("[data-outline]").bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=3)
        return
    page.wait_for_function("() => document.querySelector('[data-map]').dataset.points !== undefined")
    for chart in page.locator("[data-chart]").all():
        chart.scroll_into_view_if_needed()
        box = chart.bounding_box()
        for fx, fy in ((0.5, 0.5), (0.35, 0.4), (0.6, 0.75)):
            page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy, steps=2)
    page.locator("[data-map]").scroll_into_view_if_needed()
    points = page.evaluate(
        """() => { const el = document.querySelector('[data-map]'), box = el.getBoundingClientRect();
                   const chart = echarts.getInstanceByDom(el);
                   return chart.getOption().series[0].data.map(p => {
                     const [x, y] = chart.convertToPixel({seriesIndex: 0}, [p[0], p[1]]); return [box.left + x, box.top + y]; }); }"""
    )
    assert points, "the map has no point to hover"
    for x, y in points:
        page.mouse.move(x, y, steps=3)
        page.wait_for_function("() => [...document.querySelectorAll('[data-map] > div')].some(d => d.offsetParent && d.textContent.trim())")


def _choose_photos(tmp_path):
    def settle(page):
        photo = tmp_path / "现场.png"
        photo.write_bytes(image_bytes(fmt="PNG", size=(320, 240)))
        page.set_input_files("#id_photos", [str(photo)])
        page.wait_for_function("() => { const i = document.querySelector('.photo-previews img'); return i && i.complete && i.naturalWidth > 0; }")
        assert page.locator(".photo-previews img").get_attribute("src").startswith("blob:")

    return settle


def _switch_report_kind(page):
    page.select_option("#id_kind", "progress")
    assert page.locator("#id_format option[value=csv]").is_disabled()


def _type_amount(page):
    page.select_option("select[data-balance-source]", index=1)
    page.fill("input[data-money]", "12345")
    page.wait_for_function("() => document.querySelector('[data-balance-note]').textContent.length > 0")


def _swagger(page):
    """Swagger UI lists the operations; one opens (parameters, responses, examples) and is tried out."""
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.locator(".opblock").count() > 20, "Swagger UI lists no operations"
    ping = page.locator("#operations-ping-ping_retrieve")
    ping.locator(".opblock-summary-control").click()
    ping.locator(".try-out__btn").click()
    ping.locator(".btn.execute").click()
    status = ping.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip() == "200"
    page.mouse.move(0, 0)  # the buttons fade back in after a request: let them, before axe measures contrast
    page.wait_for_function("() => [...document.querySelectorAll('.swagger-ui .btn')].every(b => getComputedStyle(b).opacity === '1')")


@pytest.mark.parametrize("size", SIZES)
def test_every_page_loads_under_the_csp_with_no_violation(size, crawl_world, phone, live_server, tmp_path):
    """Every page as every role that may open it, at one size: CSP, axe-core, no sideways scroll on the phone, and a
    screenshot. The admin is crawled on the desktop only (it is Django's, for superusers at a desk)."""
    started = time.monotonic()
    world = crawl_world
    pages, not_pages = _pages(world)
    interactions = {
        "dashboard:region": _hover_charts,
        "projects:progress_create": _choose_photos(tmp_path),
        "maintenance:asset_inspect": _choose_photos(tmp_path),
        "maintenance:asset_fault": _choose_photos(tmp_path),
        "reports:request": _switch_report_kind,
        "funding:allocation_create": _type_amount,
        "api-docs": _swagger,
    }
    crawls = {user: Crawl(phone, live_server, user, size) for user in ("anonymous", *CRAWL_USERS, "root")}
    shot = set()
    for name, user, url in pages:
        crawl = crawls[user]
        crawl.open(url, settle=interactions.get(name), name=name)
        crawl.shot(f"{name.replace(':', '-')}-{user}")
        shot.add((name, user))
    for _name, url, user in not_pages:
        crawls[user].not_html(url)
    # The error pages a browser can meet: not found, forbidden, the CSRF failure.
    crawls["official"].open("/no-such-page/", status=404)
    crawls["official"].shot("404-official")
    crawls["official"].open(reverse("reports:request"), status=403)
    crawls["official"].shot("403-official")
    # ... a page number past the first PAGE_NUMBER_MAX_ROWS rows, a control character in the address: 400.
    crawls["county"].open(reverse("projects:progress_list") + "?page=999999", status=400)
    crawls["county"].shot("400-deep-page-county")
    crawls["county"].open("/villages/%01/", status=400)
    page = crawls["anonymous"].open(reverse("login"))
    crawls["anonymous"].device.context.clear_cookies()
    page.fill("#id_username", "official")
    page.fill("#id_password", PASSWORD)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click("button[type=submit].primary")
    assert answer.value.status == 403
    crawls["anonymous"]._check_header("anonymous CSRF failure", answer.value.headers)
    crawls["anonymous"].check("anonymous CSRF failure")
    # The Django admin, as a superuser, on the desktop.
    portal_done = time.monotonic()
    admin_urls = _admin_pages(get_user_model().objects.get(username="root")) if size == "desktop" else []
    for url in admin_urls:
        crawls["root"].open(url, name="admin", axe=url in ADMIN_AXE_SAMPLE)

    opened = sum(c.opened for c in crawls.values())
    problems = [p for c in crawls.values() for p in c.problems]
    findings = [f for c in crawls.values() for f in c.axe]
    not_ours = [f for c in crawls.values() for f in c.axe_not_ours]
    elapsed = time.monotonic() - started
    by_user = {u: sum(1 for _n, who, _u in pages if who == u) for u in ("anonymous", *CRAWL_USERS)}
    print(f"\n{size}: crawled {opened} pages ({len(pages)} portal {by_user}, {len(admin_urls)} admin, 6 error pages) "
          f"and fetched {len(not_pages)} non-HTML GETs in {elapsed:.1f}s (the admin's {time.monotonic() - portal_done:.1f}s)")
    rules = sorted({(f[0].split()[2].split("/")[1], f[1], f[2]) for f in not_ours})
    print(f"axe-core, serious and critical, in swagger-ui's and Django admin's markup ({len(not_ours)} on pages): {rules}")
    assert {user for _name, user in shot} == {"anonymous", *CRAWL_USERS}, "a role opened no page"
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(f"{w}: {p}" for w, p in problems)
    assert not findings, "axe-core, serious and critical:\n" + "\n".join(json.dumps(f, ensure_ascii=False) for f in findings)
    for crawl in crawls.values():
        crawl.device.csp_violations.clear()  # already reported above, page by page


# The pages of long-term maintenance one route at a time (the same checks as the whole crawl), to run a few of them
# while working on them: pytest tests/browser/test_csp.py -k "inspection or fault or interval".
MAINTENANCE_ROUTES = sorted(
    name for name, rows in ACCESS.items()
    if name.startswith("maintenance:") and name not in NOT_PAGES and any(row[0] == "get" for row in rows)
)


# The pages of plans and targets (issue 20), the same way: pytest tests/browser/test_csp.py -k planning.
PLANNING_ROUTES = sorted(
    name for name, rows in ACCESS.items()
    if name.startswith("planning:") and name not in NOT_PAGES and any(row[0] == "get" for row in rows)
)


# The public pages and their staff's pages (issue 21), and the imports' pages (issue 22):
# pytest tests/browser/test_csp.py -k "public or import".
PUBLIC_ROUTES = sorted(
    name for name, rows in ACCESS.items()
    if name.startswith(("public:", "publicity:", "imports:")) and name not in NOT_PAGES and any(row[0] == "get" for row in rows)
)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("route", PUBLIC_ROUTES)
def test_a_public_page_loads_under_the_csp(route, size, crawl_world, phone, live_server):
    test_a_planning_page_loads_under_the_csp(route, size, crawl_world, phone, live_server)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("route", PLANNING_ROUTES)
def test_a_planning_page_loads_under_the_csp(route, size, crawl_world, phone, live_server):
    pages = [(name, user, url) for name, user, url in _pages(crawl_world)[0] if name == route]
    assert pages, f"{route}: nothing to open"
    crawls = {}
    for name, user, url in pages:
        crawl = crawls.setdefault(user, Crawl(phone, live_server, user, size))
        crawl.open(url, name=name)
        crawl.shot(f"{name.replace(':', '-')}-{user}")
    problems = [p for c in crawls.values() for p in c.problems]
    findings = [f for c in crawls.values() for f in c.axe]
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(f"{w}: {p}" for w, p in problems)
    assert not findings, "axe-core, serious and critical:\n" + "\n".join(json.dumps(f, ensure_ascii=False) for f in findings)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("route", MAINTENANCE_ROUTES)
def test_a_maintenance_page_loads_under_the_csp(route, size, crawl_world, phone, live_server, tmp_path):
    pages = [(name, user, url) for name, user, url in _pages(crawl_world)[0] if name == route]
    assert pages, f"{route}: nothing to open"
    settle = {"maintenance:asset_inspect": _choose_photos(tmp_path), "maintenance:asset_fault": _choose_photos(tmp_path)}
    crawls = {}
    for name, user, url in pages:
        crawl = crawls.setdefault(user, Crawl(phone, live_server, user, size))
        crawl.open(url, settle=settle.get(name), name=name)
        crawl.shot(f"{name.replace(':', '-')}-{user}")
    problems = [p for c in crawls.values() for p in c.problems]
    findings = [f for c in crawls.values() for f in c.axe]
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(f"{w}: {p}" for w, p in problems)
    assert not findings, "axe-core, serious and critical:\n" + "\n".join(json.dumps(f, ensure_ascii=False) for f in findings)
    for crawl in crawls.values():
        crawl.device.csp_violations.clear()


def test_the_503_page_loads_under_the_csp(crawl_world, phone, live_server, monkeypatch):
    """The database-down page (rendered without request context) takes its look from the static stylesheet."""
    from django.db import OperationalError

    import portal.views

    def down(**kwargs):
        raise OperationalError("the database is restarting")

    monkeypatch.setattr(portal.views, "home_regions", down)  # the home page's first query (issue 17 moved it to the portal)
    crawl = Crawl(phone, live_server, "official")
    page = crawl.open("/", status=503)
    assert page.locator("h1").inner_text() in ("暂时无法访问", "Temporarily unavailable")
    assert page.evaluate("getComputedStyle(document.querySelector('.card')).backgroundColor") == "rgb(255, 255, 255)"
    assert page.locator("a.button").get_attribute("href") == "/"  # try again: the page the user asked for
    crawl.shot("503-official")
    assert not crawl.problems, crawl.problems
    assert not crawl.axe, crawl.axe


@pytest.mark.parametrize("size", SIZES)
def test_the_national_dashboard_loads_under_the_csp(size, crawl_world, phone, live_server):
    """全国 as the superuser (the crawl's users hold no national role): its charts hovered, CSP, axe-core, no sideways
    scroll on the phone, a screenshot; the provinces link to their dashboards."""
    crawl = Crawl(phone, live_server, "root", size)
    page = crawl.open(reverse("dashboard:nation"), name="dashboard:nation")
    draw_charts(page)
    expect_provinces = {"32", "33"}
    links = {href.rstrip("/").rsplit("/", 1)[-1] for href in page.locator("#areas a").evaluate_all("els => els.map(e => e.getAttribute('href'))")}
    assert expect_provinces <= links
    crawl.check("root nation after charts")
    crawl.shot("dashboard-nation-root")
    assert not crawl.problems, crawl.problems
    assert not crawl.axe, crawl.axe


def test_the_crawl_covers_every_route():
    """The crawl's list and the URL configuration agree: a new GET route is crawled or explained."""
    names = set(_route_names())
    assert set(NOT_PAGES) <= names, set(NOT_PAGES) - names
    for name in names:
        gets = [row for row in ACCESS[name] if row[0] == "get"]
        if not gets or name in NOT_PAGES or name.startswith(JSON_NAMESPACES):
            continue
        assert any(expected[u] == 200 for _m, _u, expected, _w in gets for u in (*CRAWL_USERS, "anonymous")), name
