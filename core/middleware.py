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
