"""Report pages: the list (with the request form), one job's page with a live progress bar, its status as
JSON for that bar, and the download. Writes go through reports.services."""
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import scoping
from core.exceptions import NotPermitted
from core.replica import replica_reads_view
from core.views import ScopedDetailView, ScopedListView, perform, portal_view
from villages.models import CHILD_CODE_LENGTH, CODE_LENGTH, VILLAGE_CODE_LENGTH, RegionLevel
from villages.selectors import home_regions, sample_notice

from . import selectors, services
from .downloads import file_response
from .filters import ReportJobFilterSet
from .forms import ReportRequestForm
from .kinds.ledger import ledger_filter_names
from .models import FORMATS, ReportKind


class ReportListView(ScopedListView):
    replica_reads = True  # GET reads may go to the read replica (core/replica.py)
    selector = selectors.job_list
    filterset_class = ReportJobFilterSet
    template_name = "reports/report_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(can_request=scoping.can_anywhere(self.request.user, "report.request"), **kwargs)


class ReportDetailView(ScopedDetailView):
    replica_reads = True  # GET reads may go to the read replica (core/replica.py)
    selector = selectors.job_list
    template_name = "reports/report_detail.html"
    context_object_name = "job"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["status"] = selectors.job_status(self.object)
        context["notice"] = sample_notice(self.object.area_code)  # the file says so too (reports.kinds.common.notice)
        return context


def _regions(user):
    return [r for r in home_regions(user=user) if scoping.can(user, "report.request", r)]


@portal_view
def report_request(request):
    user = request.user
    if not scoping.can_anywhere(user, "report.request"):
        raise NotPermitted("report.request")
    regions = _regions(user)
    form = ReportRequestForm(request.POST or None, regions=regions, nation=scoping.is_unrestricted(user),
                             initial={"kind": request.GET.get("kind", "progress"), "region": request.GET.get("region")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        outcome = perform(request, lambda: services.report_request(
            actor=user, kind=data["kind"], region_code=data["region"], format=data["format"], period=data["period"],
            language=request.LANGUAGE_CODE,
        ), form=form)
        if outcome.done:
            job = outcome.result
            job.refresh_from_db()
            if job.dispatched_at is None and not job.is_done:
                messages.warning(request, _("The report queue is unavailable right now. Your request is saved and the "
                                            "report will be generated as soon as the queue is back."))
            else:
                messages.success(request, _("Report requested."))
            return redirect("reports:detail", pk=job.pk)
    return render(request, "reports/report_form.html", {"form": form, "formats": {k: list(v) for k, v in FORMATS.items()}})


@portal_view
@require_POST
def ledger_request(request):
    """The ledger pages' "export" button: the ledger with the page's filters, as a report job (a province's ledger
    takes minutes to write, far too long for a request). The region is the page's region filter when it names a
    region (its own users' view), else the user's own region."""
    user = request.user
    if not scoping.can_anywhere(user, "report.request_ledger"):
        raise NotPermitted("report.request_ledger")
    filters = {name: (values if len(values) > 1 else values[0]) for name, values in request.POST.lists()
               if name in ledger_filter_names() and any(values)}
    code = str(filters.get("region", ""))
    if len(code) == VILLAGE_CODE_LENGTH:
        code = code[:CODE_LENGTH[RegionLevel.TOWNSHIP]]
    if len(code) not in CHILD_CODE_LENGTH or not scoping.can(user, "report.request_ledger", code):
        if not scoping.can(user, "report.request_ledger", str(filters.get("region", ""))):
            filters.pop("region", None)  # a region the user may not ask about narrows nothing: their own instead
        own = [r for r in home_regions(user=user) if scoping.can(user, "report.request_ledger", r)]
        code = own[0].code if own else ""
    outcome = perform(request, lambda: services.report_request(
        actor=user, kind=ReportKind.LEDGER, region_code=code, params=filters, language=request.LANGUAGE_CODE,
    ), success=_("The ledger is being written as a report; it will be ready to download on this page."))
    if not outcome.done:
        return redirect(request.POST.get("back") if url_has_allowed_host_and_scheme(
            request.POST.get("back", ""), allowed_hosts={request.get_host()}) else "funding:sources")
    return redirect("reports:detail", pk=outcome.result.pk)


@replica_reads_view
@portal_view
def report_status(request, pk):
    job = get_object_or_404(selectors.job_list(user=request.user), pk=pk)
    response = JsonResponse(selectors.job_status(job))
    response["Cache-Control"] = "no-store"
    return response


@replica_reads_view
@portal_view
def report_download(request, pk):
    return file_response(get_object_or_404(selectors.job_list(user=request.user), pk=pk))
