from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import scoping
from core.body_limits import body_limit
from core.exceptions import NotPermitted, StaleVersion
from core.files import file_response
from core.views import ScopedListView, confirmation, is_confirmed, perform, portal_view
from villages.models import Village

from . import photos, selectors, services
from .filters import ProgressReportFilterSet, ProjectFilterSet
from .forms import ProgressReportForm, ProjectCreateForm, ProjectForm, TransitionForm
from .models import LIFECYCLE_ACTIONS, REPORTABLE_STATUSES, Project, ProjectStatus


class ProjectListView(ScopedListView):
    selector = selectors.project_list
    filterset_class = ProjectFilterSet
    template_name = "projects/project_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(can_create=scoping.can_anywhere(self.request.user, "project.create"), **kwargs)


class ProgressReportListView(ScopedListView):
    selector = selectors.progress_report_list
    filterset_class = ProgressReportFilterSet
    template_name = "projects/progress_list.html"


def _scoped_project(request, pk):
    return get_object_or_404(selectors.project_list(user=request.user), pk=pk)


@portal_view
def project_create(request):
    if not scoping.can_anywhere(request.user, "project.create"):
        raise NotPermitted("project.create")
    form = ProjectCreateForm(request.POST or None, initial={"village": request.GET.get("village", "")})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("village", "version")}
        village = get_object_or_404(
            scoping.restrict(Village.objects.all(), request.user, "project.create"), code=form.cleaned_data["village"]
        )
        outcome = perform(request, lambda: services.project_create(actor=request.user, village=village, data=data),
                          form=form, success=_("Project created as a draft."))
        if outcome.done:
            return redirect("projects:detail", pk=outcome.result.pk)
    villages = scoping.restrict(Village.objects.only("code", "short_name"), request.user, "project.create")[:300]
    return render(request, "projects/project_form.html", {"form": form, "villages": villages, "creating": True})


@portal_view
def project_edit(request, pk):
    project = _scoped_project(request, pk)
    if not scoping.can(request.user, "project.edit", project):
        raise NotPermitted("project.edit")
    form = ProjectForm(request.POST or None, instance=project, initial={"version": project.version})
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        version = form.cleaned_data.get("version") or 0
        outcome = perform(request, lambda: services.project_update(actor=request.user, project=project, data=data, expected_version=version),
                          form=form, success=_("Project saved."))
        if outcome.done:
            return redirect("projects:detail", pk=project.pk)
        if isinstance(outcome.error, StaleVersion):
            # Keep what this user typed; show what the others changed; saving again
            # (now against the current version) is a deliberate choice, not an accident.
            conflict = _conflict_rows(outcome.error)
            form.data = form.data.copy()
            form.data["version"] = outcome.error.context["current_version"]
    return render(request, "projects/project_form.html", {"form": form, "project": project, "conflict": conflict})


HIDDEN_CHANGE_FIELDS = {"version", "updated_by"}


def _conflict_rows(error: StaleVersion) -> list[dict]:
    """The changes made meanwhile, with field labels instead of column names."""
    rows = []
    for entry in error.context.get("changes", []):
        fields = []
        for name, (before, after) in entry["changes"].items():
            if name in HIDDEN_CHANGE_FIELDS:
                continue
            try:
                label = Project._meta.get_field(name).verbose_name
            except FieldDoesNotExist:
                label = name
            fields.append({"label": label, "before": before, "after": after})
        rows.append({"actor": entry["actor"], "at": parse_datetime(entry["at"]), "fields": fields})
    return rows


@portal_view
@require_POST
def project_action(request, pk, action):
    project = _scoped_project(request, pk)
    spec = LIFECYCLE_ACTIONS.get(action)
    form = TransitionForm(request.POST, action=spec, project=project)
    form.is_valid()
    data = form.cleaned_data
    if spec is not None and spec.confirm and not is_confirmed(request):
        # The first step of a destructive or irreversible move: say what will happen, write nothing. Who may take
        # the action is checked first, so that the confirmation page is no way to learn about a project.
        if not scoping.can(request.user, spec.permission, project):
            raise NotPermitted(spec.permission)
        if spec.reason_required and not (data.get("reason") or "").strip():
            form.add_error("reason", _("Please give a reason."))
        return confirmation(
            request,
            title=_("Confirm: %(action)s") % {"action": spec.label},
            question=_("Do you really want to %(action)s “%(project)s”?") % {"action": spec.label, "project": project.name},
            consequence=spec.confirm,
            confirm_label=_("Yes, %(action)s") % {"action": spec.label},
            back_url=reverse("projects:detail", args=[project.pk]),
            fields=form.fields_for(spec), danger=spec.target == ProjectStatus.CANCELLED,
            facts=[(_("village"), project.village.short_name), (_("status"), project.get_status_display()),
                   (_("budget (yuan)"), f"{project.budget:,.2f}")],
        )
    perform(request, lambda: services.project_transition(
        actor=request.user, project=project, action=action, reason=data.get("reason", ""),
        maintenance={k: data.get(k, "") for k in TransitionForm.MAINTENANCE_FIELDS},
        actual_output=data.get("actual_output", ""),
    ), success=_("Status changed."))
    return redirect("projects:detail", pk=project.pk)


@body_limit(photos.UPLOAD_BODY_LIMIT)  # outermost: the middleware reads it from the resolved view
@portal_view
def progress_create(request, pk):
    project = _scoped_project(request, pk)
    if not scoping.can(request.user, "progress.create", project):
        raise NotPermitted("progress.create")
    if project.status not in REPORTABLE_STATUSES:
        # Not offered on the project page either; say why instead of refusing a filled-in form.
        messages.info(request, services.progress_unavailable_reason(project))
        return redirect("projects:detail", pk=project.pk)
    # Officials report what they saw today, mostly: the date starts at today (one less field to fill on a phone).
    form = ProgressReportForm(request.POST or None, request.FILES or None, initial={"report_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        outcome = perform(request, lambda: services.progress_report_create(actor=request.user, project=project, **data),
                          form=form, success=_("Progress reported."))
        if outcome.done:
            return redirect("projects:detail", pk=project.pk)
    previous = project.progress_reports.order_by("-report_date", "-id").first()  # the figures not to go below
    return render(request, "projects/progress_form.html", {"form": form, "project": project, "previous": previous})


@portal_view
def photo_file(request, pk, variant="image"):
    """A progress photo or its thumbnail, through the gate (media is never served unguarded)."""
    photo = get_object_or_404(selectors.photo_list(user=request.user), pk=pk)
    file_field = photo.thumbnail if variant == "thumbnail" and photo.thumbnail else photo.image
    content_type = photo.content_type if file_field is photo.image else _thumb_type(file_field.name)
    response = file_response(file_field, content_type=content_type)  # nginx sends it when MEDIA_ACCEL_REDIRECT says so
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _thumb_type(name: str) -> str:
    return "image/webp" if name.endswith(".webp") else "image/jpeg"
