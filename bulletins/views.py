"""Bulletin pages: they declare querysets, filters and templates; writes go through bulletins.services."""
import datetime

from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import audit, scoping
from core.exceptions import NotPermitted
from core.files import file_response
from core.views import ScopedDetailView, ScopedListView, perform, portal_view, render_detail
from villages.models import Region

from . import selectors, services
from .filters import BulletinFilterSet
from .forms import ComposeForm, EditForm
from .models import BulletinStatus


class BulletinListView(ScopedListView):
    selector = selectors.bulletin_list
    filterset_class = BulletinFilterSet
    template_name = "bulletins/bulletin_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(can_compose=scoping.can_anywhere(self.request.user, "bulletin.manage"), **kwargs)


def _offices(user) -> list[Region]:
    return list(scoping.restrict(Region.objects.filter(level__in=services.ISSUING_LEVELS), user, "bulletin.manage")
                .order_by("code"))


@portal_view
def bulletin_compose(request):
    """Compose a draft from what the portal knows of the period (by default last month)."""
    offices = _offices(request.user)
    if not offices:
        raise NotPermitted("bulletin.manage")
    first = timezone.localdate().replace(day=1)
    last_month_end = first - datetime.timedelta(days=1)
    form = ComposeForm(request.POST or None, offices=offices,
                       initial={"period_start": last_month_end.replace(day=1), "period_end": last_month_end})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        region = next(r for r in offices if r.code == data["region"])
        outcome = perform(request, lambda: services.bulletin_compose(
            actor=request.user, region=region, period_start=data["period_start"], period_end=data["period_end"],
        ), form=form, success=_("Bulletin composed: read and edit its text, then approve it."))
        if outcome.done:
            return redirect("bulletins:detail", pk=outcome.result.pk)
    return render(request, "bulletins/compose.html", {"form": form})


class BulletinDetailView(ScopedDetailView):
    selector = selectors.bulletin_list
    template_name = "bulletins/bulletin_detail.html"
    context_object_name = "bulletin"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        bulletin = self.object
        can_manage = scoping.can(self.request.user, "bulletin.manage", bulletin)
        context["can_edit"] = can_manage and bulletin.status != BulletinStatus.PUBLISHED
        context["can_approve"] = can_manage and bulletin.status == BulletinStatus.DRAFT
        context["can_publish"] = can_manage and bulletin.status == BulletinStatus.APPROVED
        context.setdefault("edit_form", EditForm(initial={"title": bulletin.title, "body": bulletin.body}))
        context["history"] = audit.history(bulletin)[:20] if can_manage else []
        return context


def _scoped(request, pk):
    return get_object_or_404(selectors.bulletin_list(user=request.user), pk=pk)


@portal_view
@require_POST
def bulletin_edit(request, pk):
    bulletin = _scoped(request, pk)
    if not scoping.can(request.user, "bulletin.manage", bulletin):
        raise NotPermitted("bulletin.manage")
    form = EditForm(request.POST)
    if form.is_valid():
        outcome = perform(request, lambda: services.bulletin_edit(
            actor=request.user, bulletin=bulletin, title=form.cleaned_data["title"], body=form.cleaned_data["body"],
        ), form=form, success=_("Text saved."))
        if outcome.done:
            return redirect("bulletins:detail", pk=bulletin.pk)
    return render_detail(BulletinDetailView, request, bulletin, edit_form=form)


@portal_view
@require_POST
def bulletin_approve(request, pk):
    bulletin = _scoped(request, pk)
    if not scoping.can(request.user, "bulletin.manage", bulletin):
        raise NotPermitted("bulletin.manage")
    perform(request, lambda: services.bulletin_approve(actor=request.user, bulletin=bulletin), success=_("Bulletin approved."))
    return redirect("bulletins:detail", pk=bulletin.pk)


@portal_view
@require_POST
def bulletin_publish(request, pk):
    bulletin = _scoped(request, pk)
    if not scoping.can(request.user, "bulletin.manage", bulletin):
        raise NotPermitted("bulletin.manage")
    perform(request, lambda: services.bulletin_publish(actor=request.user, bulletin=bulletin),
            success=_("Bulletin published."))
    return redirect("bulletins:detail", pk=bulletin.pk)


@portal_view
def bulletin_pdf(request, pk):
    """The published bulletin's PDF, through the gate."""
    bulletin = get_object_or_404(selectors.bulletin_list(user=request.user).filter(status=BulletinStatus.PUBLISHED), pk=pk)
    response = file_response(bulletin.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="bulletin-{bulletin.pk}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
