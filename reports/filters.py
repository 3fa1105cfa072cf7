"""One FilterSet for report jobs: the page's list and the API."""
import django_filters
from django.utils.translation import gettext_lazy as _

from core.filters import BooleanFilter, RegionCodeFilter

from .models import ReportFormat, ReportJob, ReportKind, ReportStatus


class ReportJobFilterSet(django_filters.FilterSet):
    region = RegionCodeFilter(path="region__code", help_text=_("Reports about this region or a region below it."))
    kind = django_filters.ChoiceFilter(choices=ReportKind.choices, label=_("kind of report"))
    format = django_filters.ChoiceFilter(choices=ReportFormat.choices, label=_("format"))
    status = django_filters.ChoiceFilter(choices=ReportStatus.choices, label=_("status"))
    mine = BooleanFilter(method="only_mine", label=_("Only mine"))

    class Meta:
        model = ReportJob
        fields = ["region", "kind", "format", "status"]

    def only_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        return queryset.filter(requester=user) if value and user is not None and user.is_authenticated else queryset
