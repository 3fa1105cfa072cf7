"""Request context for services and logs: the client IP and a request id."""
import uuid

from django.conf import settings

from .context import request_context


def client_ip(request) -> str | None:
    if getattr(settings, "USE_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


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
