"""Request context for services and logs: the client IP and a request id."""
import uuid

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
