"""The client's address: one function for the audit trail, django-axes, the per-IP login limit and the
API's throttles.

``TRUSTED_PROXY_COUNT`` says how many reverse proxies stand in front of the application, each appending
the address it received the request from to ``X-Forwarded-For`` (nginx: ``$proxy_add_x_forwarded_for``).
Only the right-most ``TRUSTED_PROXY_COUNT`` entries were written by proxies we trust; a client can put
anything to the left of them. So:

* ``0`` (the default, no proxy): ``REMOTE_ADDR``; ``X-Forwarded-For`` is ignored.
* ``N`` ≥ 1: the N-th entry from the right, parsed by django-ipware (ports, brackets and IPv4-mapped
  IPv6 are normalised). When the header is missing, shorter than N entries, or that entry is not a
  usable address, ``REMOTE_ADDR`` (the proxy, or a client that bypassed it): never a forged value.

django-ipware is given only the trusted suffix of the header: its non-strict mode skips malformed
entries (which would shift a position counted from the right onto a client-written one), and its strict
mode refuses any chain with an entry prepended by the client (which would put every such client under the
proxy's address, so one sprayer could exhaust the per-IP login limit of everyone behind it).
"""
from __future__ import annotations

import ipaddress

from django.conf import settings
from ipware import get_client_ip

FORWARDED_HEADER = "HTTP_X_FORWARDED_FOR"
MAX_HEADER_LENGTH = 4096  # longer X-Forwarded-For values are not read (nginx's default header buffer is 1k-8k)


def trusted_proxy_count() -> int:
    return max(int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0), 0)


def _address(value) -> str | None:
    """A plain IP address, or None (IPv4-mapped IPv6 as IPv4)."""
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


def client_ip(request) -> str | None:
    """The address of the client that sent ``request`` (a Django or DRF request), or None."""
    meta = request.META
    remote = _address(meta.get("REMOTE_ADDR"))
    proxies = trusted_proxy_count()
    if proxies == 0:
        return remote
    forwarded = meta.get(FORWARDED_HEADER)
    if not isinstance(forwarded, str) or not forwarded.strip() or len(forwarded) > MAX_HEADER_LENGTH:
        return remote
    entries = [entry.strip() for entry in forwarded.split(",")]
    if len(entries) < proxies:
        return remote  # a proxy we trust would have added its entry: this chain did not come through them all
    trusted = entries[-proxies:]
    if not all(trusted):
        return remote
    ip, _routable = get_client_ip(
        request=_MetaOnly({FORWARDED_HEADER: ", ".join(trusted)}),
        proxy_count=proxies - 1,  # ipware counts the proxies listed after the client within the header
        request_header_order=[FORWARDED_HEADER],
        strict=True,
    )
    return _address(ip) or remote


class _MetaOnly:
    """What django-ipware reads of a request: its META."""

    __slots__ = ("META",)

    def __init__(self, meta):
        self.META = meta
