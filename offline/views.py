"""The installable app's endpoints: the manifest and the service worker (public: browsers fetch them without the
session), the offline fallback page, the 待上传 page, and two JSON answers for static/js/offline.js: the pages to
keep for the user, and the session's CSRF token for sending what was queued."""
from __future__ import annotations

import hashlib
import json
import pathlib

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import get_template
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.views import api_only, portal_view
from projects import photos as photo_rules

from . import selectors

THEME_COLOR = "#2f6b3b"
# The service worker's own caches (static/js/offline.js clears them with the queue at logout and when another user
# logs in on the same phone).
PAGES_CACHE = "qiancun-pages"


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def manifest(request):
    """The web app manifest (fetched by the browser without cookies: nothing in it is the user's)."""
    icons = [
        {"src": static(f"img/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png", "purpose": "any"}
        for size in (192, 512)
    ] + [
        {"src": static(f"img/icon-maskable-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png",
         "purpose": "maskable"}
        for size in (192, 512)
    ]
    body = {
        "id": "/",
        "name": _("Qiancun programme"),
        "short_name": _("Qiancun"),
        "description": _("Work portal of the village renovation programme"),
        "lang": get_language() or settings.LANGUAGE_CODE,
        "dir": "ltr",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOR,
        "icons": icons,
    }
    response = JsonResponse(body, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def service_worker(request):
    """The service worker, at the root so that its scope is the whole portal. Rendered (not a static file) so that
    it names the hashed static files it keeps: a new release is a new script, which the browser installs."""
    shell = [{"url": static(path), "revision": _revision(path)} for path in SHELL_ASSETS]
    shell.append({"url": reverse("offline:fallback"),
                  "revision": hashlib.sha256(_source("offline/fallback.html").encode()).hexdigest()[:16]})
    settings_for_worker = {
        "pagesCache": PAGES_CACHE,
        "fallback": reverse("offline:fallback"),
        "shell": shell,
        "keptPaths": OFFLINE_PATH_PATTERNS,
        "networkTimeoutSeconds": NETWORK_TIMEOUT_SECONDS,
    }
    context = {
        "workbox": [static(f"vendor/workbox-7.4.1/workbox-{module}.prod.js") for module in WORKBOX_MODULES],
        "settings_json": json.dumps(settings_for_worker, indent=2),
    }
    response = render(request, "offline/sw.js", context, content_type="text/javascript; charset=utf-8")
    # Always asked again (the browser also checks at least daily): the release is in its text.
    response["Cache-Control"] = "no-cache"
    return response


def _revision(path: str) -> str | None:
    """None for a file whose URL carries its hash (ManifestStaticFilesStorage, in production); else the hash of its
    content, so that a changed file is kept again (DEBUG, tests)."""
    if isinstance(staticfiles_storage, ManifestFilesMixin):
        return None
    found = finders.find(path)
    return hashlib.sha256(pathlib.Path(found).read_bytes()).hexdigest()[:16] if found else None


# Workbox's modules the worker uses, in the order they depend on one another (static/vendor/workbox-7.4.1).
WORKBOX_MODULES = ("core", "routing", "strategies", "precaching")
# A page asked for with a weak signal: after this long, the kept copy is shown.
NETWORK_TIMEOUT_SECONDS = 6
# What every kept page needs: kept when the service worker installs.
SHELL_ASSETS = (
    "css/qiancun.css",
    "js/site.js",
    "js/offline.js",
    "js/photos.js",
    "vendor/idb-8.0.4/idb.umd.js",
    "vendor/browser-image-compression-2.0.2/browser-image-compression.js",
    "img/favicon.svg",
    "img/favicon-32.png",
    "img/icon-192.png",
)
# Paths whose pages are answered from the phone when there is no network (and updated whenever they are opened
# online): the user's own pages listed by offline.selectors.offline_pages. A regular expression each, for the
# service worker.
OFFLINE_PATH_PATTERNS = (
    r"^/$",
    r"^/villages/$",
    r"^/villages/[0-9]+/$",
    r"^/projects/[0-9]+/$",
    r"^/projects/[0-9]+/progress/new/$",
    r"^/offline/queue/$",
)


def _source(template_name: str) -> str:
    return get_template(template_name).template.source


def fallback(request):
    """What the phone shows for a page it did not keep, when there is no network."""
    return render(request, "offline/fallback.html")


@portal_view
def queue(request):
    """待上传: the progress reports waiting on this phone (listed by static/js/offline.js from the browser's store)."""
    return render(request, "offline/queue.html", {"max_photos": photo_rules.MAX_PHOTOS})


def _json_for_users(view):
    """A JSON endpoint of offline.js, for the portal's users: 401 in JSON for anonymous requests (not the login
    page's redirect), 403 for an account that may use the API only (as every page of the portal)."""

    def wrapped(request):
        user = request.user
        if not user.is_authenticated:
            return _no_store(JsonResponse({"code": "not_authenticated", "message": _("Please log in.")}, status=401))
        if api_only(user):
            return _no_store(JsonResponse({"code": "not_permitted", "message": _("This account may use the API only.")},
                                          status=403))
        return _no_store(view(request))

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return require_GET(wrapped)


@_json_for_users
def pages(request):
    """The paths the phone keeps for offline use, for this user (offline.selectors)."""
    return JsonResponse({"user": request.user.pk, "pages": selectors.offline_pages(user=request.user)})


@_json_for_users
def session(request):
    """Who is logged in, and the CSRF token to send queued reports with (the kept pages' tokens may be stale)."""
    return JsonResponse({"user": request.user.pk, "csrf_token": get_token(request)})
