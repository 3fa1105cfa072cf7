import django_filters
from django.utils.translation import gettext_lazy as _

from core.filters import MultipleChoiceFilter, RegionCodeFilter

from .models import Exemplar, ExemplarStatus


class ExemplarFilterSet(django_filters.FilterSet):
    """Exemplary cases: the staff's list."""

    area = RegionCodeFilter(path="village__code", label=_("area (code)"))
    status = MultipleChoiceFilter(choices=ExemplarStatus.choices, label=_("status"))
    q = django_filters.CharFilter(field_name="title", lookup_expr="contains", label=_("Search"))

    class Meta:
        model = Exemplar
        fields = ["area", "status"]
