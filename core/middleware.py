"""Request context for services and logs: the client IP and a request id."""
import uuid
from urllib.parse import unquote_to_bytes

from django.core.exceptions import BadRequest
from django.utils.translation import gettext as _

from .context import request_context
from .net import client_ip  # noqa: F401  (the one reading of the client's address; see core/net.py)


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request.id = incoming if incoming and len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        with request_context(ip=client_ip(request), request_id=request.id):
            response = self.get_response(request)
        response["X-Request-ID"] = request.id
        return response


def _has_control_character(path: str) -> bool:
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in path)


class ControlCharacterMiddleware:
    """A path with a control character (``/dashboard/330523%00/``) or a query string with a NUL byte is a
    client's error: 400 (core.views.bad_request: the API's error shape under /api/), before any view passes it
    to the database, which refuses NUL bytes in text (a 500 otherwise)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_control_character(request.path) or b"\x00" in unquote_to_bytes(request.META.get("QUERY_STRING", "")):
            raise BadRequest(_("The address contains a control character (such as a NUL byte)."))
        return self.get_response(request)


class PortalErrorPagesMiddleware:
    """404s are the portal's own page (templates/404.html, in the user's language) in every mode.

    With DEBUG off Django already answers them through handler404 (core.views.not_found). With DEBUG on (`make run`)
    it would answer its English technical page instead: for an address no URL pattern matches, and for an object
    outside the user's scope (a view's Http404). This middleware answers both with core.views.not_found as well.
    403s need nothing here: Django renders handler403 (templates/403.html) whatever DEBUG is. A 500 under DEBUG keeps
    Django's traceback page (the developer's tool; the error is logged either way); with DEBUG off it is 500.html."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings

        from .views import not_found

        response = self.get_response(request)
        # No URL pattern matched (Resolver404 is turned into a response before it reaches any middleware).
        if response.status_code == 404 and settings.DEBUG and getattr(request, "resolver_match", None) is None:
            return not_found(request)
        return response

    def process_exception(self, request, exception):
        from django.http import Http404

        from .views import not_found

        if isinstance(exception, Http404):
            return not_found(request, exception)
        return None
