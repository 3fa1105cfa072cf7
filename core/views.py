"""Shared view bases: the login gate for HTML pages, scoped lists and
details (404 outside the user's scope), and the one place where domain
errors become form errors and messages."""
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView
from django_filters.views import FilterView

from .exceptions import DomainError, NotPermitted
from .pagination import BoundedPaginatorMixin
from .scoping import HTML_ROLES, is_unrestricted, roles_of


def api_only(user) -> bool:
    """An account whose roles are all API roles (api_client): the portal's pages and their JSON refuse it."""
    if not user.is_authenticated or is_unrestricted(user):
        return False
    roles = roles_of(user)
    return bool(roles) and not (roles & HTML_ROLES)


class PortalAccessMixin(LoginRequiredMixin):
    """HTML pages are for staff roles; an api_client-only account is refused (403)."""

    def dispatch(self, request, *args, **kwargs):
        if api_only(request.user):
            raise PermissionDenied(_("This account may use the API only."))
        return super().dispatch(request, *args, **kwargs)


def portal_view(view):
    """The PortalAccessMixin gate for function views."""

    class _Gate(PortalAccessMixin, View):
        def get(self, request, *args, **kwargs):
            return view(request, *args, **kwargs)

        post = get

    gated = _Gate.as_view()
    gated.__name__ = view.__name__
    gated.__doc__ = view.__doc__
    return gated


