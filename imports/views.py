"""Import pages: upload a file, read its dry run, import it; download a kind's template. Writes go through
imports.services."""
from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.body_limits import body_limit
from core.exceptions import InvalidInput, NotPermitted
from core.views import ScopedDetailView, ScopedListView, apply_domain_error, perform, portal_view

from . import selectors, services
from .filters import ImportFilterSet
from .forms import UploadForm
from .kinds import kind_of
from .models import ImportKind, ImportStatus
from .reading import UPLOAD_BODY_LIMIT
from .template import template_bytes

FORM_KEYS = {"kind", "area", "file", "csrfmiddlewaretoken", "do"}  # the rest of a POST are the kind's parameters


def _kinds_and_areas(user):
    areas = selectors.import_areas(user=user)
    kinds = services.available_kinds(user=user, areas=areas)
    return kinds, areas


class ImportListView(ScopedListView):
    selector = selectors.import_list
    filterset_class = ImportFilterSet
    template_name = "imports/import_list.html"
    paginate_by = 30

    def get_context_data(self, **kwargs):
        kinds, areas = _kinds_and_areas(self.request.user)
        return super().get_context_data(kinds=kinds, areas=areas, **kwargs)


@body_limit(UPLOAD_BODY_LIMIT)  # outermost: the middleware reads it from the resolved view
@portal_view
def import_upload(request):
    kinds, areas = _kinds_and_areas(request.user)
    if not kinds:
        raise NotPermitted("import")
    rounds = selectors.score_rounds(user=request.user) if any(k.key == "scores" for k in kinds) else []
    form = UploadForm(request.POST or None, request.FILES or None, kinds=kinds, areas=areas, rounds=rounds,
                      initial={"kind": request.GET.get("kind", "")})
    if request.method == "POST" and form.is_valid():
        area = next(r for r in areas if r.code == form.cleaned_data["area"])
        params = {key: value for key, value in request.POST.items() if key not in FORM_KEYS}
        outcome = perform(request, lambda: services.import_upload(
            actor=request.user, kind=form.cleaned_data["kind"], region=area, upload=form.cleaned_data["file"], params=params,
        ), form=form)
        if outcome.done:
            return redirect("imports:detail", pk=outcome.result.pk)
    return render(request, "imports/upload.html", {"form": form, "kinds": kinds, "areas": areas,
                                                   "rounds": [(value.partition(":"), label) for value, label in rounds]},
                  status=400 if form.errors else 200)


class ImportDetailView(ScopedDetailView):
    selector = selectors.import_list
    template_name = "imports/import_detail.html"
    context_object_name = "batch"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        batch = self.object
        context["progress"] = services.progress_of(batch)
        context["running"] = batch.status in (ImportStatus.QUEUED, ImportStatus.VALIDATING, ImportStatus.COMMITTING)
        context["errors_shown"] = batch.errors[:500]
        context["more_errors"] = max(batch.error_count - len(context["errors_shown"]), 0)
        return context


@portal_view
def import_status(request, pk):
    """The import's state as JSON, polled by its page while it is checked or imported."""
    batch = get_object_or_404(selectors.import_list(user=request.user), pk=pk)
    return JsonResponse({
        "status": batch.status, "status_display": str(batch.get_status_display()), "progress": services.progress_of(batch),
        "done": batch.status not in (ImportStatus.QUEUED, ImportStatus.VALIDATING, ImportStatus.COMMITTING),
    })


@portal_view
@require_POST
def import_commit(request, pk):
    batch = get_object_or_404(selectors.import_list(user=request.user), pk=pk)
    outcome = perform(request, lambda: services.import_commit(actor=request.user, batch=batch))
    if outcome.done and outcome.result.status == ImportStatus.COMMITTED:
        messages.success(request, _("Imported: %(created)d created, %(updated)d updated.")
                         % {"created": outcome.result.created, "updated": outcome.result.updated})
    return redirect("imports:detail", pk=batch.pk)


@portal_view
def import_template(request, kind):
    """The kind's template (XLSX), with the villages or areas of the chosen area (default: the user's first)."""
    if kind not in ImportKind.values:
        raise Http404
    kinds, areas = _kinds_and_areas(request.user)
    spec = kind_of(kind)
    if spec not in kinds:
        raise NotPermitted(spec.permission)
    area = next((r for r in areas if r.code == request.GET.get("area")), None) or next(
        r for r in areas if services.may_import(request.user, spec, r))
    try:
        params = spec.clean_params(user=request.user, region=area, params={k: v for k, v in request.GET.items() if k != "area"})
    except InvalidInput as refused:  # the template of scores needs its round: said on the upload page
        apply_domain_error(request, None, refused)
        return redirect(f"{reverse('imports:upload')}?kind={kind}")
    response = HttpResponse(template_bytes(spec, user=request.user, region=area, params=params),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = content_disposition_header(True, f"{_('import template')}-{spec.label}-{area.name}.xlsx")
    response["X-Content-Type-Options"] = "nosniff"
    return response
