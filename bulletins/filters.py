import django_filters
from django.utils.translation import gettext_lazy as _

from core.filters import MultipleChoiceFilter, RegionCodeFilter

from .models import Bulletin, BulletinStatus


class BulletinFilterSet(django_filters.FilterSet):
    """Bulletins: the HTML list and /api/v1/bulletins/."""

    region = RegionCodeFilter(path="region__code", label=_("issuing office or below (code)"))
    status = MultipleChoiceFilter(choices=BulletinStatus.choices, label=_("status"))
    q = django_filters.CharFilter(field_name="title", lookup_expr="contains", label=_("Search"))

    class Meta:
        model = Bulletin
        fields = ["region", "status"]