class ScopedListView(PortalAccessMixin, BoundedPaginatorMixin, FilterView):
    """A list: `selector(user=...)` (already restricted by the gate) + a FilterSet; page numbers reach the
    first PAGE_NUMBER_MAX_ROWS rows (core.pagination)."""

    selector = None
    paginate_by = 50
    strict = False

    def get_queryset(self):
        return type(self).selector(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["querystring"] = query.urlencode()
        # The filters set besides the search box (the folded filter panel opens when there are any).
        context["active_filters"] = sum(1 for key, values in query.lists() if key != "q" and any(v.strip() for v in values))
        return context


class ScopedDetailView(PortalAccessMixin, DetailView):
    """A detail page; an object outside the user's scope is a 404."""

    selector = None

    def get_queryset(self):
        return type(self).selector(user=self.request.user)


def apply_domain_error(request, form, error: DomainError) -> None:
    """Show a refused service call: field errors on their fields, the rest as a
    message. A refusal of permission is not shown but raised (403)."""
    if isinstance(error, NotPermitted):
        raise error
    for field, field_messages in error.field_errors.items():
        for message in field_messages:
            if form is not None and field in form.fields:
                form.add_error(field, message)
            else:
                messages.error(request, message)
    if not error.field_errors or form is None:
        messages.error(request, error.message)
    elif form is not None:
        form.add_error(None, error.message)


@dataclass
class Outcome:
    """What perform() did: ``done`` when the service went through (``result`` is what it returned); else the
    refusal, already shown, in ``error`` (for a page that shows more of it, such as an edit conflict)."""

    done: bool
    result: object = None
    error: DomainError | None = None


def perform(request, write: Callable[[], object], *, form=None, success=None) -> Outcome:
    """The one shape of a write from a page: call the service; a refusal (DomainError) is shown (field errors on the
    form's fields, the rest as a message; a refusal of permission is raised, 403); a success shows ``success`` (a
    text, or a function of the service's result giving one). The view then redirects or renders the form again.

        outcome = perform(request, lambda: services.allocation_reverse(actor=..., allocation=..., reason=...),
                          success=_("Allocation reversed."))
        return redirect("funding:allocation_detail", pk=allocation.pk)
    """
    try:
        result = write()
    except DomainError as error:
        apply_domain_error(request, form, error)
        return Outcome(done=False, error=error)
    if success is not None:
        messages.success(request, success(result) if callable(success) else success)
    return Outcome(done=True, result=result)


# The second step of a destructive or irreversible form (cancel, reverse, finalise, approve, accept): the first POST
# answers a confirmation page saying in plain words what will happen; its button posts the same form again with
# CONFIRM_FIELD=CONFIRM_VALUE, and only that POST writes. No script is needed (the page is the confirmation).
CONFIRM_FIELD = "confirmed"
CONFIRM_VALUE = "yes"


def is_confirmed(request) -> bool:
    return request.POST.get(CONFIRM_FIELD) == CONFIRM_VALUE


def confirmation(request, *, title, question, confirm_label, back_url, consequence="", fields=(), facts=(), danger=True):
    """The confirmation page of a POST not yet confirmed (nothing is written). ``fields``: bound form fields shown
    again (a reason can still be written or changed there); every other posted value is carried as a hidden input.
    ``facts``: (label, value) pairs naming what the action is about; ``danger``: a red button (it destroys or undoes)."""
    shown = {field.name for field in fields}
    carried = [
        (name, value)
        for name in request.POST
        if name not in shown and name not in ("csrfmiddlewaretoken", CONFIRM_FIELD)
        for value in request.POST.getlist(name)
    ]
    return render(request, "core/confirm.html", {
        "title": title, "question": question, "consequence": consequence, "confirm_label": confirm_label,
        "back_url": back_url, "fields": fields, "carried": carried, "facts": facts,
        "confirm_field": CONFIRM_FIELD, "confirm_value": CONFIRM_VALUE, "danger": danger,
    })


def render_detail(view_class, request, obj, *, status=400, **context):
    """A detail page shown again after a refused POST, with the bound form (and its errors) in ``context``."""
    view = view_class()
    view.setup(request, pk=obj.pk)
    view.object = obj
    return render(request, view.template_name, view.get_context_data(object=obj, **context), status=status)


def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", status=403)


def _api_error(request, status, code, message):
    from django.http import JsonResponse

    return JsonResponse({"code": code, "message": str(message), "field_errors": {}}, status=status)


def bad_request(request, exception=None):
    """400 (a malformed address, a page number past the limit): the API's error shape under /api/, a page that
    says what was wrong elsewhere."""
    from django.core.exceptions import BadRequest

    # Our own BadRequest messages are meant for the user; others (SuspiciousOperation: a bad Host header...) are not.
    message = str(exception) if isinstance(exception, BadRequest) and str(exception) else _("The request was malformed.")
    if request.path.startswith("/api/"):
        return _api_error(request, 400, "bad_request", message)
    return render(request, "400.html", {"message": message}, status=400)


PUBLIC_PREFIX = "/public/"  # config/urls.py: the pages readable without logging in


def not_found(request, exception=None):
    """404 for a URL nothing matched: the API's error shape under /api/, the HTML page elsewhere."""
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return _api_error(request, 404, "not_found", _("Not found."))
    if request.path.startswith(PUBLIC_PREFIX):
        # The public pages' own frame: no portal menu, no form, nothing read of the visitor (disclosure.views).
        return page_not_found(request, exception, template_name="disclosure/404.html")
    return page_not_found(request, exception)


def server_error(request):
    """500: the API's error shape under /api/ (the error itself is logged), the HTML page elsewhere.

    When the error is the database being unreachable (restarting, failing over), the answer is a 503 with
    Retry-After instead: nothing is wrong with the request, it will work again in a moment."""
    import sys

    from django.db import InterfaceError, OperationalError
    from django.views.defaults import server_error as html_server_error

    error = sys.exc_info()[1]
    if isinstance(error, (OperationalError, InterfaceError)):
        return database_unavailable(request)
    if request.path.startswith("/api/"):
        return _api_error(request, 500, "server_error", _("Something went wrong on our side; it has been logged."))
    return html_server_error(request)


RETRY_AFTER_SECONDS = 5


def database_unavailable(request):
    """503 while the database cannot be reached. Rendered without the request context (its context processors
    would read the session and the user from the very database that is down)."""
    from django.db import connections
    from django.http import HttpResponse
    from django.template.loader import render_to_string

    for connection in connections.all(initialized_only=True):
        connection.close_if_unusable_or_obsolete()
    if request.path.startswith("/api/"):
        response = _api_error(request, 503, "service_unavailable",
                              _("The database is unavailable for a moment; try again in a few seconds."))
    else:
        response = HttpResponse(render_to_string("503.html", {"path": request.get_full_path()}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
