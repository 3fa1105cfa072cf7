"""The user's inbox, their choices of channel, the delivery log and the county's reminder rules."""
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import ListView

from core import scoping
from core.divisions import RegionLevel
from core.exceptions import NotPermitted
from core.pagination import BoundedPaginatorMixin
from core.views import PortalAccessMixin, perform, portal_view
from villages.models import Region

from . import selectors, services
from .models import DAYS_MAX, EVENT_KINDS, Channel, Kind


class MessageListView(PortalAccessMixin, BoundedPaginatorMixin, ListView):
    """The signed-in user's messages, newest first; unread ones marked."""

    template_name = "inbox/message_list.html"
    paginate_by = 30

    def get_queryset(self):
        return selectors.messages_of(self.request.user)


message_list = MessageListView.as_view()


@portal_view
def message_open(request, pk):
    """Opening a message marks it read and goes where it points (a page of the portal)."""
    message = get_object_or_404(selectors.messages_of(request.user), pk=pk)
    services.message_open(actor=request.user, message=message)
    target = message.url if message.url and url_has_allowed_host_and_scheme(message.url, allowed_hosts=None) else ""
    return redirect(target or reverse("inbox:list"))


@require_POST
@portal_view
def mark_all_read(request):
    count = services.messages_mark_all_read(actor=request.user)
    messages.success(request, _("%(count)s messages marked read.") % {"count": count})
    return redirect("inbox:list")


# Channels a user chooses on the preferences page, in this order.
CHOSEN_CHANNELS = (Channel.INBOX, Channel.EMAIL, Channel.SMS)


@portal_view
def preferences(request):
    """Which reminders the user receives on which channel (inbox, e-mail, SMS)."""
    if request.method == "POST":
        choices = {(kind, channel): f"{kind}__{channel}" in request.POST for kind in Kind.values for channel in CHOSEN_CHANNELS}
        outcome = perform(request, lambda: services.preferences_set(actor=request.user, choices=choices),
                          success=_("Your choices are saved."))
        if outcome.done:
            return redirect("inbox:preferences")
    rows = selectors.preference_table(request.user)
    for row in rows:
        row["cells"] = [{"channel": channel, "label": label, "name": f"{row['kind']}__{channel}", "on": row["channels"][channel]}
                        for channel, label in Channel.choices]
    user = request.user
    return render(request, "inbox/preferences.html", {"rows": rows, "channels": Channel.choices,
                                                      "email": user.email, "phone": getattr(user, "phone", "")})


class DeliveryListView(PortalAccessMixin, BoundedPaginatorMixin, ListView):
    """The delivery log: the user's own deliveries (a superuser's: everyone's)."""

    template_name = "inbox/delivery_list.html"
    paginate_by = 50

    def get_queryset(self):
        return selectors.deliveries_of(self.request.user)


deliveries = DeliveryListView.as_view()


def _counties_of(user) -> list[Region]:
    """The counties whose rules the user reads: the county of each grant at or below a county, the counties below
    a city's or province's grant (at most 300)."""
    codes, prefixes = set(), set()
    for grant in scoping.grants(user):
        (codes if len(grant.code) >= 6 else prefixes).add(grant.code[:6])
    if scoping.is_unrestricted(user):
        prefixes.add("")
    counties = Region.objects.filter(level=RegionLevel.COUNTY)
    query = None
    for prefix in prefixes:
        q = counties.filter(code__startswith=prefix)
        query = q if query is None else query | q
    if codes:
        q = counties.filter(code__in=codes)
        query = q if query is None else query | q
    return list(query.order_by("code")[:300]) if query is not None else []


@portal_view
def rules(request):
    """A county's reminder rules: each kind on or off and its N days; the county's staff change them."""
    counties = _counties_of(request.user)
    code = request.POST.get("county") or request.GET.get("county") or (counties[0].code if counties else "")
    county = next((c for c in counties if c.code == code), None)
    if county is None and (code or request.method == "POST"):
        raise Http404
    can_configure = county is not None and scoping.can(request.user, "reminder.configure", county)
    if request.method == "POST":
        if not can_configure:
            raise NotPermitted("reminder.configure")
        kind = request.POST.get("kind", "")
        outcome = perform(request, lambda: services.reminder_rule_set(
            actor=request.user, county=county, kind=kind, enabled=request.POST.get("enabled") == "on",
            days=request.POST.get("days"),
        ), success=_("Reminder rule saved."))
        if outcome.done:
            return redirect(f"{reverse('inbox:rules')}?county={county.code}")
    current = selectors.county_rules(county.code) if county else {}
    rows = [{"kind": kind, "label": label, "enabled": current[kind][0], "days": current[kind][1], "own": current[kind][2],
             "event": kind in EVENT_KINDS}
            for kind, label in Kind.choices] if county else []
    return render(request, "inbox/rules.html", {"county": county, "counties": counties, "rows": rows,
                                                "can_configure": can_configure, "days_max": DAYS_MAX})
