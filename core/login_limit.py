"""Password spraying: failed logins counted per client address, across usernames.

django-axes locks a (username, address) pair after 5 failures; it does not stop one address trying one
password against 200 usernames. Here every failed login (Django's ``user_login_failed`` signal, sent by
``authenticate()`` for the login page, the admin login and the API's token endpoint alike) adds one to a
counter of the client's address (``core.net.client_ip``) kept by django-ratelimit in the cache (Redis in
production; fails open with it, see core/cache.py). Before a login attempt is handled,
``LoginLimitMiddleware`` refuses it with 429 and ``Retry-After`` once the address has
``LOGIN_FAILURES_PER_IP`` failures in the current window of ``LOGIN_FAILURE_WINDOW_MINUTES`` (fixed
windows, as django-ratelimit counts them). While refused nothing is checked, a correct password included;
successful logins do not count.
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

from .net import client_ip

GROUP = "login-failures-per-ip"
# The views that check a password: the login page, the admin's login and the API's token endpoint.
LOGIN_VIEWS = {"login", "admin:login", "api:token"}


def _key(group, request) -> str:
    return client_ip(request) or "unknown"


def _usage(request, *, increment: bool):
    rate = (settings.LOGIN_FAILURES_PER_IP, settings.LOGIN_FAILURE_WINDOW_MINUTES * 60)
    return get_usage(request, group=GROUP, key=_key, rate=rate, increment=increment)


def seconds_refused(request) -> int:
    """0 when the client may try to log in; else the seconds until its window ends."""
    usage = _usage(request, increment=False)
    if usage is None or usage["count"] < usage["limit"]:
        return 0
    return max(int(usage["time_left"]), 1)


@receiver(user_login_failed, dispatch_uid="core.login_limit.count_failure")
def count_failure(sender, credentials=None, request=None, **kwargs):
    if request is not None:
        _usage(request, increment=True)


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def refusal(request, *, seconds: int, code: str, message: str, template: str = "registration/login.html", context=None):
    """429 with Retry-After: the API's error shape under /api/, a Chinese page (the login form) elsewhere."""
    if _is_api(request):
        response = JsonResponse({"code": code, "message": message, "field_errors": {}}, status=429)
    else:
        from .forms import LoginForm

        form = LoginForm(request, initial={"username": request.POST.get("username", "")[:150]})
        page_context = {"form": form, "refusal": message, "next": request.POST.get("next", request.GET.get("next", ""))}
        response = render(request, template, {**page_context, **(context or {})}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def too_many_failures(request, seconds: int):
    minutes = max((seconds + 59) // 60, 1)
    message = _("Too many failed logins from your address. Try again in %(minutes)d minutes.") % {"minutes": minutes}
    return refusal(request, seconds=seconds, code="throttled", message=message)


class LoginLimitMiddleware:
    """Refuses a login attempt (POST to the login page, the admin login or the token endpoint) from an address
    past its failure limit, before the password is looked at."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if request.method != "POST" or match is None or match.view_name not in LOGIN_VIEWS:
            return None
        seconds = seconds_refused(request)
        return too_many_failures(request, seconds) if seconds else None


def axes_lockout_response(request, original_response=None, credentials=None):
    """django-axes' lockout (AXES_FAILURE_LIMIT failures for one username from one address): 429 with Retry-After,
    in the API's error shape under /api/."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    message = _("This account is locked from your address for %(minutes)d minutes after %(failures)d failed attempts. "
                "Try again later or ask the administrator.") % {
        "minutes": max(seconds // 60, 1), "failures": settings.AXES_FAILURE_LIMIT}
    if _is_api(request):
        return refusal(request, seconds=seconds, code="locked_out", message=message)
    response = render(request, "registration/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(seconds)
    return response
