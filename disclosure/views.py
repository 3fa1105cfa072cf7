"""The public pages (公开): readable by anyone without logging in. They read only through disclosure.selectors (what is
public is decided there); they never look at the visitor (no session, no user, no CSRF token), so one cached copy
per language serves everyone (core.public_cache renews it when what is public changes); every request counts
against a per-address rate limit (django-ratelimit), cached or not."""
from __future__ import annotations

import functools

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_page
from django.views.decorators.http import require_safe
from django_ratelimit.core import get_usage

from core import public_cache
from core.files import file_response, photo_response
from core.net import client_ip

from . import selectors

RATE_GROUP = "public-pages"


def _address(group, request) -> str:
    return client_ip(request) or "unknown"


def _refused(request):
    """A 429 page when the address is past its limit; else None (and the request is counted)."""
    usage = get_usage(request, group=RATE_GROUP, key=_address, rate=settings.PUBLIC_PAGES_RATE, increment=True)
    if usage is None or not usage["should_limit"]:
        return None
    seconds = max(int(usage["time_left"]), 1)
    response = render(request, "disclosure/429.html", {"seconds": seconds}, status=429)
    response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "no-store"
    return response


def public_view(view):
    """For everyone: GET and HEAD only, no login, rate-limited per client address."""
    @require_safe
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        return _refused(request) or view(request, *args, **kwargs)

    wrapped.public = True  # tests/disclosure/test_public_pages.py checks every public route carries it
    return wrapped


def public_page(view):
    """A public page, cached for PUBLIC_CACHE_SECONDS under the current generation of the public pages (a
    publication or a withdrawal starts a new one: core.public_cache)."""
    @functools.wraps(view)
    def cached(request, *args, **kwargs):
        prefix = f"public-{public_cache.generation()}"
        return cache_page(settings.PUBLIC_CACHE_SECONDS, key_prefix=prefix)(view)(request, *args, **kwargs)

    cached.public_cached = True
    return public_view(cached)


def _page(request, rows, per_page: int):
    page = Paginator(rows, per_page).get_page(request.GET.get("page"))
    return {"page_obj": page, "paginator": page.paginator, "is_paginated": page.has_other_pages(), "querystring": ""}


@public_page
def index(request):
    return render(request, "disclosure/index.html", {
        "bulletins": list(selectors.published_bulletins()[:5]),
        "exemplars": list(selectors.published_exemplars()[:6]),
        "counties": list(selectors.open_counties()),
    })


@public_page
def bulletin_list(request):
    return render(request, "disclosure/bulletin_list.html", _page(request, selectors.published_bulletins(), 20))


@public_page
def bulletin_detail(request, pk):
    return render(request, "disclosure/bulletin_detail.html",
                  {"bulletin": get_object_or_404(selectors.published_bulletins(), pk=pk)})


@public_view
def bulletin_pdf(request, pk):
    bulletin = get_object_or_404(selectors.published_bulletins(), pk=pk)
    response = file_response(bulletin.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="bulletin-{bulletin.pk}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=86400"  # a published bulletin never changes
    return response


@public_page
def county(request, code):
    county = get_object_or_404(selectors.open_counties(), code=code)
    return render(request, "disclosure/county.html", {"county": county, **_page(request, selectors.county_villages(county), 100)})


@public_page
def village(request, code):
    page = selectors.village_page(code)
    if page is None:
        raise Http404(_("No public page for this village."))
    return render(request, "disclosure/village.html", {"page": page, "village": page.village})


@public_page
def exemplar_list(request):
    return render(request, "disclosure/exemplar_list.html", _page(request, selectors.published_exemplars(), 12))


@public_page
def exemplar_detail(request, pk):
    exemplar = get_object_or_404(selectors.published_exemplars(), pk=pk)
    village_public = selectors.public_villages().filter(code=exemplar.village_id).exists()
    return render(request, "disclosure/exemplar_detail.html", {"exemplar": exemplar, "village_public": village_public})


@public_view
def exemplar_photo(request, pk, photo_pk, variant="image"):
    photo = get_object_or_404(selectors.published_exemplar_photos(), pk=photo_pk, exemplar_id=pk)
    response = photo_response(photo, variant)
    response["Cache-Control"] = f"public, max-age={settings.PUBLIC_CACHE_SECONDS}"  # a withdrawal is seen soon
    return response
