"""The staff's pages of the public content (/publicity/): a county's choice to open its village pages, its exemplary
cases (典型案例) written, published, edited and withdrawn. They declare querysets, filters and templates; writes go
through disclosure.services."""
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import audit, scoping
from core.body_limits import body_limit
from core.exceptions import NotPermitted
from core.files import photo_response
from core.views import ScopedDetailView, ScopedListView, confirmation, is_confirmed, perform, portal_view, render_detail
from projects import photos as photo_rules
from villages.models import Region, RegionLevel

from . import selectors, services
from .filters import ExemplarFilterSet
from .forms import ExemplarForm, ExemplarTextForm, PublicationForm, WithdrawForm


class ExemplarListView(ScopedListView):
    selector = selectors.exemplar_list
    filterset_class = ExemplarFilterSet
    template_name = "disclosure/manage/list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            counties=selectors.managed_counties(user=self.request.user),
            can_write=scoping.can_anywhere(self.request.user, "publicity.manage"), **kwargs,
        )


@portal_view
@require_POST
def publication_set(request, code):
    county = get_object_or_404(scoping.restrict(Region.objects.filter(level=RegionLevel.COUNTY), request.user), code=code)
    form = PublicationForm(request.POST)
    if form.is_valid():
        opened = form.cleaned_data["villages_public"]
        perform(request, lambda: services.publication_set(actor=request.user, county=county, villages_public=opened),
                success=_("The village pages of %(county)s are now public.") % {"county": county.name} if opened
                else _("The village pages of %(county)s are no longer public.") % {"county": county.name})
    return redirect("publicity:list")


@body_limit(photo_rules.UPLOAD_BODY_LIMIT)  # outermost: the middleware reads it from the resolved view
@portal_view
def exemplar_create(request):
    villages = list(selectors.managed_villages(user=request.user))
    if not villages:
        raise NotPermitted("publicity.manage")
    form = ExemplarForm(request.POST or None, request.FILES or None, villages=villages)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        village = next(v for v in villages if v.code == data["village"])
        outcome = perform(request, lambda: services.exemplar_create(
            actor=request.user, village=village, title=data["title"], summary=data["summary"], story=data["story"],
            photos=request.FILES.getlist("photos"),
        ), form=form, success=_("Case saved as a draft: check it, then publish it."))
        if outcome.done:
            return redirect("publicity:detail", pk=outcome.result.pk)
    return render(request, "disclosure/manage/create.html", {"form": form}, status=400 if form.errors else 200)


class ExemplarDetailView(ScopedDetailView):
    selector = selectors.exemplar_list
    template_name = "disclosure/manage/detail.html"
    context_object_name = "exemplar"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        exemplar = self.object
        can_manage = scoping.can(self.request.user, "publicity.manage", exemplar)
        context["can_manage"] = can_manage
        context["photos"] = list(exemplar.photos.order_by("id"))
        context.setdefault("edit_form", ExemplarTextForm(initial={"title": exemplar.title, "summary": exemplar.summary,
                                                                   "story": exemplar.story}))
        context.setdefault("withdraw_form", WithdrawForm())
        context["village_public"] = selectors.public_villages().filter(code=exemplar.village_id).exists()
        context["history"] = audit.history(exemplar)[:20] if can_manage else []
        return context


def _managed(request, pk):
    exemplar = get_object_or_404(selectors.exemplar_list(user=request.user), pk=pk)
    if not scoping.can(request.user, "publicity.manage", exemplar):
        raise NotPermitted("publicity.manage")
    return exemplar


@body_limit(photo_rules.UPLOAD_BODY_LIMIT)
@portal_view
@require_POST
def exemplar_edit(request, pk):
    exemplar = _managed(request, pk)
    form = ExemplarTextForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        outcome = perform(request, lambda: services.exemplar_edit(
            actor=request.user, exemplar=exemplar, title=data["title"], summary=data["summary"], story=data["story"],
            photos=request.FILES.getlist("photos"),
        ), form=form, success=_("Case saved."))
        if outcome.done:
            return redirect("publicity:detail", pk=exemplar.pk)
    return render_detail(ExemplarDetailView, request, exemplar, edit_form=form)


@portal_view
@require_POST
def exemplar_publish(request, pk):
    exemplar = _managed(request, pk)
    perform(request, lambda: services.exemplar_publish(actor=request.user, exemplar=exemplar),
            success=_("Case published: everyone can read it on the public pages."))
    return redirect("publicity:detail", pk=exemplar.pk)


@portal_view
@require_POST
def exemplar_withdraw(request, pk):
    exemplar = _managed(request, pk)
    form = WithdrawForm(request.POST)
    if form.is_valid() and not is_confirmed(request):
        return confirmation(
            request, title=_("Withdraw the case"), question=_("Take “%(title)s” off the public pages?") % {"title": exemplar.title},
            consequence=_("The public no longer reads it; you can publish it again later."),
            confirm_label=_("Withdraw"), back_url=exemplar_url(exemplar), fields=[form["reason"]],
        )
    if form.is_valid():
        outcome = perform(request, lambda: services.exemplar_withdraw(actor=request.user, exemplar=exemplar,
                                                                      reason=form.cleaned_data["reason"]),
                          form=form, success=_("Case withdrawn from the public pages."))
        if outcome.done:
            return redirect("publicity:detail", pk=exemplar.pk)
    return render_detail(ExemplarDetailView, request, exemplar, withdraw_form=form)


def exemplar_url(exemplar) -> str:
    return reverse("publicity:detail", args=[exemplar.pk])


@portal_view
def exemplar_photo(request, pk, variant="image"):
    """A case's photo (published or not) or its thumbnail, through the gate."""
    return photo_response(get_object_or_404(selectors.exemplar_photo_list(user=request.user), pk=pk), variant)


@portal_view
@require_POST
def exemplar_photo_remove(request, pk):
    photo = get_object_or_404(selectors.exemplar_photo_list(user=request.user), pk=pk)
    if not scoping.can(request.user, "publicity.manage", photo):
        raise NotPermitted("publicity.manage")
    perform(request, lambda: services.exemplar_photo_remove(actor=request.user, photo=photo), success=_("Photo removed."))
    return redirect("publicity:detail", pk=photo.exemplar_id)

