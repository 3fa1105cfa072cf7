"""DRF's rate throttles, counting anonymous callers by core.net.client_ip (not DRF's own reading of
X-Forwarded-For, which takes the whole header as given by the client when NUM_PROXIES is unset)."""
from rest_framework import throttling

from .net import client_ip


class _ClientIpMixin:
    def get_ident(self, request):
        return client_ip(request) or "unknown"


class UserRateThrottle(_ClientIpMixin, throttling.UserRateThrottle):
    """Per user; an anonymous request (which this throttle also sees) by client address."""


class AnonRateThrottle(_ClientIpMixin, throttling.AnonRateThrottle):
    """Per client address for anonymous requests."""
