"""Request bodies are refused by their declared size, before anything reads them.

Django reads a body only when something asks for it (``request.POST``, ``request.body``, DRF's parsers), and the
first to ask is CsrfViewMiddleware's ``process_view``: a 500 MB multipart POST to the login page was spooled to disk
before any check. ``BodySizeLimitMiddleware`` sits before CsrfViewMiddleware and answers from ``CONTENT_LENGTH``
alone, in ``process_view`` (by then the session and the user are known, and the view is resolved):

- anonymous requests: ``BODY_LIMIT_ANONYMOUS`` (64 KiB: the login form, the token endpoint, the language switch);
- logged-in users, and any request with an ``Authorization`` header (DRF authenticates tokens later, inside the
  view; the API accepts JSON only): ``BODY_LIMIT_AUTHENTICATED`` (2.5 MiB, Django's DATA_UPLOAD_MAX_MEMORY_SIZE);
- views marked with ``@body_limit(n)`` (the progress form with nine photos), for logged-in users: ``n``.

Over the limit: 413, in the API's error shape under /api/, a short page elsewhere. Without a Content-Length a WSGI
server hands Django a body it will not read (Django takes a missing length as 0: a chunked upload would arrive as an
empty form), so a request announcing a body by ``Transfer-Encoding`` without a length gets 411; a malformed length,
400. nginx in front (deploy/nginx/qiancun.conf) applies the same limits per location and always sends a length.
"""
from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

ATTRIBUTE = "body_limit"


def body_limit(limit: int):
    """Let logged-in users send a body of up to ``limit`` bytes to this view (applied outermost, over any wrapper)."""

    def mark(view):
        setattr(view, ATTRIBUTE, int(limit))
        return view

    return mark


def body_limit_of(view) -> int | None:
    return getattr(view, ATTRIBUTE, None)


def _refusal(request, status: int, code: str, message: str) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"code": code, "message": message, "field_errors": {}}, status=status)
    else:
        response = HttpResponse(render_to_string("413.html", {"message": message}), status=status)
    response["Cache-Control"] = "no-store"
    return response


class BodySizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        meta = request.META
        declared = meta.get("CONTENT_LENGTH")
        if declared in (None, ""):
            if meta.get("HTTP_TRANSFER_ENCODING"):
                return _refusal(request, 411, "length_required",
                                _("The request must state its length (Content-Length)."))
            return None  # no body: Django reads nothing
        if not (declared.isascii() and declared.isdigit()):
            return _refusal(request, 400, "bad_request", _("The request's Content-Length is not a number."))
        length = int(declared)
        if length <= min(settings.BODY_LIMIT_ANONYMOUS, settings.BODY_LIMIT_AUTHENTICATED):
            return None  # small enough for anyone: the session need not even be looked at
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            limit = body_limit_of(view_func) or settings.BODY_LIMIT_AUTHENTICATED
        elif meta.get("HTTP_AUTHORIZATION"):
            limit = settings.BODY_LIMIT_AUTHENTICATED
        else:
            limit = settings.BODY_LIMIT_ANONYMOUS
        if length <= limit:
            return None
        return _refusal(request, 413, "payload_too_large",
                        _("The request is too large (at most %(limit)s).") % {"limit": _size(limit)})


def _size(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
    return f"{limit // 1024} KB"
